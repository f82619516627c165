import Foundation
import LayerFormats
import Unargmaxable
import JSONDocuments

/// Certificates in a compact binary layout: an `.npz` archive (schema
/// "unargmaxable.certificates/2") that numpy reads as it is. JSON spends ~20 bytes per number and
/// gigabytes of memory on a large head; here witnesses are one matrix, streamed to disk as the
/// chunks of a run are decided (see `CertificateArchiveWriter`).
///
/// | array | dtype, shape | content |
/// |---|---|---|
/// | `meta` | uint8 [n] | UTF-8 JSON: `schema`, `generator`, `domain` (as in reports), `bias`, `classes`, `dimension` |
/// | `witness_classes` | int64 [k] | classes proven argmaxable, ascending |
/// | `witnesses` | float32 or float64 [k, d] | row r: an input where class `witness_classes[r]` is the strict argmax |
/// | `multiplier_classes` | int64 [m] | classes proven unargmaxable, ascending |
/// | `multiplier_offsets` | int64 [m + 1] | class r's multipliers are entries `offsets[r] ..< offsets[r+1]` |
/// | `multiplier_indices` | int64 [nnz] | the competitor class of each entry |
/// | `multiplier_weights` | float64 [nnz] | λ of each entry (≥ 0) |
/// | `multiplier_exact` | uint8 [t] | UTF-8, one line per entry: λ as an exact fraction `p/q` (see below) |
///
/// `witnesses` is float32 when every witness is exactly a float32 (those braid reflect finds; the
/// value is the same number either way), else float64. In `multiplier_exact`, a class with no exact
/// weights has an empty line instead of `p/q`.
public enum CertificateArchive {
    /// The schema named in `meta`.
    public static let schema = "unargmaxable.certificates/2"

    /// Writes these certificates (ascending by class), atomically.
    public static func write(
        _ entries: [(index: Int, certificate: Certificate)], domain: InputDomain, bias: Bool, classes: Int,
        dimension: Int, generator: String, to path: String
    ) throws {
        let writer = try CertificateArchiveWriter(
            path: path, domain: domain, bias: bias, classes: classes, dimension: dimension, generator: generator)
        for (index, certificate) in entries { try writer.append(index: index, certificate: certificate) }
        try writer.finish()
    }

    /// Reads and validates the layout, every certificate in memory; errors name the file.
    public static func read(path: String) throws -> CertificatesFile {
        let archive = try CertificateArchiveReader(path: path)
        return CertificatesFile(
            domain: archive.domain, bias: archive.bias,
            entries: try (0..<archive.count).map { try archive.entry($0) })
    }
}

/// A certificates archive opened for reading entry by entry: the class lists and multipliers are read at
/// once (a few per unargmaxable class), witness rows only when asked for, from the memory-mapped file.
/// `merge` combines large shards' archives this way without holding their witnesses.
public struct CertificateArchiveReader {
    /// The archive's file.
    public let path: String
    /// The inputs the certificates are about.
    public let domain: InputDomain
    /// Whether they are for the layer with its bias.
    public let bias: Bool
    /// The layer's input dimension.
    public let dimension: Int
    /// Classes proven argmaxable (entries `0 ..< witnessClasses.count`), then those proven unargmaxable.
    public let witnessClasses: [Int]
    /// Classes proven unargmaxable (entries `witnessClasses.count ..< count`).
    public let multiplierClasses: [Int]
    private let witnesses: NumpyArray
    private let offsets: [Int], indices: [Int], weights: [Double], exactLines: [String]

    /// Entries: witnesses first, then multipliers (each list ascending by class).
    public var count: Int { witnessClasses.count + multiplierClasses.count }

    /// The class of entry `k`.
    public func classIndex(_ k: Int) -> Int {
        k < witnessClasses.count ? witnessClasses[k] : multiplierClasses[k - witnessClasses.count]
    }

