import Dispatch
import LayerFormats

// Block layouts of ggml's quantised types (llama.cpp ggml-common.h / ggml-quants.c, gguf-py
// quants.py). Every value is computed with the same float32 operations in the same order as
// gguf-py's reference dequantiser (`gguf.quants.dequantize`), so the results agree bit for bit:
// one rounding per product and per sum, never a fused multiply-add.

/// A ggml element type: its name, how many elements one block holds, and the block's bytes.
struct GGMLType: Sendable, Equatable {
    let id: UInt32
    let name: String
    let blockSize: Int
    let typeSize: Int

    /// Every type a GGUF file may name (ids 31–33 and 36–38 were withdrawn from ggml).
    static let known: [UInt32: GGMLType] = {
        let qk = 256  // QK_K, the super-block of the k-quants
        let table: [(UInt32, String, Int, Int)] = [
            (0, "F32", 1, 4), (1, "F16", 1, 2), (2, "Q4_0", 32, 18), (3, "Q4_1", 32, 20),
            (6, "Q5_0", 32, 22), (7, "Q5_1", 32, 24), (8, "Q8_0", 32, 34), (9, "Q8_1", 32, 40),
            (10, "Q2_K", qk, 84), (11, "Q3_K", qk, 110), (12, "Q4_K", qk, 144), (13, "Q5_K", qk, 176),
            (14, "Q6_K", qk, 210), (15, "Q8_K", qk, 292), (16, "IQ2_XXS", qk, 66), (17, "IQ2_XS", qk, 74),
            (18, "IQ3_XXS", qk, 98), (19, "IQ1_S", qk, 50), (20, "IQ4_NL", 32, 18), (21, "IQ3_S", qk, 110),
            (22, "IQ2_S", qk, 82), (23, "IQ4_XS", qk, 136), (24, "I8", 1, 1), (25, "I16", 1, 2),
            (26, "I32", 1, 4), (27, "I64", 1, 8), (28, "F64", 1, 8), (29, "IQ1_M", qk, 56),
            (30, "BF16", 1, 2), (34, "TQ1_0", qk, 54), (35, "TQ2_0", qk, 66), (39, "MXFP4", 32, 17),
            (40, "NVFP4", 64, 36), (41, "Q1_0", 128, 18),
        ]
        return Dictionary(
            uniqueKeysWithValues: table.map { ($0.0, GGMLType(id: $0.0, name: $0.1, blockSize: $0.2, typeSize: $0.3)) })
    }()

    /// The plain float encodings, read through LayerFormats (zero copy for aligned F32).
    var floatEncoding: FloatEncoding? {
        switch id {
        case 0: return .float32
        case 1: return .float16
        case 30: return .bfloat16
        default: return nil
        }
    }

    /// The decoder of one run of blocks of this type, if this tool reads it.
    var blockDecoder: BlockDecoder? {
        switch id {
        case 2: return decodeQ4_0
        case 3: return decodeQ4_1
        case 6: return decodeQ5_0
        case 7: return decodeQ5_1
        case 8: return decodeQ8_0
        case 10: return decodeQ2_K
        case 11: return decodeQ3_K
        case 12: return decodeQ4_K
        case 13: return decodeQ5_K
        case 14: return decodeQ6_K
        case 15: return decodeQ8_K
        default: return nil
        }
    }

    /// Whether `matrix`/`vector` can convert tensors of this type.
    var isReadable: Bool { floatEncoding != nil || blockDecoder != nil }
}

/// Decodes `count` consecutive blocks at `source` into `count · blockSize` floats at `out`.
typealias BlockDecoder =
    @Sendable (_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) -> Void

/// Decodes `blockCount` blocks of `type` from `source` into `out`, in parallel chunks when large
/// (blocks are independent, so any split gives the same values).
func dequantize(
    _ decoder: BlockDecoder, type: GGMLType, source: UnsafeRawPointer, blockCount: Int,
    into out: UnsafeMutablePointer<Float>
) {
    let chunk = max(1, 1 << 20 / type.blockSize)  // about 4 MB of output per task
    let chunks = (blockCount + chunk - 1) / chunk
    guard chunks > 1 else {
        decoder(source, out, blockCount)
        return
    }
    nonisolated(unsafe) let (source, out) = (source, out)
    DispatchQueue.concurrentPerform(iterations: chunks) { index in
        let first = index * chunk
        let count = min(chunk, blockCount - first)
        decoder(source + first * type.typeSize, out + first * type.blockSize, count)
    }
}

