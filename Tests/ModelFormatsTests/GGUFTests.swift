import Foundation
import LayerFormats
import Testing
@testable import ModelFormats

/// The fp16 scale fields of each block type (byte offsets in the block): random blocks get small
/// finite scales there, so every other bit pattern of the quants is exercised.
private let scaleFields: [String: [Int]] = [
    "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0],
    "Q2_K": [80, 82], "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208],
]

@Suite("GGUF dequantisation against gguf-py")
struct GGUFDequantizationTests {
    /// Random blocks (3 rows × 3 blocks per row) written by GGUFWriter; the reference is
    /// `gguf.quants.dequantize` of the same bytes.
    @Test(arguments: ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"])
    func randomBlocksMatchTheReference(type: String) throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/model.gguf", reference = directory + "/reference.f32"
        let fields = scaleFields[type]!.map(String.init).joined(separator: ", ")
        let shape = try ggufPython(
            """
            qt = gguf.GGMLQuantizationType.\(type)
            block, size = gguf.GGML_QUANT_SIZES[qt]
            rng = np.random.default_rng(\(type.utf8.reduce(0) { $0 * 31 + Int($1) }))
            raw = rng.integers(0, 256, size=(3, 3, size), dtype=np.uint8)
            for at in [\(fields)]:
                scales = rng.uniform(-2, 2, size=(3, 3, 1)).astype(np.float16)
                raw[:, :, at:at + 2] = scales.view(np.uint8)
            data = raw.reshape(3, 3 * size)
            w = gguf.GGUFWriter("\(file)", "test")
            w.add_tensor("output.weight", data, raw_dtype=qt)
            w.add_tensor("row", data[1], raw_dtype=qt)
            w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
            values = gguf.quants.dequantize(data, qt)
            values.astype('<f4').tofile("\(reference)")
            print(values.shape[0], values.shape[1])
            """)
        let expected = try readFloat32File(reference)
        let gguf = try GGUFFile(path: file)
        let columns = 3 * GGMLType.known.values.first { $0.name == type }!.blockSize
        #expect(shape == "3 \(columns)")
        #expect(gguf.tensors.map(\.dtype) == [type, type])
        #expect(gguf.tensor("output.weight")?.shape == [3, columns])
        let matrix = try gguf.matrix("output.weight")
        #expect(matrix.rows == 3 && matrix.columns == columns)
        #expect(firstBitDifference(matrix.values, expected) == nil)
        let row = try gguf.vector("row")
        #expect(firstBitDifference(row, Array(expected[columns..<(2 * columns)])) == nil)
    }

