import Checksums
import Testing

@testable import Unargmaxable

@Suite("Layer digest")
struct LayerDigestTests {
    @Test("SHA-256 agrees with Python's hashlib, across the padding boundaries and in pieces")
    func knownAnswers() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        let a: UInt8 = 0x61
        #expect(
            SHA256.hex([UInt8](repeating: a, count: 55))
                == "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")
        #expect(
            SHA256.hex([UInt8](repeating: a, count: 56))
                == "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")
        #expect(
            SHA256.hex([UInt8](repeating: a, count: 64))
                == "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")
        let long = (0..<5).flatMap { _ in (0..<256).map { UInt8($0) } }
        let expected = "d414b085826eb06778483ba35564dc849e643359f69ed9747878ba6e54985bed"
        #expect(SHA256.hex(long) == expected)
        var pieces = SHA256()
        for start in stride(from: 0, to: long.count, by: 97) {
            pieces.update(Array(long[start..<min(long.count, start + 97)]))
        }
        #expect(SHA256.hexString(pieces.finalize()) == expected)
    }

    @Test("The layer digest covers W's Float32 bytes and the bias as used (hashlib's values)")
    func layer() throws {
        let withBias = try SoftmaxLayer(weights: [1.5, -2, 0.25, 3], classes: 2, dimension: 2, bias: [0.5, -1])
        #expect(withBias.digest == "4cc77ec52643bdf751ede8fe525ae987dfd9e04283caadb09861abdfcc13889d")
        let without = try SoftmaxLayer(weights: [1.5, -2, 0.25, 3], classes: 2, dimension: 2)
        #expect(without.digest == "87b2b8a1133117a63648e54e7a1c248f28459fcc1aa61fa117e015dbe9b0f654")
    }
}
