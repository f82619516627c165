import Foundation
import Testing
@testable import LayerFormats

@Suite(".npz archives")
struct NPZArchiveTests {
    @Test(
        "np.savez and np.savez_compressed archives, every dtype and memory order",
        arguments: ["<f2", "<f4", ">f4", "<f8"])
    func numpyArchives(dtype: String) throws {
        try withTemporaryDirectory { dir in
            try python(
                """
                W = \(numpyReference(9, 4)).astype('\(dtype)')
                for save, name in [(np.savez, 's'), (np.savez_compressed, 'z')]:
                    save('\(dir)/%s.npz' % name, W=W, F=np.asfortranarray(W), b=np.arange(9).astype('\(dtype)'))
                """)
            for name in ["s", "z"] {
                let archive = try NPZArchive(path: "\(dir)/\(name).npz")
                #expect(archive.names == ["W", "F", "b"])
                #expect(try archive.array(named: "W")?.matrix().values == referenceMatrix(9, 4), "\(dtype) \(name)")
                #expect(try archive.array(named: "F")?.matrix().values == referenceMatrix(9, 4), "\(dtype) \(name)")
                #expect(try archive.array(named: "b")?.vector() == (0..<9).map(Float.init), "\(dtype) \(name)")
                #expect(try archive.array(named: "missing") == nil)
            }
        }
    }

    @Test(
        "what we write, numpy reads (plain and ZIP64 records), and we read it back in place", arguments: [false, true])
    func writtenForNumpy(zip64: Bool) throws {
        try withTemporaryDirectory { dir in
            let weights = FloatMatrix(rows: 50, columns: 7, values: (0..<350).map { Float($0) / 8 - 20 })
            let bias = (0..<50).map { Float($0) * -0.5 }
            let path = "\(dir)/out.npz"
            try NPZArchive.write(
                [.init(name: "W", matrix: weights), .init(name: "b", vector: bias), .init(name: "päd", vector: [])],
                to: path, forceZIP64: zip64)
            let report = try python(
                """
                import zipfile
                z = np.load('\(path)')
                W = np.arange(350, dtype=np.float32).reshape(50, 7) / 8 - 20
                print(sorted(z.files), z['W'].dtype, z['W'].shape, bool((z['W'] == W).all()), float(z['b'].sum()),
                          z['päd'].shape,
                      zipfile.ZipFile('\(path)').testzip(), zipfile.ZipFile('\(path)').infolist()[0].file_size)
                """)
            #expect(report == "['W', 'b', 'päd'] float32 (50, 7) True -612.5 (0,) None 1528")
            let archive = try NPZArchive(path: path)
            let back = try #require(try archive.array(named: "W")).matrix()
            #expect(back == weights && back.isMemoryMapped, "64-byte aligned entries are viewed in place")
            // Zero copy, checked by address: the values lie inside the mapped file, 64-byte aligned.
            let file = archive.file.bytes
            back.withUnsafeBufferPointer { values in
                let start = UnsafeRawPointer(values.baseAddress!)
                #expect(start >= file.baseAddress! && start + 350 * 4 <= file.baseAddress! + file.count)
                #expect((start - file.baseAddress!) % 64 == 0)
            }
            #expect(try archive.array(named: "b")?.vector() == bias)
        }
    }

    @Test("numpy's own (unaligned) entries are copied once; compressed ones are viewed in the inflated buffer")
    func copiesOnlyWhenNeeded() throws {
        try withTemporaryDirectory { dir in
            try python(
                "W = np.ones((300, 64), '<f4'); np.savez('\(dir)/s.npz', W=W); np.savez_compressed('\(dir)/z.npz', W=W)"
            )
            let stored = try #require(try NPZArchive(path: "\(dir)/s.npz").array(named: "W"))
            #expect(Int(bitPattern: stored.data.bytes.baseAddress) % 4 != 0, "numpy does not align zip entries")
            #expect(try !stored.matrix().isMemoryMapped)
            let inflated = try #require(try NPZArchive(path: "\(dir)/z.npz").array(named: "W"))
            #expect(try inflated.matrix().values == [Float](repeating: 1, count: 300 * 64))
        }
    }

