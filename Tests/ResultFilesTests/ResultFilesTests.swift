import Foundation
import LayerFormats
import PythonFixtures
import ResultFiles
import Testing
import Unargmaxable
import JSONDocuments

@Suite("Certificate archives written as the chunks arrive")
struct CertificateArchiveWriterTests {
    static let generator = "unargmax test"

    /// Witnesses that are Float32 vectors make a float32 matrix; one that is not makes the whole matrix
    /// float64 with every value kept exactly; multipliers and their exact weights come back as written.
    @Test(arguments: [false, true])
    func roundTrip(withWideWitness: Bool) throws {
        try withTemporaryDirectory { folder in
            let path = folder + "/certificates.npz"
            let entries: [(index: Int, certificate: Certificate)] = [
                (1, .witness([0.5, -2, 3.25])),
                (4, .multipliers(indices: [0, 2], weights: [0.25, 0.75], exact: ["1/4", "3/4"])),
                (7, .witness(withWideWitness ? [0.1, 1e-300, -7] : [1, 2, 3])),
                (9, .multipliers(indices: [3], weights: [1], exact: nil)),
            ]
            try CertificateArchive.write(
                entries, domain: .box(radius: 100), bias: true, classes: 10, dimension: 3, generator: Self.generator,
                to: path)
            let archive = try NPZArchive(path: path)
            let witnesses = try #require(try archive.array(named: "witnesses"))
            #expect(witnesses.dtype == (withWideWitness ? .float64(bigEndian: false) : .float32(bigEndian: false)))
            let file = try CertificatesFile(path: path)
            #expect(file.bias && file.domain == .box(radius: 100))
            #expect(file.entries.map(\.index) == [1, 7, 4, 9])  // witnesses first, then multipliers
            let byClass = Dictionary(uniqueKeysWithValues: file.entries.map { ($0.index, $0.certificate) })
            for (index, certificate) in entries { #expect(byClass[index] == certificate) }
            // Nothing but the archive is left in the folder (the scratch files were never visible).
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["certificates.npz"])
        }
    }

    /// Out of order or of the wrong size is an error naming the file; until `finish` there is no file.
    @Test func refusesMisuseAndWritesNothingUnfinished() throws {
        try withTemporaryDirectory { folder in
            let path = folder + "/c.npz"
            let writer = try CertificateArchiveWriter(
                path: path, domain: .unbounded, bias: false, classes: 5, dimension: 2, generator: Self.generator)
            try writer.append(index: 3, certificate: .witness([1, 2]))
            #expect(throws: ResultFileError.self) { try writer.append(index: 2, certificate: .witness([1, 2])) }
            #expect(throws: ResultFileError.self) { try writer.append(index: 4, certificate: .witness([1])) }
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
        }
    }
}

@Suite("Reading certificates and journals")
struct ResultFileReadingTests {
    /// JSON certificates: the documented layout reads back; malformed entries are errors naming the file.
    @Test func certificatesJSON() throws {
        let good = #"""
            {"schema": "unargmaxable.certificates/1", "domain": {"kind": "bounds", "lower": [-1, -2], "upper": [1, 2]},
             "bias": false, "classes": [{"index": 0, "witness": [0.5, 1]},
             {"index": 2, "multipliers": {"indices": [0, 1], "weights": [0.5, 0.5], "exact": ["1/2", "1/2"]}}]}
            """#
        let file = try CertificatesFile(json: Data(good.utf8), path: "c.json")
        #expect(file.domain == .bounds(lower: [-1, -2], upper: [1, 2]))
        #expect(
            file.entries.count == 2
                && file.entries[1].certificate
                    == .multipliers(
                        indices: [0, 1], weights: [0.5, 0.5], exact: ["1/2", "1/2"])
        )
        let schema = #""schema": "unargmaxable.certificates/1""#
        for bad in [
            #"{"schema": "other"}"#,
            "{\(schema), " + #""domain": {"kind": "box", "radius": -1}, "classes": []}"#,
            "{\(schema), " + #""domain": {"kind": "bounds", "lower": [0, "x"], "upper": [1, 1]}, "classes": []}"#,
            "{\(schema), " + #""domain": {"kind": "unbounded"}, "classes": [{"index": 1}]}"#,
            "{\(schema), " + #""domain": {"kind": "unbounded"}, "classes": [{"index": 1, "witness": [1, "a"]}]}"#,
            "[1, 2",
        ] {
            let error = #expect(throws: ResultFileError.self) {
                try CertificatesFile(json: Data(bad.utf8), path: "c.json")
            }
            #expect(error?.description.hasPrefix("c.json: ") == true)
        }
    }

    /// JSON strings with escaped surrogate pairs (as Python's json.dumps writes non-BMP characters) decode;
    /// an unpaired surrogate is an error.
    @Test func surrogatePairs() throws {
        let value = try JSONParser.parse(Data(#"["\ud83d\ude00", "\u00e9"]"#.utf8))
        #expect(value.arrayValue?.compactMap(\.stringValue) == ["😀", "é"])
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Data(#"["\ud83d"]"#.utf8)) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Data(#"["\ude00"]"#.utf8)) }
        #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(Data(#"["\u+abc"]"#.utf8)) }
    }

    /// A journal keeps only committed chunks; a damaged committed line or another layer is refused.
    @Test func journalContents() throws {
        let header = RunJournal.header(digest: "abc", options: .object([("box", .number(100))]), shard: .null)
        let line =
            #"{"index": 1, "steps": 1, "margin": {"lower": 0.5, "upper": 2}, "stage": "approximate", "#
            + #""certificate": {"witness": [1, 2]}}"#
        let committed = header.compact + "\n" + line + "\n" + #"{"chunk": 1, "classes": 1}"# + "\n"
        let contents = try RunJournal.read(
            Array((committed + line.replacingOccurrences(of: "\"index\": 1", with: "\"index\": 2") + "\n").utf8),
            header: header, classes: 5, path: "j")
        #expect(contents.results.map(\.index) == [1] && contents.chunks == 1)
        #expect(contents.keptBytes == committed.utf8.count)
        #expect(try RunJournal.read([], header: header, classes: 5, path: "j").results.isEmpty)
        let other = RunJournal.header(digest: "def", options: .object([("box", .number(100))]), shard: .null)
        #expect(throws: ResultFileError.self) {
            try RunJournal.read(Array(committed.utf8), header: other, classes: 5, path: "j")
        }
        #expect(throws: ResultFileError.self) {  // class 1 does not exist in a 1-class layer
            try RunJournal.read(Array(committed.utf8), header: header, classes: 1, path: "j")
        }
    }
}
