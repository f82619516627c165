import Foundation

/// A whole file mapped read-only into memory. Layer weights are read straight from the mapping
/// (zero copy when they are already little-endian float32), so a multi-GB file is never read twice.
public final class MappedFile: @unchecked Sendable {  // immutable after init; the mapping is read-only
    /// The path the file was opened at.
    public let path: String
    /// The whole file, read-only, valid while this object lives.
    public let bytes: UnsafeRawBufferPointer

    /// Maps the file read-only; errors: missing file, unreadable, not a regular file, empty.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw LayerFormatError(path, errno == ENOENT ? .missingFile : .unreadable(String(cString: strerror(errno))))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw LayerFormatError(path, .unreadable(String(cString: strerror(errno)))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw LayerFormatError(path, .unreadable("not a regular file"))
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw LayerFormatError(path, .truncated("the file is empty")) }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw LayerFormatError(path, .unreadable("mmap failed: \(String(cString: strerror(errno)))"))
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    // Writers replace files by rename, never in place, so a mapped layer stays intact even when
    // its own path is overwritten (truncating a mapped file elsewhere would fault on access).
    deinit { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count) }
}
