import Foundation
import Testing
@testable import LayerFormats

@Suite("Layer files: conventions, validation, round trips")
struct LayerArraysTests {
    @Test("W and b; a plain .npy; a single unnamed array", arguments: ["<f2", "<f4", ">f8"])
    func conventions(dtype: String) throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                W = \(numpyReference(7, 5)).astype('\(dtype)')
                np.savez('\(dir)/wb.npz', W=W, b=np.arange(7).astype('\(dtype)'))
                np.savez_compressed('\(dir)/wbz.npz', W=np.asfortranarray(W),
                                        b=np.arange(7).astype('\(dtype)')[None, :])
                np.savez('\(dir)/w.npz', W=W)
                np.save('\(dir)/w.npy', W)
                np.savez('\(dir)/arr0.npz', W)
                """)
            for name in ["wb.npz", "wbz.npz", "w.npz", "w.npy", "arr0.npz"] {
                let layer = try LayerArrays.load(path: "\(dir)/\(name)")
                #expect(layer.classes == 7 && layer.dimension == 5, "\(name)")
                #expect(layer.weights.values == referenceMatrix(7, 5), "\(dtype) \(name)")
                #expect(layer.bias == (name.hasPrefix("wb") ? (0..<7).map(Float.init) : nil), "\(name)")
            }
        }
    }

    @Test("the original tool's convention: decoder_Wemb stored features × classes, transposed on load")
    func decoderWemb() throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                W = \(numpyReference(7, 5)).astype('<f4')
                np.savez('\(dir)/tool.npz', decoder_Wemb=W.T.copy())
                np.savez('\(dir)/tool-bias.npz', decoder_Wemb=W.T.copy(),
                             decoder_ff_logit_out_b=np.arange(7, dtype='<f4')[None, :])
                np.savez('\(dir)/tool-b.npz', decoder_Wemb=W.T.copy(), b=np.arange(7, dtype='<f4'))
                np.savez_compressed('\(dir)/tool-fortran.npz', decoder_Wemb=np.asfortranarray(W.T).astype('<f2'))
                # Marian's own files: decoder_Wemb is classes × features, the bias tells.
                np.savez('\(dir)/marian.npz', decoder_Wemb=W, decoder_ff_logit_out_b=np.arange(7, dtype='<f4')[None, :],
                         encoder_Wemb=np.zeros((3, 5), '<f4'))
                """)
            for name in ["tool", "tool-bias", "tool-b", "tool-fortran", "marian"] {
                let layer = try LayerArrays.load(path: "\(dir)/\(name).npz")
                #expect(layer.classes == 7 && layer.dimension == 5, "\(name)")
                #expect(layer.weights.values == referenceMatrix(7, 5), "\(name)")
                #expect(
                    layer.bias == (["tool", "tool-fortran"].contains(name) ? nil : (0..<7).map(Float.init)), "\(name)")
            }
        }
    }

    @Test("a Fortran-ordered decoder_Wemb of little-endian float32 is already classes × features: zero-copy")
    func decoderWembFortranZeroCopy() throws {
        try withTemporaryDirectory { dir in
            let layer = try LayerArrays(
                weights: FloatMatrix(rows: 6, columns: 3, values: referenceMatrix(6, 3)), bias: nil)
            // Write decoder_Wemb = Wᵀ in Fortran order by hand: the bytes of W in C order.
            try NPZArchive.write([.init(name: "W", matrix: layer.weights)], to: "\(dir)/ours.npz")
            try python(
                """
                W = np.load('\(dir)/ours.npz')['W']
                np.save('\(dir)/wt.npy', np.asfortranarray(W.T))
                """)
            let array = try NumpyArray.read(path: "\(dir)/wt.npy")
            #expect(array.fortranOrder && array.shape == [3, 6])
            let weights = try array.matrix(transposed: true)
            #expect(weights.values == referenceMatrix(6, 3) && weights.isMemoryMapped)
        }
    }

    @Test("round trip through our writer, with and without bias, read back in place")
    func roundTrip() throws {
        try withTemporaryDirectory { dir in
            for bias in [false, true] {
                let values = (0..<(40 * 3)).map { Float($0) * 0.1 - 2 }
                let layer = try LayerArrays(
                    weights: FloatMatrix(rows: 40, columns: 3, values: values),
                    bias: bias ? (0..<40).map { Float(-$0) } : nil)
                let path = "\(dir)/out-\(bias).npz"
                try layer.writeNPZ(to: path)
                let back = try LayerArrays.load(path: path)
                #expect(back.weights == layer.weights && back.bias == layer.bias && back.weights.isMemoryMapped)
                #expect(
                    try python("z = np.load('\(path)'); print(sorted(z.files), z['W'].shape)")
                        == "\(bias ? "['W', 'b']" : "['W']") (40, 3)")
            }
        }
    }

    @Test("a mapped layer can be written over the very file it is mapped from (the rename keeps the old data alive)")
    func overwriteOwnSource() throws {
        try withTemporaryDirectory { dir in
            let original = try LayerArrays(
                weights: FloatMatrix(rows: 30, columns: 4, values: referenceMatrix(30, 4)),
                bias: (0..<30).map(Float.init))
            try original.writeNPZ(to: "\(dir)/l.npz")
            let mapped = try LayerArrays.load(path: "\(dir)/l.npz")
            #expect(mapped.weights.isMemoryMapped)
            try mapped.writeNPZ(to: "\(dir)/l.npz")
            let again = try LayerArrays.load(path: "\(dir)/l.npz")
            #expect(
                again.weights == original.weights && again.bias == original.bias && mapped.weights == original.weights)
        }
    }

    @Test("a mapped matrix stays valid after the archive and the arrays it came from are gone")
    func mappingOutlivesItsFile() throws {
        try withTemporaryDirectory { dir in
            let layer = try LayerArrays(
                weights: FloatMatrix(rows: 100, columns: 8, values: referenceMatrix(100, 8)), bias: nil)
            try layer.writeNPZ(to: "\(dir)/l.npz")
            func weightsOnly() throws -> FloatMatrix { try LayerArrays.load(path: "\(dir)/l.npz").weights }
            let weights = try weightsOnly()
            try FileManager.default.removeItem(atPath: "\(dir)/l.npz")  // the mapping keeps the data
            #expect(weights.isMemoryMapped && weights.values == referenceMatrix(100, 8) && weights[99, 7] == 99 - 1.75)
        }
    }

    @Test("invalid layers: NaN/Inf (first position), bias length, empty, 1-D weights, no recognised array")
    func invalidLayers() throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                W = np.ones((3, 2), np.float32); W[1, 1] = np.nan; W[2, 0] = np.inf
                np.savez('\(dir)/nan.npz', W=W)
                np.savez('\(dir)/inf-bias.npz', W=np.ones((3, 2), np.float32),
                             b=np.array([0, -np.inf, np.nan], np.float32))
                T = np.ones((4, 3), np.float16); T[2, 1] = np.inf
                np.savez('\(dir)/wemb-inf.npz', decoder_Wemb=T)
                np.savez('\(dir)/short-bias.npz', W=np.ones((3, 2), np.float32), b=np.zeros(2, np.float32))
                np.savez('\(dir)/matrix-bias.npz', W=np.ones((3, 2), np.float32), b=np.zeros((3, 2), np.float32))
                np.save('\(dir)/empty-rows.npy', np.zeros((0, 4), np.float32))
                np.save('\(dir)/empty-cols.npy', np.zeros((4, 0), np.float32))
                np.save('\(dir)/vector.npy', np.zeros(3, np.float32))
                np.savez('\(dir)/other.npz', weights=np.ones((3, 2), np.float32), bias=np.zeros(3, np.float32))
                np.savez('\(dir)/none.npz')
                np.savez('\(dir)/ints.npz', W=np.ones((3, 2), np.int64))
                """)
            #expect(loadError("\(dir)/nan.npz") == .nonFinite(row: 1, column: 1))
            #expect(loadError("\(dir)/inf-bias.npz") == .nonFiniteBias(index: 1))
            #expect(
                loadError("\(dir)/wemb-inf.npz") == .nonFinite(row: 1, column: 2),
                "positions are in classes × features"
            )
            #expect(loadError("\(dir)/short-bias.npz") == .wrongShape("the bias has 2 entries for 3 classes"))
            #expect(loadError("\(dir)/matrix-bias.npz") == .wrongDimensions(expected: 1, shape: [3, 2]))
            #expect(loadError("\(dir)/empty-rows.npy") == .emptyLayer)
            #expect(loadError("\(dir)/empty-cols.npy") == .emptyLayer)
            #expect(loadError("\(dir)/vector.npy") == .wrongDimensions(expected: 2, shape: [3]))
            #expect(
                loadError("\(dir)/other.npz")
                    == .missingArray(
                        "expected 'W' (classes × features) with optional 'b', "
                            + "or 'decoder_Wemb' (features × classes); found 'weights', 'bias'"
                    ))
            if case .missingArray? = loadError("\(dir)/none.npz") {
            } else {
                Issue.record("an empty archive has no layer")
            }
            #expect(loadError("\(dir)/ints.npz") == .unsupportedDType("<i8"))
            // Errors inside an archive name the array too.
            do { _ = try LayerArrays.load(path: "\(dir)/ints.npz") } catch let error as LayerFormatError {
                #expect(error.path == "\(dir)/ints.npz (array 'W')")
                #expect(
                    error.description
                        == "\(dir)/ints.npz (array 'W'): has unsupported dtype <i8 "
                        + "(supported: float16, float32, float64, either byte order)"
                )
            }
        }
    }

    @Test("LayerArrays validates arrays built in memory too")
    func validatesInMemory() throws {
        #expect(throws: LayerFormatError("generated", .emptyLayer)) {
            try LayerArrays(weights: FloatMatrix(rows: 0, columns: 3, values: []), bias: nil, source: "generated")
        }
        #expect(throws: LayerFormatError("layer", .nonFiniteBias(index: 0))) {
            try LayerArrays(weights: FloatMatrix(rows: 1, columns: 1, values: [0]), bias: [.nan])
        }
    }
}
