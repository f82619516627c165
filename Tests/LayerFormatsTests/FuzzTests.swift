import Foundation
import Testing
@testable import LayerFormats

@Suite("Fuzzing")
struct FuzzTests {
    /// Every variant either loads (and then holds valid, finite arrays) or throws a
    /// `LayerFormatError`; none crashes, hangs or throws anything else.
    @Test(
        "truncated and garbled variants of valid files never crash or hang",
        arguments: ["savez.npz", "compressed.npz", "plain.npy", "f16.npy", "ours.npz", "ours64.npz"])
    func garbledFiles(name: String) throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                W = np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32)
                np.savez('\(dir)/savez.npz', W=W, b=np.zeros(20, np.float32))
                np.savez_compressed('\(dir)/compressed.npz', W=W, b=np.zeros(20, np.float32))
                np.save('\(dir)/plain.npy', W)
                np.save('\(dir)/f16.npy', np.asfortranarray(W.astype('>f2')))
                """)
            let layer = try LayerArrays.load(path: "\(dir)/savez.npz")
            try layer.writeNPZ(to: "\(dir)/ours.npz")
            try NPZArchive.write(
                [.init(name: "W", matrix: layer.weights), .init(name: "b", vector: layer.bias!)],
                to: "\(dir)/ours64.npz",
                forceZIP64: true)

            let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name)")))
            var generator = SeededGenerator(state: 2022)  // the same 300 files on every run
            var loaded = 0
            for trial in 0..<300 {
                var bytes = original
                switch trial % 3 {
                case 0:  // truncated
                    bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
                case 1:  // a few random bytes
                    for _ in 0..<Int.random(in: 1...8, using: &generator) {
                        bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(
                            in: 0...255, using: &generator)
                    }
                default:  // bytes typical of lengths and offsets, where they hurt most
                    let position = Int.random(in: 0..<(bytes.count - 8), using: &generator)
                    let value: UInt64 = [0, 0xFF, 0xFFFF, 0xFFFF_FFFF, .max, UInt64(Int.max), 1 << 31][
                        Int.random(in: 0..<7, using: &generator)]
                    for k in 0..<8 { bytes[position + k] = UInt8((value >> (8 * UInt64(k))) & 0xFF) }
                }
                let path = "\(dir)/fuzz-\(trial)-\(name)"
                try write(bytes, to: path)
                do {
                    let result = try LayerArrays.load(path: path)
                    #expect(result.classes > 0 && result.weights.firstNonFinite() == nil)
                    loaded += 1
                } catch is LayerFormatError {
                } catch {
                    Issue.record("unexpected error type for \(path): \(error)")
                }
            }
            #expect(loaded < 300, "most garbled files should be refused")
        }
    }
}
