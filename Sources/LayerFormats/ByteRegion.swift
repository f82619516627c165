import Foundation

/// Bytes that stay valid as long as `owner` lives: a slice of a mapped file, or an owned buffer
/// (e.g. an inflated zip entry). Views into it (a `FloatMatrix`, a `NumpyArray`) keep the owner.
struct ByteRegion: @unchecked Sendable {  // the bytes are never written once shared
    let bytes: UnsafeRawBufferPointer
    let owner: AnyObject

    init(_ bytes: UnsafeRawBufferPointer, owner: AnyObject) {
        self.bytes = bytes
        self.owner = owner
    }

    /// The sub-range `offset ..< offset + count`, which the caller has bounds-checked.
    func slice(_ offset: Int, _ count: Int) -> ByteRegion {
        ByteRegion(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)]), owner: owner)
    }

    var isMapped: Bool { owner is MappedFile }
}

/// A heap buffer at a stable, 64-byte aligned address (so float data at a 64-byte header
/// boundary inside it can be viewed in place). Filled once by its creator, read-only after.
final class OwnedBytes {
    let mutableBytes: UnsafeMutableRawBufferPointer
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(mutableBytes) }

    /// nil when the memory cannot be had (a corrupt size must fail, not abort the process).
    init?(byteCount: Int) {
        var address: UnsafeMutableRawPointer? = nil
        guard byteCount >= 0, posix_memalign(&address, 64, max(byteCount, 1)) == 0, let address else { return nil }
        mutableBytes = UnsafeMutableRawBufferPointer(start: address, count: byteCount)
    }

    deinit { free(mutableBytes.baseAddress) }
}
