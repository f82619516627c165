import Foundation

/// One tensor of a safetensors file on the Hub, as its header describes it.
public struct HubTensor: Sendable, Equatable {
    /// The safetensors dtype (`F32`, `BF16`, …).
    public let dtype: String
    /// Row-major shape, outermost first.
    public let shape: [Int]
    /// The file that holds it: `model.safetensors` or a shard named by the index.
    public let file: String
    /// Its bytes, relative to the start of the file's data section (after the header).
    public let byteRange: Range<Int>

    /// A tensor of `file` with its dtype, shape and absolute byte range.
    public init(dtype: String, shape: [Int], file: String, byteRange: Range<Int>) {
        self.dtype = dtype
        self.shape = shape
        self.file = file
        self.byteRange = byteRange
    }
}

/// What the caller's head rules look at to pick the tensors to fetch.
public struct HubHeadQuery: Sendable {
    /// Every tensor of the checkpoint, by name.
    public let tensors: [String: HubTensor]
    /// The names in the order a local folder lists them (shards by file name, tensors by offset),
    /// so that rules that take the first match choose as they would on the downloaded model.
    public let names: [String]
    /// The model's `config.json` on disk (already fetched), if it has one: rules such as
    /// `tie_word_embeddings` need it before any weight is downloaded.
    public let configurationPath: String?
}

/// Reading the header of a safetensors file fetched by range, and writing a smaller one.
enum SafetensorsLayout {
    /// The reference implementation's limit on the header length; a larger one is refused before it is fetched.
    static let maximumHeaderLength = 100_000_000

    static func dtypeSize(_ dtype: String) -> Int? {
        switch dtype {
        case "BOOL", "U8", "I8", "F8_E4M3", "F8_E5M2", "F8_E8M0": return 1
        case "U16", "I16", "F16", "BF16": return 2
        case "U32", "I32", "F32": return 4
        case "U64", "I64", "F64", "C64": return 8
        default: return nil
        }
    }

    /// The tensors of a header whose file is `fileSize` bytes long, every range checked to lie in
    /// the data section and to match its shape. Errors are reasons, without the URL.
    static func parseHeader(_ header: Data, file: String, fileSize: Int) throws(LayoutError) -> [String: HubTensor] {
        guard header.first == UInt8(ascii: "{"),
            let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any]
        else { throw LayoutError(reason: "the header is not a JSON object") }
        let dataLength = fileSize - 8 - header.count
        var tensors: [String: HubTensor] = [:]
        for (name, value) in object where name != "__metadata__" {
            guard let fields = value as? [String: Any], let dtype = fields["dtype"] as? String,
                let shape = integers(fields["shape"]), shape.allSatisfy({ $0 >= 0 }),
                let offsets = integers(fields["data_offsets"]), offsets.count == 2
            else { throw LayoutError(reason: "tensor '\(name)' has no valid dtype, shape and data_offsets") }
            let (begin, end) = (offsets[0], offsets[1])
            guard 0 <= begin, begin <= end, end <= dataLength else {
                throw LayoutError(
                    reason: "tensor '\(name)': data_offsets [\(begin), \(end)] lie outside the file's"
                        + " \(dataLength)-byte data section")
            }
            if let size = dtypeSize(dtype) {
                var count = size
                for extent in shape {
                    let (product, overflow) = count.multipliedReportingOverflow(by: extent)
                    guard !overflow else { throw LayoutError(reason: "tensor '\(name)': the shape overflows") }
                    count = product
                }
                guard count == end - begin else {
                    throw LayoutError(
                        reason: "tensor '\(name)': shape \(shape) of \(dtype) needs \(count) bytes,"
                            + " data_offsets give \(end - begin)")
                }
            }
            tensors[name] = HubTensor(dtype: dtype, shape: shape, file: file, byteRange: begin..<end)
        }
        return tensors
    }

    private static func integers(_ value: Any?) -> [Int]? {
        guard let values = value as? [Any] else { return nil }
        var result: [Int] = []
        for value in values {
            guard let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue),
                abs(integer) < 1 << 53
            else { return nil }
            result.append(integer)
        }
        return result
    }

    /// One piece of the compact file: `length` bytes from `source`'s data section at `sourceOffset`,
    /// written at `offset` in the new file.
    struct Piece: Equatable {
        let name: String
        let file: String
        let sourceOffset: Int
        let offset: Int
        let length: Int
    }

    /// The header bytes (length prefix included, padded with spaces to 8 bytes as the reference
    /// writer does) of a file holding `names` in this order, and where each tensor's bytes go.
    static func compactLayout(
        names: [String], tensors: [String: HubTensor], metadata: [String: String]
    ) throws -> (header: Data, pieces: [Piece]) {
        var entries: [String: Any] = ["__metadata__": metadata]
        var pieces: [Piece] = []
        var offset = 0
        for name in names {
            guard let tensor = tensors[name] else { continue }
            let length = tensor.byteRange.count
            entries[name] = [
                "dtype": tensor.dtype, "shape": tensor.shape, "data_offsets": [offset, offset + length],
            ]
            pieces.append(
                Piece(
                    name: name, file: tensor.file, sourceOffset: tensor.byteRange.lowerBound, offset: offset,
                    length: length))
            offset += length
        }
        var json = try JSONSerialization.data(withJSONObject: entries, options: [.sortedKeys, .withoutEscapingSlashes])
        json.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        var header = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { header.append(contentsOf: $0) }
        header.append(json)
        let start = header.count
        return (
            header,
            pieces.map {
                Piece(
                    name: $0.name, file: $0.file, sourceOffset: $0.sourceOffset,
                    offset: start + $0.offset, length: $0.length)
            }
        )
    }
}

struct LayoutError: Error {
    let reason: String
}
