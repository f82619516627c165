import Foundation
import Testing
@testable import LayerFormats

/// An `.npy` file built by hand: magic, version, header length, the header text as given, data.
func npyBytes(_ header: String, version: UInt8 = 1, declaredLength: Int? = nil, data: [UInt8] = []) -> [UInt8] {
    let text = Array(header.utf8)
    let length = declaredLength ?? text.count
    var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [version, 0]
    if version == 1 {
        bytes += [UInt8(length & 0xFF), UInt8((length >> 8) & 0xFF)]
    } else {
        bytes += (0..<4).map { UInt8((length >> (8 * $0)) & 0xFF) }
    }
    return bytes + text + data
}

@Suite("Bad .npy files give typed errors naming the file")
struct NumpyErrorTests {
    /// The error kind loading `bytes` gives, written as `name` in a temporary directory of its own.
    func kind(_ bytes: [UInt8], name: String = "bad.npy") throws -> LayerFormatError.Kind? {
        try withTemporaryDirectory { dir in
            let path = "\(dir)/\(name)"
            try write(bytes, to: path)
            return loadError(path)
        }
    }

    func header(_ descr: String = "'<f4'", fortran: String = "False", shape: String = "(3, 2)") -> String {
        "{'descr': \(descr), 'fortran_order': \(fortran), 'shape': \(shape), }\n"
    }

    let sixFloats = [UInt8](repeating: 0, count: 24)

    @Test("missing, empty, a directory, not numpy at all")
    func notAFile() throws {
        // `throws`: every `try` here is inside #expect, which the closure's effect inference does not see.
        try withTemporaryDirectory { dir throws in
            #expect(loadError("\(dir)/missing.npy") == .missingFile)
            #expect(throws: LayerFormatError("\(dir)/missing.npy", .missingFile)) {
                try NumpyArray.read(path: "\(dir)/missing.npy")
            }
            #expect(try kind([], name: "empty.npy") == .truncated("the file is empty"))
            if case .unreadable? = loadError(dir) {} else { Issue.record("a directory is not a layer file") }
            #expect(try kind(Array("hello, world".utf8)) == .notNumpy)
            #expect(try kind([0x93, 0x4E, 0x55]) == .notNumpy)
            #expect(
                try kind(Array("hello".utf8), name: "text.npz") == .notZip("it does not start with a zip signature"))
        }
    }

    @Test("a cut-short prefix or header is 'truncated'; an unknown version is a malformed header")
    func truncatedHeaders() throws {
        let good = npyBytes(header(), data: sixFloats)
        #expect(try kind(Array(good.prefix(8))) == .truncated("the .npy header is cut short"))
        if case .truncated? = try kind(Array(good.prefix(40))) {
        } else {
            Issue.record("a header cut short is truncated")
        }
        if case .truncated? = try kind(npyBytes(header(), version: 2, declaredLength: 1 << 19)) {
        } else {
            Issue.record("length past the end")
        }
        if case .malformedHeader? = try kind(npyBytes(header(), version: 2, declaredLength: 1 << 31)) {
        } else {
            Issue.record("absurd header length")
        }
        if case .malformedHeader? = try kind(npyBytes(header(), version: 4, data: sixFloats)) {
        } else {
            Issue.record("unknown version")
        }
    }

    @Test(
        "malformed header dictionaries",
        arguments: [
            "[1, 2]",  // not a dictionary
            "{'fortran_order': False, 'shape': (3, 2)}",  // no descr
            "{'descr': '<f4', 'shape': (3, 2)}",  // no fortran_order
            "{'descr': '<f4', 'fortran_order': 'no', 'shape': (3, 2)}",  // fortran_order not a bool
            "{'descr': '<f4', 'fortran_order': False, 'shape': [3, 2]}",  // shape a list
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, -2)}",  // negative dimension
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2.0)}",  // a float dimension
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2)} x",  // trailing text
            "{'descr': '<f4, 'fortran_order': False, 'shape': (3, 2)}",  // unterminated string
            "{'descr': '<f4', 'fortran_order': Fals, 'shape': (3, 2)}",  // misspelt word
            "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 1)}",  // integer overflow
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4)}",  // element count overflow
            "{'descr': '<f4' 'fortran_order': False}",  // missing comma
            "{1: 2}",  // non-string key
            "",  // empty
            String(repeating: "(", count: 100_000),  // would exhaust a naive parser's stack
            "{'a': " + String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000) + "}",
        ])
    func malformedHeaders(text: String) throws {
        guard case .malformedHeader? = try kind(npyBytes(text + "\n", version: 2, data: sixFloats)) else {
            Issue.record("should be a malformed header: \(text.prefix(80))")
            return
        }
    }

    @Test(
        "unsupported dtypes are named",
        arguments: [
            ("'<i4'", "<i4"), ("'<c8'", "<c8"), ("'|u1'", "|u1"), ("'<f16'", "<f16"), ("'float32'", "float32"),
            ("[('a', '<f4'), ('b', '<f4')]", "a list (a structured dtype)"),
        ])
    func unsupportedDTypes(descr: String, named: String) throws {
        #expect(try kind(npyBytes(header(descr), data: sixFloats)) == .unsupportedDType(named))
    }

    @Test("data shorter than the shape says, including shapes whose byte count overflows")
    func shortData() throws {
        #expect(
            try kind(npyBytes(header(), data: Array(sixFloats.prefix(20)))) == .dataTooShort(needed: 24, available: 20))
        #expect(try kind(npyBytes(header("'<f8'"), data: sixFloats)) == .dataTooShort(needed: 48, available: 24))
        // 2^61 − 1 float32 values need 2^63 − 4 bytes: no overflow in the product, but the old
        // `start + needed` check trapped. 2^62 float64 values overflow the product itself.
        #expect(
            try kind(npyBytes(header(shape: "(2305843009213693951,)"), data: sixFloats))
                == .dataTooShort(needed: 9_223_372_036_854_775_804, available: 24))
        #expect(
            try kind(npyBytes(header("'<f8'", shape: "(4611686018427387904,)"), data: sixFloats))
                == .dataTooShort(needed: .max, available: 24))
    }

    @Test(
        """
        headers numpy accepts that are unusual: extra keys, double quotes, no trailing comma, \
        Python 2 longs, other spacing
        """
    )
    func unusualButValidHeaders() throws {
        try withTemporaryDirectory { dir in
            let variants = [
                "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (3, 2)}",
                "{'shape': (3L, 2L), 'fortran_order': False, 'descr': '<f4'}",
                "{ 'descr' : '<f4' ,\t'fortran_order' : False , 'shape' : ( 3 , 2 , ) , 'extra': [None, {'x': 1}] }",
            ]
            for (i, text) in variants.enumerated() {
                let path = "\(dir)/ok\(i).npy"
                try write(npyBytes(text + "\n", data: [UInt8](repeating: 0, count: 24)), to: path)
                let array = try NumpyArray.read(path: path)
                #expect(array.shape == [3, 2] && array.dtype == .float32(bigEndian: false), "\(text)")
            }
        }
    }
}