    /// Values quantised by gguf-py (and the plain float types), dequantised by gguf-py.
    @Test(arguments: ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "BF16", "F16", "F32"])
    func quantisedByGGUFPyMatchTheReference(type: String) throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/model.gguf", reference = directory + "/reference.f32"
        try ggufPython(
            """
            qt = gguf.GGMLQuantizationType.\(type)
            rng = np.random.default_rng(7)
            x = (rng.standard_normal((5, 128)) * 3).astype(np.float32)
            x[0, :4] = [0, -0.0, 1e-8, 65504]
            q = gguf.quants.quantize(x, qt)
            w = gguf.GGUFWriter("\(file)", "test")
            if q.dtype == np.uint8:
                w.add_tensor("output.weight", q, raw_dtype=qt)
            else:
                w.add_tensor("output.weight", q)
            w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
            gguf.quants.dequantize(q, qt).astype('<f4').tofile("\(reference)")
            """)
        let gguf = try GGUFFile(path: file)
        #expect(gguf.tensors == [TensorInfo(name: "output.weight", dtype: type, shape: [5, 128])])
        let matrix = try gguf.matrix("output.weight")
        #expect(firstBitDifference(matrix.values, try readFloat32File(reference)) == nil)
        // Aligned float32 data is viewed in the mapping, not copied.
        #expect(matrix.isMemoryMapped == (type == "F32"))
    }

    /// Every 16-bit pattern (NaNs, infinities, subnormals, both zeros) as F16 and as BF16.
    @Test(arguments: ["F16", "BF16"])
    func everyHalfPrecisionBitPattern(type: String) throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/model.gguf", reference = directory + "/reference.f32"
        try ggufPython(
            """
            qt = gguf.GGMLQuantizationType.\(type)
            bits = np.arange(65536, dtype=np.uint16).reshape(256, 256)
            w = gguf.GGUFWriter("\(file)", "test")
            if qt == gguf.GGMLQuantizationType.F16:
                w.add_tensor("output.weight", bits.view(np.float16))
            else:
                w.add_tensor("output.weight", bits.view(np.uint8), raw_dtype=qt)
            w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
            gguf.quants.dequantize(bits.view(np.uint8), qt).astype('<f4').tofile("\(reference)")
            """)
        let gguf = try GGUFFile(path: file)
        #expect(gguf.tensors == [TensorInfo(name: "output.weight", dtype: type, shape: [256, 256])])
        let expected = try readFloat32File(reference)
        #expect(firstBitDifference(try gguf.matrix("output.weight").values, expected) == nil)
        #expect(expected.contains { $0.isNaN } && expected.contains(.infinity))
    }

    /// Q8_K has no gguf-py dequantiser: the reference is ggml's definition, d · q.
    @Test func q8KIsScaleTimesQuant() throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/model.gguf", reference = directory + "/reference.f32"
        try ggufPython(
            """
            qt = gguf.GGMLQuantizationType.Q8_K
            rng = np.random.default_rng(3)
            raw = rng.integers(0, 256, size=(2, 2, 292), dtype=np.uint8)
            d = rng.uniform(-1, 1, size=(2, 2, 1)).astype(np.float32)
            raw[:, :, 0:4] = d.view(np.uint8)
            w = gguf.GGUFWriter("\(file)", "test")
            w.add_tensor("output.weight", raw.reshape(2, 2 * 292), raw_dtype=qt)
            w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
            q = raw[:, :, 4:260].view(np.int8).astype(np.float32)
            (d * q).reshape(2, 512).astype('<f4').tofile("\(reference)")
            """)
        let matrix = try GGUFFile(path: file).matrix("output.weight")
        #expect(matrix.rows == 2 && matrix.columns == 512)
        #expect(firstBitDifference(matrix.values, try readFloat32File(reference)) == nil)
    }

    /// A matrix large enough to be split across threads gives the same values as gguf-py.
    @Test func largeQ8_0MatrixInParallelChunks() throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/model.gguf", reference = directory + "/reference.f32"
        try ggufPython(
            """
            qt = gguf.GGMLQuantizationType.Q8_0
            rng = np.random.default_rng(11)
            raw = rng.integers(0, 256, size=(1030, 40, 34), dtype=np.uint8)
            raw[:, :, 0:2] = rng.uniform(-1, 1, size=(1030, 40, 1)).astype(np.float16).view(np.uint8)
            data = raw.reshape(1030, 40 * 34)
            w = gguf.GGUFWriter("\(file)", "test")
            w.add_tensor("output.weight", data, raw_dtype=qt)
            w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
            gguf.quants.dequantize(data, qt).astype('<f4').tofile("\(reference)")
            """)
        let matrix = try GGUFFile(path: file).matrix("output.weight")
        #expect(matrix.rows == 1030 && matrix.columns == 1280)
        #expect(firstBitDifference(matrix.values, try readFloat32File(reference)) == nil)
    }

    /// A type the tool cannot convert is named in the error; the file itself still opens.
    @Test func unsupportedTypeIsNamed() throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/iq4.gguf"
        var builder = GGUFBuilder()
        builder.tensors = [.init(name: "output.weight", ne: [32, 2], type: 20, offset: 0)]  // IQ4_NL
        builder.data = [UInt8](repeating: 0, count: 36)
        try builder.write(to: path)
        let gguf = try GGUFFile(path: path)
        #expect(gguf.tensors == [TensorInfo(name: "output.weight", dtype: "IQ4_NL", shape: [2, 32])])
        #expect(throws: ModelFormatError(path, .unsupportedDType(tensor: "output.weight", dtype: "IQ4_NL"))) {
            try gguf.matrix("output.weight")
        }
        #expect(throws: ModelFormatError(path, .missingTensor("nope"))) { try gguf.matrix("nope") }
    }
}

