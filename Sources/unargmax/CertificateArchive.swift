import Foundation
import LayerFormats
import Unargmaxable

/// Certificates in a compact binary layout: an `.npz` archive (schema
/// "unargmaxable.certificates/2") that numpy reads as it is. JSON spends ~20 bytes per number and
/// gigabytes of memory on a large head; here witnesses are one float64 matrix, written streaming.
///
/// | array | dtype, shape | content |
/// |---|---|---|
/// | `meta` | uint8 [n] | UTF-8 JSON: `schema`, `generator`, `domain` (as in reports), `bias`, `classes`, `dimension` |
/// | `witness_classes` | int64 [k] | classes proven argmaxable, ascending |
/// | `witnesses` | float64 [k, d] | row r: an input where class `witness_classes[r]` is the strict argmax |
/// | `multiplier_classes` | int64 [m] | classes proven unargmaxable, ascending |
/// | `multiplier_offsets` | int64 [m + 1] | class r's multipliers are entries `offsets[r] ..< offsets[r+1]` |
/// | `multiplier_indices` | int64 [nnz] | the competitor class of each entry |
/// | `multiplier_weights` | float64 [nnz] | λ of each entry (≥ 0) |
/// | `multiplier_exact` | uint8 [t] | UTF-8, one line per entry: λ as an exact fraction `p/q` (see below) |
///
/// In `multiplier_exact`, a class with no exact weights has an empty line instead of `p/q`.
enum CertificateArchive {
    static let schema = "unargmaxable.certificates/2"

    /// Writes the certificates of every decided class of `report`, atomically.
    static func write(_ report: ArgmaxabilityReport, to path: String) throws {
        try write(
            report.results.compactMap { r in
                guard r.verdict != .undecided, let certificate = r.certificate else { return nil }
                return (r.index, certificate)
            }, domain: report.domain, bias: report.hasBias, classes: report.classes, dimension: report.dimension,
            to: path)
    }

    /// Writes these certificates (ascending by class), atomically.
    static func write(
        _ entries: [(index: Int, certificate: Certificate)], domain: InputDomain, bias: Bool, classes: Int,
        dimension d: Int, to path: String
    ) throws {
        var witnessClasses: [Int] = [], witnessRows: [[Double]] = []
        var multiplierClasses: [Int] = [], offsets = [0], indices: [Int] = [], weights: [Double] = []
        var exactText: [UInt8] = []
        for (index, certificate) in entries {
            switch certificate {
            case .witness(let x):
                witnessClasses.append(index)
                witnessRows.append(x)
            case .multipliers(let i, let w, let exact):
                multiplierClasses.append(index)
                indices += i
                weights += w
                offsets.append(indices.count)
                for k in i.indices {
                    if let exact, k < exact.count { exactText += Array(exact[k].utf8) }
                    exactText.append(UInt8(ascii: "\n"))
                }
            }
        }
        let meta: JSONValue = .object([
            ("schema", .string(schema)), ("generator", .string("unargmax \(Unargmax.version)")),
            ("domain", ReportRendering.domain(domain)), ("bias", .bool(bias)),
            ("classes", .int(classes)), ("dimension", .int(d)),
        ])
        // The witness matrix is produced in blocks of rows, never gathered into one array.
        let rows = witnessRows
        let witnesses = NPZArchive.Member(
            name: "witnesses", shape: [rows.count, d], dtype: .float64(bigEndian: false), byteCount: rows.count * d * 8
        ) { consume in
            var block = [Double]()
            block.reserveCapacity(1024 * d)
            for start in stride(from: 0, to: rows.count, by: 1024) {
                block.removeAll(keepingCapacity: true)
                for row in rows[start..<min(rows.count, start + 1024)] { block += row }
                try block.withUnsafeBytes { try consume($0) }
            }
        }
        let weightBytes = weights.map { $0.bitPattern.littleEndian }
        let weightMember = NPZArchive.Member(
            name: "multiplier_weights", shape: [weights.count], dtype: .float64(bigEndian: false),
            byteCount: weights.count * 8
        ) { consume in try weightBytes.withUnsafeBytes { try consume($0) } }
        try NPZArchive.write(
            [
                NPZArchive.Member(name: "meta", bytes: Array(meta.compact.utf8)),
                NPZArchive.Member(name: "witness_classes", integers: witnessClasses), witnesses,
                NPZArchive.Member(name: "multiplier_classes", integers: multiplierClasses),
                NPZArchive.Member(name: "multiplier_offsets", integers: offsets),
                NPZArchive.Member(name: "multiplier_indices", integers: indices), weightMember,
                NPZArchive.Member(name: "multiplier_exact", bytes: exactText),
            ], to: path)
    }

    /// Reads and validates the layout; errors name the file.
    static func read(path: String) throws -> CertificatesFile {
        func fail(_ why: String) -> CommandFailure { CommandFailure("\(path): \(why)") }
        let archive = try NPZArchive(path: path)
        func array(_ name: String) throws -> NumpyArray {
            guard let array = try archive.array(named: name) else { throw fail("has no array '\(name)'") }
            return array
        }
        let metaBytes = try array("meta").byteValues()
        let meta: JSONValue
        do { meta = try JSONParser.parse(Data(metaBytes)) } catch { throw fail("meta: \(error)") }
        guard meta["schema"]?.stringValue == schema else { throw fail("schema is not \(schema)") }
        let domain = try CertificatesFile.domain(meta["domain"], path: path)
        let bias: Bool
        if case .bool(let b)? = meta["bias"] { bias = b } else { bias = false }
        guard let d = meta["dimension"]?.intValue, d >= 1 else { throw fail("meta has no dimension") }

        let witnessClasses = try array("witness_classes").int64Values()
        let witnessArray = try array("witnesses")
        guard witnessArray.shape == [witnessClasses.count, d] else {
            throw fail("witnesses has shape \(witnessArray.shape), expected [\(witnessClasses.count), \(d)]")
        }
        let flat = try witnessArray.float64Values()
        var entries: [(index: Int, certificate: Certificate)] = witnessClasses.enumerated().map { r, c in
            (c, .witness(Array(flat[(r * d)..<((r + 1) * d)])))
        }
        let classes = try array("multiplier_classes").int64Values()
        let offsets = try array("multiplier_offsets").int64Values()
        let indices = try array("multiplier_indices").int64Values()
        let weights = try array("multiplier_weights").float64Values()
        guard offsets.count == classes.count + 1, offsets.first == 0, offsets.last == indices.count,
            weights.count == indices.count, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 })
        else { throw fail("multiplier arrays do not fit together (offsets, indices, weights)") }
        let lines = String(decoding: try array("multiplier_exact").byteValues(), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard lines.count == indices.count + 1 || (indices.isEmpty && lines.count <= 1) else {
            throw fail("multiplier_exact has \(max(0, lines.count - 1)) lines for \(indices.count) entries")
        }
        for (r, c) in classes.enumerated() {
            let range = offsets[r]..<offsets[r + 1]
            let exact = range.map { lines[$0] }
            entries.append(
                (
                    c,
                    .multipliers(
                        indices: Array(indices[range]), weights: Array(weights[range]),
                        exact: exact.allSatisfy { !$0.isEmpty } && !exact.isEmpty ? exact : nil)
                ))
        }
        return CertificatesFile(domain: domain, bias: bias, entries: entries)
    }
}