@inline(__always) private func byte(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
    p.load(fromByteOffset: offset, as: UInt8.self)
}

@inline(__always) private func half(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
    float16Value(UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
}

@inline(__always) private func word(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
    UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

/// Q4_0: fp16 d, 16 bytes of 4-bit q (low nibbles first); x = d·(q − 8).
private func decodeQ4_0(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count {
        let p = source + block * 18, y = out + block * 32
        let d = half(p, 0)
        for j in 0..<16 {
            let q = byte(p, 2 + j)
            y[j] = d * Float(Int(q & 0x0F) - 8)
            y[j + 16] = d * Float(Int(q >> 4) - 8)
        }
    }
}

/// Q4_1: fp16 d, fp16 m, 16 bytes of 4-bit q; x = d·q + m.
private func decodeQ4_1(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count {
        let p = source + block * 20, y = out + block * 32
        let d = half(p, 0), m = half(p, 2)
        for j in 0..<16 {
            let q = byte(p, 4 + j)
            y[j] = d * Float(q & 0x0F) + m
            y[j + 16] = d * Float(q >> 4) + m
        }
    }
}

/// Q5_0: fp16 d, 32 high bits, 16 bytes of low nibbles; x = d·(q − 16).
private func decodeQ5_0(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count {
        let p = source + block * 22, y = out + block * 32
        let d = half(p, 0), high = word(p, 2)
        for j in 0..<16 {
            let q = byte(p, 6 + j)
            let low = UInt32(q & 0x0F) | ((high >> UInt32(j)) & 1) << 4
            let up = UInt32(q >> 4) | ((high >> UInt32(j + 16)) & 1) << 4
            y[j] = d * Float(Int(low) - 16)
            y[j + 16] = d * Float(Int(up) - 16)
        }
    }
}

/// Q5_1: fp16 d, fp16 m, 32 high bits, 16 bytes of low nibbles; x = d·q + m.
private func decodeQ5_1(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count {
        let p = source + block * 24, y = out + block * 32
        let d = half(p, 0), m = half(p, 2), high = word(p, 4)
        for j in 0..<16 {
            let q = byte(p, 8 + j)
            let low = UInt32(q & 0x0F) | ((high >> UInt32(j)) & 1) << 4
            let up = UInt32(q >> 4) | ((high >> UInt32(j + 16)) & 1) << 4
            y[j] = d * Float(low) + m
            y[j + 16] = d * Float(up) + m
        }
    }
}

/// Q8_0: fp16 d, 32 signed bytes; x = q·d.
private func decodeQ8_0(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count {
        let p = source + block * 34, y = out + block * 32
        let d = half(p, 0)
        for j in 0..<32 { y[j] = Float(Int8(bitPattern: byte(p, 2 + j))) * d }
    }
}

/// Q2_K: 16 scale bytes (low nibble scale, high nibble min), 64 bytes of 2-bit q, fp16 d, fp16
/// dmin; sixteen groups of 16, x = (d·scale)·q − dmin·min.
private func decodeQ2_K(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count {
        let p = source + block * 84, y = out + block * 256
        let d = half(p, 80), dmin = half(p, 82)
        for group in 0..<16 {
            let scale = byte(p, group)
            let dl = d * Float(scale & 0x0F), ml = dmin * Float(scale >> 4)
            for k in 0..<16 {
                let e = group * 16 + k
                // element e: byte 32·(e / 128) + e % 32, bits 2·((e % 128) / 32)
                let q = (byte(p, 16 + (e >> 7) * 32 + (e & 31)) >> UInt8(((e & 127) >> 5) * 2)) & 3
                y[e] = dl * Float(q) - ml
            }
        }
    }
}

/// Q3_K: 32 bytes of high bits, 64 bytes of 2-bit low q, 12 bytes of 6-bit scales, fp16 d;
/// sixteen groups of 16, x = (d·(scale − 32))·(low − 4·(1 − high)).
private func decodeQ3_K(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count {
        let p = source + block * 110, y = out + block * 256
        let d = half(p, 108)
        for group in 0..<16 {
            let low = group < 8 ? byte(p, 96 + group) & 0x0F : byte(p, 96 + group - 8) >> 4
            let high = (byte(p, 104 + (group & 3)) >> UInt8((group >> 2) * 2)) & 3
            let dl = d * Float(Int(low | high << 4) - 32)
            for k in 0..<16 {
                let e = group * 16 + k
                let q = (byte(p, 32 + (e >> 7) * 32 + (e & 31)) >> UInt8(((e & 127) >> 5) * 2)) & 3
                let h = (byte(p, e & 31) >> UInt8(e >> 5)) & 1
                y[e] = dl * Float(Int(q) - (h == 0 ? 4 : 0))
            }
        }
    }
}

/// The 6-bit scale and min of group `j` (0..<8) packed in the 12 bytes at `p` (Q4_K, Q5_K).
@inline(__always) private func scaleAndMin(_ p: UnsafeRawPointer, _ j: Int) -> (UInt8, UInt8) {
    if j < 4 { return (byte(p, j) & 0x3F, byte(p, j + 4) & 0x3F) }
    let scale = (byte(p, j + 4) & 0x0F) | ((byte(p, j - 4) >> 2) & 0x30)
    let min = (byte(p, j + 4) >> 4) | ((byte(p, j) >> 2) & 0x30)
    return (scale, min)
}

/// Q4_K: fp16 d, fp16 dmin, 12 bytes of 6-bit scales and mins, 128 bytes of 4-bit q; eight groups
/// of 32, x = (d·scale)·q − dmin·min.
private func decodeQ4_K(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count {
        let p = source + block * 144, y = out + block * 256
        let d = half(p, 0), dmin = half(p, 2)
        for group in 0..<8 {
            let (scale, min) = scaleAndMin(p + 4, group)
            let dl = d * Float(scale), ml = dmin * Float(min)
            let bytes = 16 + (group >> 1) * 32, shift = UInt8((group & 1) * 4)
            for l in 0..<32 {
                let q = (byte(p, bytes + l) >> shift) & 0x0F
                y[group * 32 + l] = dl * Float(q) - ml
            }
        }
    }
}

/// Q5_K: as Q4_K with 32 bytes of fifth bits before the nibbles.
private func decodeQ5_K(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count {
        let p = source + block * 176, y = out + block * 256
        let d = half(p, 0), dmin = half(p, 2)
        for group in 0..<8 {
            let (scale, min) = scaleAndMin(p + 4, group)
            let dl = d * Float(scale), ml = dmin * Float(min)
            let bytes = 48 + (group >> 1) * 32, shift = UInt8((group & 1) * 4)
            for l in 0..<32 {
                let q = (byte(p, bytes + l) >> shift) & 0x0F | ((byte(p, 16 + l) >> UInt8(group)) & 1) << 4
                y[group * 32 + l] = dl * Float(q) - ml
            }
        }
    }
}

/// Q6_K: 128 bytes of low nibbles, 64 bytes of 2-bit highs, 16 signed scales, fp16 d; sixteen
/// groups of 16, x = (d·scale)·(q − 32).
private func decodeQ6_K(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count {
        let p = source + block * 210, y = out + block * 256
        let d = half(p, 208)
        for group in 0..<16 {
            let dl = d * Float(Int8(bitPattern: byte(p, 192 + group)))
            for k in 0..<16 {
                let e = group * 16 + k
                let half128 = e >> 7, r = e & 127
                let low = (byte(p, half128 * 64 + (r & 63)) >> UInt8((r >> 6) * 4)) & 0x0F
                let high = (byte(p, 128 + half128 * 32 + (r & 31)) >> UInt8((r >> 5) * 2)) & 3
                y[e] = dl * Float(Int(low | high << 4) - 32)
            }
        }
    }
}

/// Q8_K: float32 d, 256 signed bytes, 16 int16 block sums (unused here); x = d·q.
private func decodeQ8_K(_ source: UnsafeRawPointer, _ out: UnsafeMutablePointer<Float>, _ count: Int) {
    for block in 0..<count {
        let p = source + block * 292, y = out + block * 256
        let d = Float(bitPattern: word(p, 0))
        for j in 0..<256 { y[j] = d * Float(Int8(bitPattern: byte(p, 4 + j))) }
    }
}
