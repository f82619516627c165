import Foundation

/// A whole file mapped read-only into memory. Layer weights are read straight from the mapping
/// (zero copy when they are already little-endian float32), so a multi-GB file is never read twice.
public final class MappedFile: @unchecked Sendable {  // immutable after init; the mapping is read-only
    public let path: String
    public let bytes: UnsafeRawBufferPointer

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw LayerFormatError(path, errno == ENOENT ? .missingFile : .unreadable(String(cString: strerror(errno))))
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw LayerFormatError(path, .unreadable(String(cString: strerror(errno)))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw LayerFormatError(path, .unreadable("not a regular file")) }
        let size = Int(info.st_size)
        guard size > 0 else { throw LayerFormatError(path, .truncated("the file is empty")) }
        guard let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), address != MAP_FAILED else {
            throw LayerFormatError(path, .unreadable("mmap failed: \(String(cString: strerror(errno)))"))
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count) }
}

/// Bytes that stay valid as long as `owner` lives: a slice of a mapped file, or an owned buffer
/// (e.g. a decompressed zip entry).
public struct ByteRegion: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    let owner: AnyObject

    init(_ bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.bytes = bytes
        self.owner = owner
    }

    init(data: Data) {
        let box = OwnedBytes(data)
        self.init(box.bytes, owner: box)
    }

    var isMapped: Bool { owner is MappedFile }
}

/// Owns a heap copy of some bytes at a stable address.
final class OwnedBytes {
    let bytes: UnsafeRawBufferPointer
    init(_ data: Data) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 16)
        data.copyBytes(to: buffer.bindMemory(to: UInt8.self))
        bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: data.count)
    }
    deinit { UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.deallocate() }
}
