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

/// A heap buffer at a stable, aligned address, filled once by its creator and read-only after.
/// Float data at a 64-byte header boundary inside it can be viewed in place. Large buffers are
/// 2 MiB aligned and advised as transparent huge pages: filling 64 MB then takes ~5 ms instead
/// of ~25 ms of 4 KiB page faults (measured here), and later GEMMs over it need fewer TLB entries.
final class OwnedBytes {
    let mutableBytes: UnsafeMutableRawBufferPointer
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(mutableBytes) }

    /// nil when the memory cannot be had (a corrupt size must fail, not abort the process).
    init?(byteCount: Int, zeroed: Bool = false) {
        let hugePage = 2 << 20
        let alignment = byteCount >= 2 * hugePage ? hugePage : 64
        var address: UnsafeMutableRawPointer? = nil
        guard byteCount >= 0, posix_memalign(&address, alignment, max(byteCount, 1)) == 0, let address else {
            return nil
        }
        // Only advice: failure is harmless.
        if alignment == hugePage { _ = madvise(address, byteCount, Int32(MADV_HUGEPAGE)) }
        if zeroed { memset(address, 0, byteCount) }
        mutableBytes = UnsafeMutableRawBufferPointer(start: address, count: byteCount)
    }

    deinit { free(mutableBytes.baseAddress) }
}