    @Test("hostile zip directories fail cleanly: offsets and sizes near Int.max, bad records, other compression")
    func hostileDirectories() throws {
        try withTemporaryDirectory { dir in
            let path = "\(dir)/good.npz"
            try NPZArchive.write(
                [.init(name: "W", matrix: FloatMatrix(rows: 2, columns: 2, values: [1, 2, 3, 4]))], to: path,
                forceZIP64: true)
            let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            // Offsets of the records in our ZIP64 layout: end record last (22 bytes), locator before it (20),
            // ZIP64 end record before that (56), central directory (46 + 5 + 28) before that.
            let end = good.count - 22, locator = end - 20, zip64End = locator - 56, central = zip64End - 79
            func patched(_ patches: (offset: Int, value: UInt64, width: Int)...) -> [UInt8] {
                var bytes = good
                for (offset, value, width) in patches {
                    for k in 0..<width { bytes[offset + k] = UInt8((value >> (8 * UInt64(k))) & 0xFF) }
                }
                return bytes
            }
            let huge = UInt64(Int.max)
            let zip64Extra = central + 46 + 5 + 4  // uncompressed size, compressed size, local header offset
            let cases: [(String, [UInt8])] = [
                ("locator → Int.max", patched((locator + 8, huge, 8))),
                ("locator → UInt64.max", patched((locator + 8, .max, 8))),
                ("directory size huge", patched((zip64End + 40, huge, 8))),
                ("directory offset huge", patched((zip64End + 48, huge - 10, 8))),
                ("entry count huge", patched((zip64End + 32, huge, 8))),
                ("entry sizes huge", patched((zip64Extra, huge, 8), (zip64Extra + 8, huge, 8))),
                ("local offset huge", patched((zip64Extra + 16, huge, 8))),
                ("local offset just past the end", patched((zip64Extra + 16, UInt64(good.count - 10), 8))),
                ("compression method 12", patched((central + 10, 12, 2))),
                ("encrypted", patched((central + 8, 1, 2))),
                ("stored with two sizes", patched((zip64Extra + 8, 10, 8))),
            ]
            for (label, bytes) in cases {
                let bad = "\(dir)/\(label).npz"
                try write(bytes, to: bad)
                #expect(loadError(bad) != nil, "\(label)")
            }
            #expect(
                loadError("\(dir)/compression method 12.npz")
                    == .unsupportedCompression("method 12 (numpy writes 0, stored, or 8, deflate)"))
            #expect(try LayerArrays.load(path: path).weights.values == [1, 2, 3, 4], "the unpatched file is fine")
        }
    }

    @Test("corrupt deflate streams and CRC mismatches are errors, not hangs or wrong data")
    func corruptCompressedEntries() throws {
        try withTemporaryDirectory { dir in
            try python(
                "np.savez_compressed('\(dir)/z.npz', W=np.random.default_rng(1).normal(size=(64, 16)).astype('<f4'))")
            let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(dir)/z.npz")))
            let original = try LayerArrays.load(path: "\(dir)/z.npz").weights
            // Flip one bit at a time inside the compressed data: each flip is an error, or (if the
            // stream still inflates to the same CRC) the very same values, never different ones.
            var failures = 0
            for offset in stride(from: 80, to: good.count - 200, by: 37) {
                var bytes = good
                bytes[offset] ^= 0x10
                let path = "\(dir)/flip-\(offset).npz"
                try write(bytes, to: path)
                if let loaded = try? LayerArrays.load(path: path) {
                    #expect(loaded.weights == original, "flip at \(offset) gave different values")
                } else {
                    #expect(loadError(path) != nil)
                    failures += 1
                }
            }
            #expect(failures > 0)
            // The same archive with the end of its compressed stream cut out of the middle of the file.
            var cut = good
            cut.removeSubrange(300..<(good.count - 150))
            try write(cut, to: "\(dir)/cut.npz")
            #expect(loadError("\(dir)/cut.npz") != nil)
        }
    }

    @Test("writer refuses duplicate names")
    func duplicateNames() throws {
        // `throws`: every `try` here is inside #expect, which the closure's effect inference does not see.
        try withTemporaryDirectory { dir throws in
            #expect(throws: LayerFormatError.self) {
                try NPZArchive.write(
                    [.init(name: "W", vector: [1]), .init(name: "W", vector: [2])], to: "\(dir)/dup.npz")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        }
    }
}
