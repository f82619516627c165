import Foundation
import Testing
@testable import LayerFormats

@Suite("AtomicFileWriter")
struct AtomicFileWriterTests {
    @Test("a failed write leaves nothing behind, and an existing file untouched")
    func failureLeavesNothing() throws {
        try withTemporaryDirectory { dir in
            struct Boom: Error {}
            #expect(throws: LayerFormatError.self) {
                try AtomicFileWriter.write(to: "\(dir)/out.json") { temporary in
                    try Data("half".utf8).write(to: URL(fileURLWithPath: temporary))
                    throw Boom()
                }
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
            try AtomicFileWriter.write("first", to: "\(dir)/out.json")
            #expect(throws: LayerFormatError.self) {
                try AtomicFileWriter.write(to: "\(dir)/out.json") { temporary in
                    try Data("second, half".utf8).write(to: URL(fileURLWithPath: temporary))
                    throw Boom()
                }
            }
            #expect(try String(contentsOfFile: "\(dir)/out.json", encoding: .utf8) == "first")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.json"])
        }
    }

    @Test("success replaces the file whole; bad destinations are errors naming them")
    func successAndBadDestinations() throws {
        try withTemporaryDirectory { dir in
            try AtomicFileWriter.write("one", to: "\(dir)/out.txt")
            try AtomicFileWriter.write(Data("two".utf8), to: "\(dir)/out.txt")
            #expect(try String(contentsOfFile: "\(dir)/out.txt", encoding: .utf8) == "two")
            #expect(throws: LayerFormatError.self) {
                try AtomicFileWriter.write("x", to: "\(dir)/no/such/dir/out.json")
            }
            try FileManager.default.createDirectory(atPath: "\(dir)/sub", withIntermediateDirectories: false)
            do {
                try AtomicFileWriter.write("x", to: "\(dir)/sub")
                Issue.record("a directory cannot be replaced by a file")
            } catch let error as LayerFormatError {
                #expect(error.path == "\(dir)/sub")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["out.txt", "sub"])
        }
    }

    @Test("an npz writer failing half-way leaves no partial archive")
    func npzFailureLeavesNothing() throws {
        // `throws`: every `try` here is inside #expect, which the closure's effect inference does not see.
        try withTemporaryDirectory { dir throws in
            // Duplicate names are refused before anything is written; a missing directory fails at open.
            #expect(throws: LayerFormatError.self) {
                try NPZArchive.write([.init(name: "W", vector: [1])], to: "\(dir)/missing/x.npz")
            }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
        }
    }
}
