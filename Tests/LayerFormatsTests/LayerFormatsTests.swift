import Foundation
import Testing
@testable import LayerFormats

/// A fresh temporary directory per test.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "layerformats-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Runs a Python snippet with numpy (files written BY numpy are the real test of a reader).
@discardableResult
func python(_ code: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", code]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    process.waitUntilExit()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    guard process.terminationStatus == 0 else {
        throw NSError(domain: "python", code: Int(process.terminationStatus),
                      userInfo: [NSLocalizedDescriptionKey: String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)])
    }
    return text
}

@Suite("NumPy files")
struct NumpyFileTests {
    /// The reference matrix: W[i, j] = i − 0.25·j (exact in float16 too).
    static func expected(_ rows: Int, _ columns: Int) -> [Float] {
        (0..<rows).flatMap { i in (0..<columns).map { j in Float(i) - 0.25 * Float(j) } }
    }

    @Test("files written by numpy: every dtype, byte order and memory order", arguments: ["<f2", "<f4", "<f8", ">f4", ">f8"])
    func numpyWritten(dtype: String) throws {
        let dir = temporaryDirectory()
        try python("""
        import numpy as np
        W = (np.arange(7)[:, None] - 0.25 * np.arange(5)[None, :]).astype('\(dtype)')
        np.save('\(dir)/c.npy', W)
        np.save('\(dir)/f.npy', np.asfortranarray(W))
        np.savez('\(dir)/s.npz', W=W, b=np.arange(7).astype('\(dtype)'))
        np.savez_compressed('\(dir)/z.npz', W=W, b=np.arange(7).astype('\(dtype)'))
        """)
        for name in ["c.npy", "f.npy", "s.npz", "z.npz"] {
            let layer = try LayerArrays.load(path: "\(dir)/\(name)")
            #expect(layer.classes == 7 && layer.dimension == 5, "\(name)")
            #expect(layer.weights.values == Self.expected(7, 5), "\(name)")
            if name.hasSuffix(".npz") { #expect(layer.bias == (0..<7).map(Float.init), "\(name)") }
        }
    }

    @Test("little-endian float32 in C order is read from the mapping without a copy")
    func zeroCopy() throws {
        let dir = temporaryDirectory()
        try python("import numpy as np; W=np.ones((300, 64), '<f4'); np.save('\(dir)/w.npy', W); np.savez('\(dir)/w.npz', W=W); np.savez_compressed('\(dir)/z.npz', W=W); np.save('\(dir)/d.npy', W.astype('<f8'))")
        #expect(try LayerArrays.load(path: "\(dir)/w.npy").weights.isMemoryMapped)
        // numpy does not align zip entries, so its .npz data is converted once; ours are aligned.
        let copied = try LayerArrays.load(path: "\(dir)/w.npz")
        try copied.writeNPZ(to: "\(dir)/ours.npz")
        #expect(try LayerArrays.load(path: "\(dir)/ours.npz").weights.isMemoryMapped)
        #expect(try LayerArrays.load(path: "\(dir)/ours.npz").weights.values == copied.weights.values)
        #expect(try !LayerArrays.load(path: "\(dir)/z.npz").weights.isMemoryMapped)
        #expect(try !LayerArrays.load(path: "\(dir)/d.npy").weights.isMemoryMapped)
    }

    @Test("the original tool's convention: decoder_Wemb stored d × C, Marian's bias name")
    func decoderWemb() throws {
        let dir = temporaryDirectory()
        try python("""
        import numpy as np
        W = (np.arange(7)[:, None] - 0.25 * np.arange(5)[None, :]).astype('<f4')
        np.savez('\(dir)/m.npz', decoder_Wemb=W.T.copy(), decoder_ff_logit_out_b=np.arange(7, dtype='<f4')[None, :])
        """)
        let layer = try LayerArrays.load(path: "\(dir)/m.npz")
        #expect(layer.classes == 7 && layer.dimension == 5)
        #expect(layer.weights.values == Self.expected(7, 5))
        #expect(layer.bias == (0..<7).map(Float.init))
    }

    @Test("round trip: what we write, numpy reads, and we read back", arguments: [false, true])
    func roundTrip(bias: Bool) throws {
        let dir = temporaryDirectory()
        let values = (0..<(40 * 3)).map { Float($0) * 0.1 - 2 }
        let layer = try LayerArrays(weights: FloatMatrix(rows: 40, columns: 3, values: values), bias: bias ? (0..<40).map { Float(-$0) } : nil)
        try layer.writeNPZ(to: "\(dir)/out.npz")
        let back = try LayerArrays.load(path: "\(dir)/out.npz")
        #expect(back.weights.values == values && back.bias == layer.bias)
        let summary = try python("import numpy as np; z=np.load('\(dir)/out.npz'); print(z['W'].shape, z['W'].dtype, sorted(z.files), float(z['W'].sum()))")
        #expect(summary.hasPrefix("(40, 3) float32 \(bias ? "['W', 'b']" : "['W']")"))
        let npy = values.withUnsafeBufferPointer { NumpyArray.encode($0, shape: [40, 3]) }
        try npy.write(to: URL(fileURLWithPath: "\(dir)/w.npy"))
        let printed = try python("import numpy as np; print(repr(float(np.load('\(dir)/w.npy')[39, 2])))")
        #expect(Double(printed.trimmingCharacters(in: .whitespacesAndNewlines)) == Double(values[119]))
    }

    @Test("bad files give typed errors that name the file")
    func badFiles() throws {
        let dir = temporaryDirectory()
        func error(_ path: String) -> LayerFormatError.Kind? {
            do { _ = try LayerArrays.load(path: path); return nil } catch let e as LayerFormatError {
                #expect(e.description.hasPrefix(path))
                return e.kind
            } catch { return nil }
        }
        #expect(error("\(dir)/missing.npz") == .missingFile)
        try Data("hello".utf8).write(to: URL(fileURLWithPath: "\(dir)/text.npz"))
        if case .notZip? = error("\(dir)/text.npz") {} else { Issue.record("plain text should not be a zip") }
        try python("""
        import numpy as np
        np.save('\(dir)/i.npy', np.zeros((3, 2), dtype=np.int32))
        np.save('\(dir)/v.npy', np.zeros(3, dtype=np.float32))
        np.save('\(dir)/e.npy', np.zeros((0, 4), dtype=np.float32))
        W = np.ones((3, 2), np.float32); W[1, 1] = np.nan
        np.savez('\(dir)/nan.npz', W=W)
        np.savez('\(dir)/inf.npz', W=np.ones((3, 2), np.float32), b=np.array([0, np.inf, 0], np.float32))
        np.savez('\(dir)/short.npz', W=np.ones((3, 2), np.float32), b=np.zeros(2, np.float32))
        np.savez('\(dir)/other.npz', weights=np.ones((3, 2), np.float32))
        """)
        #expect(error("\(dir)/i.npy") == .unsupportedDType("<i4"))
        if case .wrongShape? = error("\(dir)/v.npy") {} else { Issue.record("1-D weights should be refused") }
        #expect(error("\(dir)/e.npy") == .emptyLayer)
        #expect(error("\(dir)/nan.npz") == .nonFinite(row: 1, column: 1))
        #expect(error("\(dir)/inf.npz") == .nonFiniteBias(index: 1))
        if case .wrongShape? = error("\(dir)/short.npz") {} else { Issue.record("a short bias should be refused") }
        if case .missingArray? = error("\(dir)/other.npz") {} else { Issue.record("no W should be reported") }
    }

    @Test("truncated and garbled variants of a valid file never crash or hang")
    func fuzzedFiles() throws {
        let dir = temporaryDirectory()
        try python("import numpy as np; W=np.random.default_rng(0).normal(size=(20, 4)).astype(np.float32); np.savez('\(dir)/ok.npz', W=W, b=np.zeros(20, np.float32)); np.savez_compressed('\(dir)/okz.npz', W=W, b=np.zeros(20, np.float32)); np.save('\(dir)/ok.npy', W)")
        // (A corrupt deflate stream once made a zip package loop forever; the compressed file guards that.)
        for name in ["ok.npz", "okz.npz", "ok.npy"] {
            let original = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name)"))
            var generator = FuzzGenerator(state: 2022)  // seeded: CI runs the same 300 files every time
            for trial in 0..<300 {
                var bytes = [UInt8](original)
                if trial % 2 == 0 {
                    bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
                } else {
                    for _ in 0..<Int.random(in: 1...8, using: &generator) {
                        bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                    }
                }
                let path = "\(dir)/fuzz-\(trial)-\(name)"
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                do { _ = try LayerArrays.load(path: path) } catch is LayerFormatError {} catch {
                    Issue.record("unexpected error type for \(path): \(error)")
                }
            }
        }
    }

    @Test("atomic writes leave nothing behind when production fails")
    func atomicWrites() throws {
        let dir = temporaryDirectory()
        struct Boom: Error {}
        #expect(throws: (any Error).self) {
            try AtomicFileWriter.write(to: "\(dir)/out.json") { temporary in
                try Data("half".utf8).write(to: URL(fileURLWithPath: temporary))
                throw Boom()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        try AtomicFileWriter.write("done", to: "\(dir)/out.json")
        #expect(try String(contentsOfFile: "\(dir)/out.json", encoding: .utf8) == "done")
        #expect(throws: LayerFormatError.self) { try AtomicFileWriter.write("x", to: "\(dir)/no/such/dir/out.json") }
    }
}

/// A tiny seeded generator so the fuzz cases are reproducible.
struct FuzzGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}
