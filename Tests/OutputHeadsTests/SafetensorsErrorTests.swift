import Foundation
import ModelFormats
import Testing

@testable import OutputHeads

/// A safetensors file with `header` as its JSON and `dataBytes` zero bytes of data.
private func writeSafetensors(_ path: String, header: String, dataBytes: Int, declaredLength: UInt64? = nil) throws {
    let json = Array(header.utf8)
    var bytes = withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian, Array.init)
    bytes += json + [UInt8](repeating: 0, count: dataBytes)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// The problem `SafetensorsFile` reports for `path` (nil if it opens), checking the message names the file.
private func openingError(_ path: String) -> ModelFormatError.Kind? {
    do {
        _ = try SafetensorsFile(path: path)
        return nil
    } catch let error as ModelFormatError {
        #expect(error.description.hasPrefix(path + ": "))
        return error.kind
    } catch {
        Issue.record("not a ModelFormatError: \(error)")
        return nil
    }
}

@Suite("safetensors: hostile and broken files")
struct SafetensorsErrorTests {
    @Test("header problems are refused with the file's name")
    func headers() throws {
        try withTemporaryDirectory { dir in
            let cases: [(String, String, Int, UInt64?)] = [
                ("too-long", #"{}"#, 0, 1 << 40),
                ("past-end", #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#, 4, 10_000),
                ("not-json", #"{"a": [1, 2"#, 0, nil),
                ("not-object", #"[1, 2, 3]"#, 0, nil),
                ("outside", #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, 4, nil),
                ("negative", #"{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}"#, 4, nil),
                ("size", #"{"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}"#, 8, nil),
                (
                    "overlap",
                    #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "#
                        + #""b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#,
                    12, nil
                ),
                ("hole", #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#, 8, nil),
                ("unknown-dtype", #"{"a": {"dtype": "F7", "shape": [1], "data_offsets": [0, 1]}}"#, 1, nil),
                (
                    "overflow", #"{"a": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 4]}}"#,
                    4, nil
                ),
                ("metadata", #"{"__metadata__": {"a": 1}}"#, 0, nil),
            ]
            for (name, header, data, declared) in cases {
                let path = "\(dir)/\(name).safetensors"
                try writeSafetensors(path, header: header, dataBytes: data, declaredLength: declared)
                #expect(openingError(path) != nil, "\(name) should be refused")
            }
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/short.safetensors"))
            #expect(openingError(dir + "/short.safetensors") == .truncated("shorter than the 8-byte header length"))
            #expect(openingError(dir + "/missing.safetensors") == .missingFile)
        }
    }

    @Test("every truncation of a real file is refused, never a crash")
    func truncations() throws {
        try withTemporaryDirectory { dir in
            try python(
                "save_file({'w': np.ones((3, 2), np.float32), 'b': np.zeros(3, np.float16)}, '\(dir)/ok.safetensors')"
            )
            let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/ok.safetensors"))
            #expect(openingError(dir + "/ok.safetensors") == nil)
            for length in 1..<bytes.count {
                let path = "\(dir)/cut.safetensors"
                try bytes.prefix(length).write(to: URL(fileURLWithPath: path))
                #expect(openingError(path) != nil, "a file cut at \(length) bytes opened")
            }
        }
    }

    @Test("integer tensors are listed but refused as a head; NaN weights and mismatched bias name the problem")
    func contents() throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                save_file({'lm_head.weight': np.arange(12, dtype=np.int64).reshape(4, 3)}, '\(dir)/ints.safetensors')
                w = np.ones((4, 3), np.float32); w[2, 1] = np.nan
                save_file({'lm_head.weight': w}, '\(dir)/nan.safetensors')
                save_file({'lm_head.weight': np.ones((4, 3), np.float32), 'lm_head.bias': np.ones(5, np.float32)},
                          '\(dir)/bias.safetensors')
                """)
            let ints = try SafetensorsFile(path: dir + "/ints.safetensors")
            #expect(ints.tensors.first?.dtype == "I64")
            #expect(throws: ModelFormatError.self) { try ModelHead.load(path: dir + "/ints.safetensors") }
            do {
                _ = try ModelHead.load(path: dir + "/nan.safetensors")
                Issue.record("NaN weights accepted")
            } catch {
                #expect("\(error)".contains("NaN") && "\(error)".contains("nan.safetensors"))
            }
            do {
                _ = try ModelHead.load(path: dir + "/bias.safetensors")
                Issue.record("a 5-value bias for 4 classes accepted")
            } catch {
                #expect("\(error)".contains("5 values") && "\(error)".contains("4 classes"))
            }
        }
    }
}
