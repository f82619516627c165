import Foundation

/// Writes an output file so that it either appears complete or not at all: the content goes to a
/// temporary file in the same directory, which is renamed over the destination only on success.
/// Every output of the tool (reports, certificates, layers, plots) goes through here.
public enum AtomicFileWriter {
    /// `produce` writes the complete file at the temporary path it is given.
    public static func write(to path: String, _ produce: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw LayerFormatError(path, .writeFailed("the directory \(directory) does not exist"))
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(
                ".\(url.lastPathComponent).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            ).path
        do {
            try produce(temporary)
            // A device or pipe (`--output /dev/null`, `/dev/stdout`, a FIFO) is written into, never
            // replaced: renaming over it would swap /dev/null for a regular file when run as root.
            var status = stat()
            if stat(path, &status) == 0, (status.st_mode & S_IFMT) != S_IFREG {
                try copy(temporary, into: path)
                unlink(temporary)
                return
            }
            guard rename(temporary, path) == 0 else {
                throw LayerFormatError(path, .writeFailed(String(cString: strerror(errno))))
            }
        } catch {
            unlink(temporary)
            if error is LayerFormatError { throw error }
            throw LayerFormatError(path, .writeFailed("\(error)"))
        }
    }

    /// Streams the finished file at `source` into the existing non-regular file at `path`.
    private static func copy(_ source: String, into path: String) throws {
        let input = open(source, O_RDONLY), output = open(path, O_WRONLY)
        defer {
            if input >= 0 { close(input) }
            if output >= 0 { close(output) }
        }
        guard input >= 0, output >= 0 else {
            throw LayerFormatError(path, .writeFailed(String(cString: strerror(errno))))
        }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            guard count > 0 else {
                if count < 0 { throw LayerFormatError(path, .writeFailed(String(cString: strerror(errno)))) }
                return
            }
            var written = 0
            while written < count {
                let n = buffer.withUnsafeBytes { Foundation.write(output, $0.baseAddress! + written, count - written) }
                guard n > 0 else { throw LayerFormatError(path, .writeFailed(String(cString: strerror(errno)))) }
                written += n
            }
        }
    }

    /// Writes `data` as the whole file at `path`.
    public static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temporary in
            guard FileManager.default.createFile(atPath: temporary, contents: data) else {
                throw LayerFormatError(path, .writeFailed("cannot create a file in that directory"))
            }
        }
    }

    /// Writes `text` as UTF-8 as the whole file at `path`.
    public static func write(_ text: String, to path: String) throws {
        try write(Data(text.utf8), to: path)
    }
}
