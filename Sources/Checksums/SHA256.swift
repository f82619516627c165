import Foundation
import SHA256Hardware

/// SHA-256 (FIPS 180-4), small and dependency-free: the core build stays light (Foundation on Linux
/// has no CryptoKit). Feed bytes with `update`, then read `finalize()` once.
public struct SHA256: Sendable {
    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
    // The state as a tuple, not an array: no uniqueness checks or bounds checks per block.
    private var h: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19
    )
    private var block = [UInt8](repeating: 0, count: 64)
    private var filled = 0
    private var length: UInt64 = 0

    private var hardware = SHA256.usesHardware

    /// An empty hash state.
    public init() {}

    /// An empty hash state that uses the hardware only when `hardware` is true and the CPU has it
    /// (false: always the portable code, which the hardware path is tested against).
    public init(hardware: Bool) { self.hardware = hardware && Self.usesHardware }

    /// Whether this CPU runs the compression in hardware (the x86 SHA extensions).
    public static let usesHardware = unargmax_sha256_hardware_available() != 0

    /// Hashes more bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        length &+= UInt64(bytes.count)
        var offset = 0
        while offset < bytes.count {
            if filled == 0 && bytes.count - offset >= 64 {
                let blocks = (bytes.count - offset) / 64
                compress(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + 64 * blocks)]))
                offset += 64 * blocks
                continue
            }
            let take = min(64 - filled, bytes.count - offset)
            for i in 0..<take { block[filled + i] = bytes[offset + i] }
            filled += take
            offset += take
            if filled == 64 {
                let full = block
                full.withUnsafeBytes { compress($0) }
                filled = 0
            }
        }
    }

    /// Hashes more bytes.
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The 32-byte digest of everything hashed so far (the state is used up).
    public mutating func finalize() -> [UInt8] {
        let bits = length &* 8
        var tail: [UInt8] = [0x80] + [UInt8](repeating: 0, count: (119 - filled) % 64)
        for shift in stride(from: 56, through: 0, by: -8) { tail.append(UInt8(truncatingIfNeeded: bits >> shift)) }
        let saved = length
        update(tail)
        length = saved
        return [h.0, h.1, h.2, h.3, h.4, h.5, h.6, h.7].flatMap { word in
            [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: word >> $0) }
        }
    }

    /// Hashes more bytes (any collection: an array slice, `Data` as a download arrives).
    public mutating func update(_ bytes: some Collection<UInt8>) {
        if let done = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
            return done
        }
        update(Array(bytes))
    }

    /// The digest of everything hashed so far, as 64 lowercase hexadecimal digits (finalizes).
    public mutating func hexDigest() -> String { Self.hexString(finalize()) }

    /// The SHA-256 of a file, read in 1 MiB pieces so that large files never sit in memory.
    public static func hexDigest(ofFile path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(chunk) }
        return hash.hexDigest()
    }

    /// The digest of `bytes` as 64 lowercase hexadecimal digits.
    public static func hex(_ bytes: [UInt8]) -> String {
        var hasher = SHA256()
        hasher.update(bytes)
        return hexString(hasher.finalize())
    }

    /// A digest as lowercase hexadecimal digits.
    public static func hexString(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        return String(digest.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
    }

    /// Compresses whole 64-byte blocks.
    private mutating func compress(_ blocks: UnsafeRawBufferPointer) {
        if hardware {
            var state = [h.0, h.1, h.2, h.3, h.4, h.5, h.6, h.7]
            unargmax_sha256_hardware_blocks(
                &state, blocks.baseAddress!.assumingMemoryBound(to: UInt8.self), blocks.count / 64)
            h = (state[0], state[1], state[2], state[3], state[4], state[5], state[6], state[7])
            return
        }
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
            for start in stride(from: 0, to: blocks.count, by: 64) {
                compressPortably(UnsafeRawBufferPointer(rebasing: blocks[start..<(start + 64)]), w)
            }
        }
    }

    /// Compresses one 64-byte block in portable Swift (CPUs without the SHA extensions, and the
    /// reference the hardware path is tested against).
    mutating func compressPortably(_ chunk: UnsafeRawBufferPointer, _ w: UnsafeMutableBufferPointer<UInt32>) {
        @inline(__always) func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for t in 0..<16 { w[t] = UInt32(bigEndian: chunk.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self)) }
        for t in 16..<64 {
            let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
            let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
            w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = h
        let k = SHA256.k
        for t in 0..<64 {
            let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
            let ch = (e & f) ^ (~e & g)
            let t1 = hh &+ s1 &+ ch &+ k[t] &+ w[t]
            let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
            let maj = (a & b) ^ (a & c) ^ (b & c)
            let t2 = s0 &+ maj
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        h = (h.0 &+ a, h.1 &+ b, h.2 &+ c, h.3 &+ d, h.4 &+ e, h.5 &+ f, h.6 &+ g, h.7 &+ hh)
    }
}