    /// Opens and validates the layout; errors name the file.
    public init(path: String) throws {
        func fail(_ why: String) -> ResultFileError { ResultFileError(path, why) }
        self.path = path
        let archive = try NPZArchive(path: path)
        func array(_ name: String) throws -> NumpyArray {
            guard let array = try archive.array(named: name) else { throw fail("has no array '\(name)'") }
            return array
        }
        let metaBytes = try array("meta").byteValues()
        let meta: JSONValue
        do { meta = try JSONParser.parse(Data(metaBytes)) } catch { throw fail("meta: \(error)") }
        guard meta["schema"]?.stringValue == CertificateArchive.schema else {
            throw fail("schema is not \(CertificateArchive.schema)")
        }
        domain = try CertificatesFile.domain(meta["domain"], path: path)
        if case .bool(let b)? = meta["bias"] { bias = b } else { bias = false }
        guard let d = meta["dimension"]?.intValue, d >= 1 else { throw fail("meta has no dimension") }
        dimension = d

        witnessClasses = try array("witness_classes").int64Values()
        witnesses = try array("witnesses")
        guard witnesses.shape == [witnessClasses.count, d], witnesses.dtype.isFloat else {
            throw fail(
                "witnesses has shape \(witnesses.shape) and type \(witnesses.dtype.descr), expected "
                    + "[\(witnessClasses.count), \(d)] floats")
        }
        multiplierClasses = try array("multiplier_classes").int64Values()
        offsets = try array("multiplier_offsets").int64Values()
        indices = try array("multiplier_indices").int64Values()
        weights = try array("multiplier_weights").float64Values()
        guard offsets.count == multiplierClasses.count + 1, offsets.first == 0, offsets.last == indices.count,
            weights.count == indices.count, zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 })
        else { throw fail("multiplier arrays do not fit together (offsets, indices, weights)") }
        exactLines = String(decoding: try array("multiplier_exact").byteValues(), as: UTF8.self)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard exactLines.count == indices.count + 1 || (indices.isEmpty && exactLines.count <= 1) else {
            throw fail("multiplier_exact has \(max(0, exactLines.count - 1)) lines for \(indices.count) entries")
        }
    }

    /// Entry `k` (see `count`): its class and certificate.
    public func entry(_ k: Int) throws -> (index: Int, certificate: Certificate) {
        let d = dimension
        if k < witnessClasses.count {
            return (witnessClasses[k], .witness(try witnesses.float64Values(in: (k * d)..<((k + 1) * d))))
        }
        let r = k - witnessClasses.count
        let range = offsets[r]..<offsets[r + 1]
        let exact = range.map { exactLines[$0] }
        return (
            multiplierClasses[r],
            .multipliers(
                indices: Array(indices[range]), weights: Array(weights[range]),
                exact: exact.allSatisfy { !$0.isEmpty } && !exact.isEmpty ? exact : nil)
        )
    }
}

/// Writes a `CertificateArchive` as certificates arrive (ascending by class), so a run never holds
/// every witness in memory: a 128256 × 4096 head has 4 GB of them. Witness rows go to two unlinked
/// scratch files beside the output (float32 rows, and float64 rows for witnesses that are not exactly
/// float32), which `finish` streams into the archive; multipliers, a few per unargmaxable class, stay
/// in memory. Nothing is left behind if the process dies; the archive appears whole or not at all.
public final class CertificateArchiveWriter {
    /// Where the archive is written by `finish`.
    public let path: String
    private let domain: InputDomain, bias: Bool, classes: Int, dimension: Int, generator: String
    private var narrow: ScratchFile, wide: ScratchFile
    private var witnessClasses: [Int] = []
    private var witnessIsNarrow: [Bool] = []
    private var multiplierClasses: [Int] = [], offsets = [0], indices: [Int] = [], weights: [Double] = []
    private var exactText: [UInt8] = []
    private var lastIndex = -1

    /// A writer for the certificates of a layer with `classes` classes in dimension `dimension`; nothing
    /// appears at `path` before `finish`.
    public init(
        path: String, domain: InputDomain, bias: Bool, classes: Int, dimension: Int, generator: String
    ) throws {
        self.path = path
        self.domain = domain
        self.bias = bias
        self.classes = classes
        self.dimension = dimension
        self.generator = generator
        let folder = (path as NSString).deletingLastPathComponent
        narrow = try ScratchFile(folder: folder.isEmpty ? "." : folder, for: path)
        wide = try ScratchFile(folder: folder.isEmpty ? "." : folder, for: path)
    }

