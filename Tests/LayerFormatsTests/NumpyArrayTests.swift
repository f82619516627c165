import Foundation
import Testing
@testable import LayerFormats

@Suite("Reading .npy files")
struct NumpyArrayTests {
    @Test(
        "files written by numpy: every dtype and byte order, C and Fortran order, format versions 1.0–3.0",
        arguments: ["<f2", ">f2", "<f4", ">f4", "<f8", ">f8"])
    func numpyWritten(dtype: String) throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                from numpy.lib import format as fmt
                W = \(numpyReference(7, 5)).astype('\(dtype)')
                np.save('\(dir)/c.npy', W)
                np.save('\(dir)/f.npy', np.asfortranarray(W))
                for version in [(1, 0), (2, 0), (3, 0)]:
                    with open('\(dir)/v%d.npy' % version[0], 'wb') as f:
                        fmt.write_array(f, np.asfortranarray(W) if version[0] == 2 else W, version=version)
                """)
            for name in ["c", "f", "v1", "v2", "v3"] {
                let array = try NumpyArray.read(path: "\(dir)/\(name).npy")
                #expect(array.shape == [7, 5])
                #expect(array.fortranOrder == (name == "f" || name == "v2"), "\(name)")
                let matrix = try array.matrix()
                #expect(matrix.rows == 7 && matrix.columns == 5)
                #expect(matrix.values == referenceMatrix(7, 5), "\(dtype) \(name)")
                // Reading transposed gives the transpose, whatever the stored order.
                #expect(try array.matrix(transposed: true) == matrix.transposed(), "\(dtype) \(name)")
                #expect(matrix.isMemoryMapped == (dtype == "<f4" && !array.fortranOrder), "\(dtype) \(name)")
            }
        }
    }

    @Test("every float16 value widens exactly as numpy widens it (all 65 536 bit patterns, both byte orders)")
    func float16Exhaustive() throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                bits = np.arange(65536, dtype=np.uint16)
                np.save('\(dir)/le.npy', bits.view('<f2').reshape(256, 256))
                np.save('\(dir)/be.npy', bits.astype('>u2').view('>f2').reshape(256, 256))
                np.save('\(dir)/wide.npy', bits.view('<f2').astype('<f4').reshape(256, 256))
                """)
            let wide = try NumpyArray.read(path: "\(dir)/wide.npy").matrix().values.map(\.bitPattern)
            for name in ["le", "be"] {
                let ours = try NumpyArray.read(path: "\(dir)/\(name).npy").matrix().values.map(\.bitPattern)
                let differing = (0..<65536).filter { ours[$0] != wide[$0] }
                #expect(
                    differing.isEmpty,
                    """
                    \(name): float16 → float32 must match numpy bit for bit (NaN payloads included); \
                    first differing: \(differing.prefix(5).map { String($0, radix: 16) })
                    """
                )
            }
            // Swift's own conversion agrees on every non-NaN value (it quiets signalling NaNs, numpy does not).
            let swiftDiffering = (0...UInt16.max).filter { bits in
                let half = Float16(bitPattern: bits)
                return !half.isNaN && Float(half).bitPattern != widenFloat16(bits)
            }
            #expect(swiftDiffering.isEmpty)
            // And the known anchors, independently of numpy.
            let values = try NumpyArray.read(path: "\(dir)/le.npy").matrix().values
            #expect(values[0x3C00] == 1 && values[0xC000] == -2 && values[0x0001] == 0x1p-24 && values[0x7BFF] == 65504)
            #expect(values[0x7C00] == .infinity && values[0x7E00].isNaN)
        }
    }

    @Test("float64 is rounded to the nearest float32, as numpy's astype does")
    func float64Rounding() throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                rng = np.random.default_rng(7)
                W = rng.normal(size=(40, 9)) * 10.0 ** rng.integers(-30, 30, size=(40, 9))
                np.save('\(dir)/d.npy', W)
                np.save('\(dir)/s.npy', W.astype(np.float32))
                """)
            let ours = try NumpyArray.read(path: "\(dir)/d.npy").matrix()
            let numpys = try NumpyArray.read(path: "\(dir)/s.npy").matrix()
            #expect(ours.values.map(\.bitPattern) == numpys.values.map(\.bitPattern))
        }
    }

    @Test("1-D arrays and 1 × C / C × 1 arrays read as vectors; other shapes do not")
    func vectors() throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                np.save('\(dir)/v.npy', np.arange(6, dtype='>f8'))
                np.save('\(dir)/row.npy', np.arange(6, dtype='<f2')[None, :])
                np.save('\(dir)/col.npy', np.asfortranarray(np.arange(6, dtype='<f4')[:, None]))
                np.save('\(dir)/m.npy', np.zeros((2, 3), '<f4'))
                np.save('\(dir)/t.npy', np.zeros((2, 3, 4), '<f4'))
                np.save('\(dir)/s.npy', np.float32(3))
                """)
            for name in ["v", "row", "col"] {
                #expect(try NumpyArray.read(path: "\(dir)/\(name).npy").vector() == [0, 1, 2, 3, 4, 5], "\(name)")
            }
            #expect(throws: LayerFormatError("\(dir)/m.npy", .wrongDimensions(expected: 1, shape: [2, 3]))) {
                try NumpyArray.read(path: "\(dir)/m.npy").vector()
            }
            #expect(throws: LayerFormatError("\(dir)/t.npy", .wrongDimensions(expected: 2, shape: [2, 3, 4]))) {
                try NumpyArray.read(path: "\(dir)/t.npy").matrix()
            }
            #expect(throws: LayerFormatError("\(dir)/v.npy", .wrongDimensions(expected: 2, shape: [6]))) {
                try NumpyArray.read(path: "\(dir)/v.npy").matrix()
            }
            let scalar = try NumpyArray.read(path: "\(dir)/s.npy")
            #expect(scalar.shape == [] && scalar.elementCount == 1)
        }
    }

    @Test("what we write, numpy reads: values, dtype, shape, and a 64-byte aligned header")
    func writtenForNumpy() throws {
        try withTemporaryDirectory { dir in
            let values = (0..<(13 * 3)).map { Float($0) * 0.1 - 2 }
            try values.withUnsafeBufferPointer { try NumpyArray.write($0, shape: [13, 3], to: "\(dir)/m.npy") }
            try NumpyArray.write(FloatMatrix(rows: 1, columns: 4, values: [1, 2, 3, 4]), to: "\(dir)/row.npy")
            try [Float](repeating: 0.5, count: 5).withUnsafeBufferPointer {
                try NumpyArray.write($0, shape: [5], to: "\(dir)/v.npy")
            }
            try [Float]().withUnsafeBufferPointer { try NumpyArray.write($0, shape: [0, 7], to: "\(dir)/e.npy") }
            let report = try python(
                """
                m = np.load('\(dir)/m.npy'); v = np.load('\(dir)/v.npy')
                e = np.load('\(dir)/e.npy'); r = np.load('\(dir)/row.npy')
                expected = (np.arange(39, dtype=np.float32) * np.float32(0.1) - np.float32(2)).reshape(13, 3)
                print(m.dtype, m.shape, bool((m == expected).all()), v.shape, float(v.sum()), e.shape, r.tolist(),
                      len(open('\(dir)/m.npy', 'rb').read()) - 13 * 3 * 4)
                """)
            #expect(report == "float32 (13, 3) True (5,) 2.5 (0, 7) [[1.0, 2.0, 3.0, 4.0]] 128")
            #expect(try NumpyArray.read(path: "\(dir)/m.npy").matrix().values == values)
        }
    }

    @Test("a header too long for format 1.0 is written as 2.0 and read back")
    func longHeader() throws {
        try withTemporaryDirectory { dir in
            let shape = [1] + [Int](repeating: 1, count: 23_000) + [3]  // a 69 000-character shape tuple
            try [Float](arrayLiteral: 1, 2, 3).withUnsafeBufferPointer {
                try NumpyArray.write($0, shape: shape, to: "\(dir)/long.npy")
            }
            let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/long.npy"))
            #expect(bytes[6] == 2, "format version 2.0")
            let array = try NumpyArray.read(path: "\(dir)/long.npy")
            #expect(array.shape == shape && array.elementCount == 3)
            // (numpy itself refuses more than 64 dimensions, so only the format is shared with it here.)
            #expect(
                try python(
                    "from numpy.lib import format as fmt; f = open('\(dir)/long.npy', 'rb'); print(fmt.read_magic(f))")
                    == "(2, 0)")
        }
    }
}
