import Checksums
import LayerFormats

extension SoftmaxLayer {
    /// The layer's identity for sharded and resumed runs: SHA-256 (hex) of W's Float32 values as
    /// little-endian bytes in row-major order, followed by the bias's Float32 little-endian bytes when
    /// a bias is used (none with `--ignore-bias`). Computed over the matrix in memory, whatever file
    /// format it came from, so the same layer read from .npz or .safetensors has the same digest.
    public var digest: String {
        var hasher = SHA256()
        weights.withUnsafeBufferPointer { values in
            #if _endian(little)
                hasher.update(UnsafeRawBufferPointer(values))
            #else
                for v in values {
                    let bits = v.bitPattern
                    hasher.update([0, 8, 16, 24].map { UInt8(truncatingIfNeeded: bits >> $0) })
                }
            #endif
        }
        if let bias {
            hasher.update(
                bias.flatMap { v -> [UInt8] in
                    let bits = v.bitPattern
                    return [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: bits >> $0) }
                })
        }
        return SHA256.hexString(hasher.finalize())
    }
}