    /// Adds one class's certificate; classes must come in ascending order.
    public func append(index: Int, certificate: Certificate) throws {
        guard index > lastIndex else {
            throw ResultFileError(
                path, "class \(index) comes after class \(lastIndex): certificates go in ascending order")
        }
        lastIndex = index
        switch certificate {
        case .witness(let x):
            guard x.count == dimension else {
                throw ResultFileError(path, "class \(index): a witness of \(x.count) numbers for d = \(dimension)")
            }
            witnessClasses.append(index)
            let rounded = x.map { Float($0) }
            if zip(rounded, x).allSatisfy({ Double($0) == $1 }) {
                witnessIsNarrow.append(true)
                try rounded.withUnsafeBytes { try narrow.append($0) }
            } else {
                witnessIsNarrow.append(false)
                try x.withUnsafeBytes { try wide.append($0) }
            }
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

    /// Writes the archive (atomically) from everything appended.
    public func finish() throws {
        let d = dimension, rows = witnessClasses.count
        let allNarrow = !witnessIsNarrow.contains(false)
        let meta: JSONValue = .object([
            ("schema", .string(CertificateArchive.schema)), ("generator", .string(generator)),
            ("domain", CertificatesFile.domain(domain)), ("bias", .bool(bias)),
            ("classes", .int(classes)), ("dimension", .int(d)),
        ])
        let (narrow, wide, isNarrow) = (narrow, wide, witnessIsNarrow)
        let witnesses: NPZArchive.Member
        if allNarrow {
            witnesses = NPZArchive.Member(
                name: "witnesses", shape: [rows, d], dtype: .float32(bigEndian: false), byteCount: rows * d * 4
            ) { consume in try narrow.stream(bytes: rows * d * 4, consume) }
        } else {
            // Mixed: float64 throughout, the float32 rows widened (exactly) in order.
            witnesses = NPZArchive.Member(
                name: "witnesses", shape: [rows, d], dtype: .float64(bigEndian: false), byteCount: rows * d * 8
            ) { consume in
                var narrowOffset = 0, wideOffset = 0
                var narrowRow = [Float](repeating: 0, count: d), row = [Double](repeating: 0, count: d)
                for narrowRowNext in isNarrow {
                    if narrowRowNext {
                        try narrowRow.withUnsafeMutableBytes { try narrow.read(into: $0, at: narrowOffset) }
                        narrowOffset += 4 * d
                        for k in 0..<d { row[k] = Double(narrowRow[k]) }
                    } else {
                        try row.withUnsafeMutableBytes { try wide.read(into: $0, at: wideOffset) }
                        wideOffset += 8 * d
                    }
                    try row.withUnsafeBytes { try consume($0) }
                }
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
}

/// An unlinked scratch file: appended to, then read back; the space returns when it is closed
/// (at the latest when the process ends, however it ends).
final class ScratchFile: @unchecked Sendable {
    private let descriptor: Int32
    private let label: String
    private(set) var size = 0

    /// A scratch file in `folder` (where the output `path` will be: same file system, and never a
    /// small temporary one).
    init(folder: String, for path: String) throws {
        var template = Array(
            (folder + "/." + (path as NSString).lastPathComponent + ".scratch-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw ResultFileError(
                path, "cannot create a scratch file in \(folder): \(String(cString: strerror(errno)))")
        }
        unlink(template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        self.descriptor = descriptor
        label = path
    }

    deinit { close(descriptor) }

    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = pwrite(descriptor, bytes.baseAddress! + offset, bytes.count - offset, off_t(size + offset))
            if written < 0 {
                if errno == EINTR { continue }
                throw ResultFileError(label, "cannot write a scratch file: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        size += bytes.count
    }

    func read(into buffer: UnsafeMutableRawBufferPointer, at position: Int) throws {
        var offset = 0
        while offset < buffer.count {
            let count = pread(descriptor, buffer.baseAddress! + offset, buffer.count - offset, off_t(position + offset))
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else {
                throw ResultFileError(label, "cannot read back a scratch file: \(String(cString: strerror(errno)))")
            }
            offset += count
        }
    }

    /// Hands the first `bytes` bytes to `consume` in pieces of 8 MiB.
    func stream(bytes: Int, _ consume: (UnsafeRawBufferPointer) throws -> Void) throws {
        precondition(bytes <= size)
        var buffer = [UInt8](repeating: 0, count: min(bytes, 8 << 20))
        var position = 0
        while position < bytes {
            let count = min(buffer.count, bytes - position)
            try buffer.withUnsafeMutableBytes {
                try read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<count]), at: position)
            }
            try buffer.withUnsafeBytes { try consume(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            position += count
        }
    }
}
