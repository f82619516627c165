import Foundation

/// A file being written with plain POSIX calls, so large arrays stream from memory to disk
/// without being gathered into one `Data` first. Errors name the final destination, not the
/// temporary file the bytes go to.
final class OutputFile {
    private var descriptor: Int32
    private let reportedPath: String
    /// Bytes written so far: the offset the next write starts at.
    private(set) var offset = 0

    init(path: String, reportingAs reportedPath: String) throws {
        self.reportedPath = reportedPath
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw LayerFormatError(reportedPath, .writeFailed(String(cString: strerror(errno))))
        }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            // One write(2) moves at most ~2 GiB on Linux; loop for the rest and for short writes.
            let n = Foundation.write(descriptor, bytes.baseAddress! + done, min(bytes.count - done, 1 << 30))
            if n < 0 {
                if errno == EINTR { continue }
                throw LayerFormatError(reportedPath, .writeFailed(String(cString: strerror(errno))))
            }
            done += n
        }
        offset += bytes.count
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Closes the file; a failure here (e.g. a full disk on a network file system) is an error too.
    func close() throws {
        let descriptor = self.descriptor
        self.descriptor = -1
        guard descriptor >= 0 else { return }
        guard Foundation.close(descriptor) == 0 else {
            throw LayerFormatError(reportedPath, .writeFailed(String(cString: strerror(errno))))
        }
    }

    deinit { if descriptor >= 0 { _ = Foundation.close(descriptor) } }
}