@Suite("GGUF header and metadata")
struct GGUFHeaderTests {
    @Test func metadataRoundTrip() throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.gguf"
        try ggufPython(
            """
            T = gguf.GGUFValueType
            w = gguf.GGUFWriter("\(path)", "llama")
            w.add_string("general.name", "tiny ünïcode")
            w.add_uint8("t.u8", 200); w.add_int8("t.i8", -100)
            w.add_uint16("t.u16", 60000); w.add_int16("t.i16", -30000)
            w.add_uint32("t.u32", 4000000000); w.add_int32("t.i32", -2000000000)
            w.add_uint64("t.u64", 18000000000000000000); w.add_int64("t.i64", -9000000000000000000)
            w.add_float32("t.f32", 0.1); w.add_float64("t.f64", 0.1)
            w.add_bool("t.yes", True); w.add_bool("t.no", False)
            w.add_array("t.ints", [1, -2, 3])
            w.add_array("t.floats", [0.5, -1.25])
            w.add_array("t.nested", [[1, 2], [3]])
            w.add_token_list(["<s>", "Ġhello", "wörld", ""])
            w.add_tensor("output.weight", (np.arange(32, dtype=np.float32) - 5).reshape(4, 8))
            w.add_tensor("output_norm.weight", np.arange(8, dtype=np.float16))
            w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
            """)
        let gguf = try GGUFFile(path: path)
        #expect(gguf.version == 3)
        #expect(gguf.architecture == "llama")
        #expect(gguf.metadata["general.name"]?.string == "tiny ünïcode")
        #expect(gguf.metadata["t.u8"] == .uint8(200))
        #expect(gguf.metadata["t.i8"] == .int8(-100))
        #expect(gguf.metadata["t.u16"] == .uint16(60000))
        #expect(gguf.metadata["t.i16"] == .int16(-30000))
        #expect(gguf.metadata["t.u32"] == .uint32(4_000_000_000))
        #expect(gguf.metadata["t.i32"]?.int == -2_000_000_000)
        #expect(gguf.metadata["t.u64"] == .uint64(18_000_000_000_000_000_000))
        #expect(gguf.metadata["t.u64"]?.int == nil)
        #expect(gguf.metadata["t.i64"] == .int64(-9_000_000_000_000_000_000))
        #expect(gguf.metadata["t.f32"] == .float32(0.1))
        #expect(gguf.metadata["t.f64"] == .float64(0.1))
        #expect(gguf.metadata["t.yes"]?.bool == true)
        #expect(gguf.metadata["t.no"]?.bool == false)
        #expect(gguf.metadata["t.ints"]?.intArray == [1, -2, 3])
        #expect(gguf.metadata["t.floats"]?.doubleArray == [0.5, -1.25])
        #expect(gguf.metadata["t.nested"] == .array([.array([.int32(1), .int32(2)]), .array([.int32(3)])]))
        #expect(gguf.tokens == ["<s>", "Ġhello", "wörld", ""])
        #expect(gguf.alignment == 32 && gguf.dataOffset % 32 == 0)
        #expect(
            gguf.tensors == [
                TensorInfo(name: "output.weight", dtype: "F32", shape: [4, 8]),
                TensorInfo(name: "output_norm.weight", dtype: "F16", shape: [8]),
            ])
        let matrix = try gguf.matrix("output.weight")
        #expect(matrix.rows == 4 && matrix.columns == 8 && matrix[1, 2] == 5)
        #expect(try gguf.vector("output_norm.weight") == (0..<8).map(Float.init))
        #expect(throws: ModelFormatError.self) { try gguf.matrix("output_norm.weight") }
        #expect(throws: ModelFormatError.self, "a 4 × 8 matrix is no vector") { try gguf.vector("output.weight") }
    }

    /// Version 2 has the same layout as version 3 (64-bit counts and lengths); a custom alignment
    /// moves the data section and the tensor offsets.
    @Test func version2AndCustomAlignment() throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.gguf"
        try ggufPython(
            """
            w = gguf.GGUFWriter("\(path)", "gpt2")
            w.add_custom_alignment(64)
            w.add_tensor("a", np.ones((3,), dtype=np.float32))
            w.add_tensor("output.weight", np.arange(6, dtype=np.float32).reshape(2, 3))
            w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
            with open("\(path)", "r+b") as f:
                f.seek(4); f.write((2).to_bytes(4, "little"))
            """)
        let gguf = try GGUFFile(path: path)
        #expect(gguf.version == 2)
        #expect(gguf.alignment == 64 && gguf.dataOffset % 64 == 0)
        #expect(try gguf.matrix("output.weight").values == [0, 1, 2, 3, 4, 5])
        #expect(try gguf.vector("a") == [1, 1, 1])
    }

    @Test func handBuiltFileOpens() throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/hand.gguf"
        var builder = GGUFBuilder()
        builder.version = 2
        builder.metadata = [("general.architecture", GGUFBuilder.stringValue("x"))]
        builder.tensors = [
            .init(name: "b", ne: [2], type: 0, offset: 32),
            .init(name: "w", ne: [2, 3], type: 0, offset: 0),
            .init(name: "empty", ne: [0, 4], type: 8, offset: 32),
        ]
        builder.data = (0..<10).flatMap { GGUFBuilder.u32(Float($0).bitPattern) }
        try builder.write(to: path)
        let gguf = try GGUFFile(path: path)
        #expect(gguf.architecture == "x" && gguf.version == 2)
        #expect(try gguf.matrix("w").values == [0, 1, 2, 3, 4, 5])
        #expect(try gguf.vector("b") == [8, 9])
        #expect(try gguf.matrix("empty").rows == 4)
    }
}

@Suite("GGUF hostile files")
struct GGUFHostileTests {
    /// Every proper prefix of a small file gguf-py wrote is refused with an error naming the file.
    @Test func everyPrefixThrows() throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.gguf", prefix = directory + "/prefix.gguf"
        try ggufPython(
            """
            w = gguf.GGUFWriter("\(path)", "llama")
            w.add_uint32("n", 7); w.add_float64("f", 2.5); w.add_bool("b", True)
            w.add_token_list(["a", "bc"]); w.add_array("nested", [[1], [2, 3]])
            w.add_tensor("output.weight", np.ones((2, 4), dtype=np.float32))
            w.add_tensor("q", gguf.quants.quantize(np.ones((1, 32), dtype=np.float32), gguf.GGMLQuantizationType.Q8_0),
                         raw_dtype=gguf.GGMLQuantizationType.Q8_0)
            w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
            """)
        // The last tensor (34 bytes) is followed by padding, which a prefix may lose harmlessly.
        let whole = try GGUFFile(path: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let end = whole.dataOffset + 64
        #expect(bytes.count >= end)
        for length in 0..<end {
            try Data(bytes[0..<length]).write(to: URL(fileURLWithPath: prefix))
            #expect(ggufOpenError(prefix) != nil, "a prefix of \(length) bytes opened")
        }
    }

    @Test func wrongMagicAndVersions() throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/bad.gguf"
        var builder = GGUFBuilder()
        builder.magic = Array("GGML".utf8)
        try builder.write(to: path)
        #expect(ggufOpenError(path) == .unknownFormat("no GGUF magic (the file starts with bytes 47 47 4d 4c)"))
        for (version, message) in [
            (1 as UInt32, "GGUF version 1 is not supported (only versions 2 and 3)"),
            (4, "GGUF version 4 is not supported (only versions 2 and 3)"),
            (3 << 24, "big-endian GGUF is not supported (only little-endian)"),
        ] {
            builder = GGUFBuilder()
            builder.version = version
            try builder.write(to: path)
            #expect(ggufOpenError(path) == .unknownFormat(message))
        }
        #expect(ggufOpenError(directory + "/missing.gguf") == .missingFile)
    }

    @Test func hugeLengthsAndCounts() throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/bad.gguf"
        func kind(_ build: (inout GGUFBuilder) -> Void) throws -> ModelFormatError.Kind? {
            var builder = GGUFBuilder()
            build(&builder)
            try builder.write(to: path)
            return ggufOpenError(path)
        }
        // A string claiming 2^62 bytes.
        let hugeString = GGUFBuilder.u32(8) + GGUFBuilder.u64(1 << 62) + Array("abc".utf8)
        guard case .truncated(let why) = try kind({ $0.metadata = [("k", hugeString)] }) else {
            Issue.record("a huge string length should be reported as truncated")
            return
        }
        #expect(why.contains("metadata 'k'"))
        // A key claiming UInt64.max bytes.
        let hugeKey = Array("GGUF".utf8) + GGUFBuilder.u32(3) + GGUFBuilder.u64(0) + GGUFBuilder.u64(1)
        try Data(hugeKey + GGUFBuilder.u64(.max) + Array("abc".utf8)).write(to: URL(fileURLWithPath: path))
        #expect(ggufOpenError(path).map(isTruncated) == true)
        // An array claiming 2^60 uint8 elements, and 2^40 nested arrays.
        let hugeArray = GGUFBuilder.u32(9) + GGUFBuilder.u32(0) + GGUFBuilder.u64(1 << 60) + [1, 2, 3]
        #expect(try kind({ $0.metadata = [("a", hugeArray)] }).map(isTruncated) == true)
        let hugeNested = GGUFBuilder.u32(9) + GGUFBuilder.u32(9) + GGUFBuilder.u64(1 << 40) + [1, 2, 3]
        #expect(try kind({ $0.metadata = [("a", hugeNested)] }).map(isTruncated) == true)
        // Counts in the header beyond what the file can hold.
        #expect(try kind({ $0.tensorCount = .max }).map(isTruncated) == true)
        #expect(try kind({ $0.metadataCount = 1 << 50 }).map(isTruncated) == true)
        // Arrays nested too deep, an unknown value type, a bool that is not 0 or 1, a duplicate key.
        var nested = GGUFBuilder.u32(9) + GGUFBuilder.u32(0) + GGUFBuilder.u64(1) + [7]
        for _ in 0..<10 { nested = GGUFBuilder.u32(9) + GGUFBuilder.u32(9) + GGUFBuilder.u64(1) + nested.dropFirst(4) }
        #expect(try kind({ $0.metadata = [("deep", nested)] }).map(isMalformed) == true)
        #expect(try kind({ $0.metadata = [("t", GGUFBuilder.u32(13) + [0])] }).map(isMalformed) == true)
        #expect(try kind({ $0.metadata = [("t", GGUFBuilder.u32(7) + [2])] }).map(isMalformed) == true)
        let twice = [("k", GGUFBuilder.uint32Value(1)), ("k", GGUFBuilder.uint32Value(2))]
        #expect(try kind({ $0.metadata = twice }) == .malformedHeader("the metadata key 'k' appears twice"))
        let badAlignment = [("general.alignment", GGUFBuilder.uint32Value(24))]
        #expect(try kind({ $0.metadata = badAlignment }).map(isMalformed) == true)
    }

    @Test func badTensorLayouts() throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/bad.gguf"
        func layoutError(_ tensors: [GGUFBuilder.Tensor], data: Int = 64) throws -> (String, String)? {
            var builder = GGUFBuilder()
            builder.tensors = tensors
            builder.data = [UInt8](repeating: 0, count: data)
            try builder.write(to: path)
            guard case .badTensorLayout(let tensor, let why) = ggufOpenError(path) else { return nil }
            return (tensor, why)
        }
        typealias T = GGUFBuilder.Tensor
        // Past the end of the data section (16 floats = 64 bytes from offset 32 in 64 bytes).
        let past = try layoutError([T(name: "w", ne: [4, 4], type: 0, offset: 32)])
        #expect(past?.0 == "w" && past?.1.contains("outside the data section") == true)
        let farPast = try layoutError([T(name: "w", ne: [1], type: 0, offset: 1 << 63)])
        #expect(farPast?.0 == "w")
        // Overlapping: b starts inside a.
        let overlap = try layoutError([
            T(name: "a", ne: [16], type: 0, offset: 0), T(name: "b", ne: [4], type: 0, offset: 32),
        ])
        #expect(overlap?.0 == "b" && overlap?.1 == "its bytes overlap those of tensor 'a'")
        // Misaligned offset, unknown type, rows not whole blocks, duplicate names, too many
        // dimensions, dimensions whose product overflows.
        let misaligned = try layoutError([T(name: "m", ne: [4], type: 0, offset: 4)])
        #expect(misaligned?.0 == "m" && misaligned?.1.contains("not a multiple of the alignment 32") == true)
        let unknown = try layoutError([T(name: "u", ne: [4], type: 31, offset: 0)])
        #expect(unknown?.0 == "u" && unknown?.1.contains("unknown ggml type id 31") == true)
        let partial = try layoutError([T(name: "p", ne: [48, 1], type: 8, offset: 0)])
        #expect(partial?.0 == "p" && partial?.1.contains("32-value blocks") == true)
        let twice = try layoutError([
            T(name: "d", ne: [4], type: 0, offset: 0), T(name: "d", ne: [4], type: 0, offset: 32),
        ])
        #expect(twice?.0 == "d" && twice?.1.contains("appears twice") == true)
        let fiveD = try layoutError([T(name: "f", ne: [1, 1, 1, 1, 1], type: 0, offset: 0)])
        #expect(fiveD?.0 == "f")
        let overflow = try layoutError([T(name: "o", ne: [1 << 32, 1 << 32, 1 << 32], type: 0, offset: 0)])
        #expect(overflow?.0 == "o" && overflow?.1.contains("too large") == true)
        let huge = try layoutError([T(name: "h", ne: [.max], type: 0, offset: 0)])
        #expect(huge?.0 == "h")
        // A zero extent must not hide an overflow of the others; nor may a huge row of blocks.
        let hidden = try layoutError([T(name: "z", ne: [0, 1 << 32, 1 << 32], type: 0, offset: 0)])
        #expect(hidden?.0 == "z" && hidden?.1.contains("too large") == true)
        let longRow = try layoutError([T(name: "r", ne: [UInt64(Int.max) & ~31], type: 8, offset: 0)])
        #expect(longRow?.0 == "r" && longRow?.1.contains("too large") == true)
    }

    /// Random byte changes in the header and random truncations: each file opens or throws a
    /// ModelFormatError, and every tensor of the files that open converts or throws.
    @Test func mutatedHeadersNeverTrap() throws {
        let directory = try ggufTemporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.gguf", mutated = directory + "/mutated.gguf"
        try ggufPython(
            """
            T = gguf.GGMLQuantizationType
            rng = np.random.default_rng(5)
            w = gguf.GGUFWriter("\(path)", "llama")
            w.add_token_list(["a", "b", "c"]); w.add_array("nested", [[1], [2, 3]]); w.add_float32("eps", 1e-5)
            w.add_tensor("output.weight", np.ones((2, 8), dtype=np.float32))
            raw = rng.integers(0, 256, size=(2, 144), dtype=np.uint8); raw[:, 0:4] = 0
            w.add_tensor("k", raw, raw_dtype=T.Q4_K)
            w.add_tensor("q", gguf.quants.quantize(np.ones((1, 64), dtype=np.float32), T.Q8_0), raw_dtype=T.Q8_0)
            w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
            """)
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let header = try GGUFFile(path: path).dataOffset
        var random = GGUFSeededGenerator(state: 42)
        var opened = 0
        for round in 0..<1500 {
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let at = Int.random(in: 0..<header, using: &random)
                bytes[at] = round % 3 == 0 ? UInt8.random(in: 0...255, using: &random) : bytes[at] ^ (1 << (at % 8))
            }
            if round % 5 == 0 { bytes.removeLast(Int.random(in: 0..<bytes.count, using: &random)) }
            try Data(bytes).write(to: URL(fileURLWithPath: mutated))
            do {
                let gguf = try GGUFFile(path: mutated)
                opened += 1
                for tensor in gguf.tensors {
                    _ = try? gguf.matrix(tensor.name)
                    _ = try? gguf.vector(tensor.name)
                }
            } catch let error as ModelFormatError {
                #expect(error.description.hasPrefix(mutated + ": "))
            }
        }
        #expect(opened > 0, "some mutations (e.g. in metadata values) leave a readable file")
    }

    private func isTruncated(_ kind: ModelFormatError.Kind) -> Bool {
        if case .truncated = kind { return true }
        return false
    }

    private func isMalformed(_ kind: ModelFormatError.Kind) -> Bool {
        if case .malformedHeader = kind { return true }
        return false
    }
}
