import Foundation
import LayerFormats
import ModelFormats

/// A file of observed softmax inputs: an N × d matrix (one activation vector per row) in a `.npy`,
/// an uncompressed `.npz` member (`np.savez`) or a `.safetensors` tensor, stored as float16,
/// bfloat16 (safetensors), float32 or float64, either byte order (`.npy`), C or Fortran order.
///
/// The file is memory-mapped and never read whole: `forEachBlock` converts a block of rows at a
/// time into one reusable buffer of Doubles (every stored value is exact in a Double), so N can be
/// far larger than memory. Compressed `.npz` members (`np.savez_compressed`) are refused: they
/// would have to be inflated whole.
public struct ActivationFile: Sendable {
    /// Element encodings an activation file may use.
    public enum Encoding: Sendable, Equatable {
        case float16, bfloat16, float32, float64
    }

    /// The activations file.
    public let path: String
    /// The array inside the file that holds the activations (nil for a `.npy`).
    public let arrayName: String?
    /// N, the number of observed vectors.
    public let rows: Int
    /// d, the number of features per vector.
    public let columns: Int
    /// How each element is stored.
    public let encoding: Encoding
    /// True for big-endian elements (numpy `>` dtypes).
    public let bigEndian: Bool
    /// Stored column by column (`np.asfortranarray`).
    public let fortranOrder: Bool
    let file: MappedFile
    let dataOffset: Int

    /// Opens `path` and finds the activation matrix, recognising the format by its first bytes.
    /// In an `.npz` or `.safetensors` file, `array` names the matrix; without it the file must hold
    /// exactly one 2-D array (or one named `activations`).
    public init(path: String, array: String? = nil) throws {
        let file: MappedFile
        do { file = try MappedFile(path: path) } catch let error as LayerFormatError {
            throw StudyError(path, Self.sentence(error, path: path))
        }
        self.file = file
        self.path = path
        let bytes = file.bytes
        if bytes.starts(with: [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]) {
            let parsed: Layout
            do {
                parsed = try Self.numpy(NumpyArray.read(path: path), start: 0, file: file, label: path)
            } catch let error as LayerFormatError {
                throw StudyError(path, Self.sentence(error, path: path))
            }
            if array != nil {
                throw StudyError(path, "a .npy file holds one array; --array applies to .npz/.safetensors")
            }
            arrayName = nil
            (rows, columns, encoding, bigEndian, fortranOrder, dataOffset) = parsed
        } else if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) || bytes.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            let archive: NPZArchive
            do { archive = try NPZArchive(file: file) } catch let error as LayerFormatError {
                throw StudyError(path, Self.sentence(error, path: path))
            }
            let name = try Self.chooseNPZArray(archive, requested: array)
            guard let entry = archive.entries.first(where: { $0.name == name }) else {
                throw StudyError(
                    path, "has no array named '\(name)' (arrays: \(archive.names.joined(separator: ", ")))")
            }
            let label = "\(path) (array '\(name)')"
            let range: Range<Int>
            let parsed: NumpyArray
            do {
                guard let stored = try archive.storedMember(named: entry.fileName),
                    let array = try archive.array(named: name)
                else { throw StudyError(path, "has no array named '\(name)'") }
                (range, parsed) = (stored, array)
            } catch let error as LayerFormatError {
                if case .unsupportedCompression = error.kind {
                    throw StudyError(
                        label,
                        "is compressed (np.savez_compressed); activations are streamed from the mapped file, "
                            + "so store them uncompressed (np.savez or np.save)"
                    )
                }
                throw StudyError(label, Self.sentence(error, path: label))
            }
            arrayName = name
            (rows, columns, encoding, bigEndian, fortranOrder, dataOffset) = try Self.numpy(
                parsed, start: range.lowerBound, file: file, label: label)
        } else {
            let tensors: SafetensorsFile
            do { tensors = try SafetensorsFile(file: file) } catch {
                throw StudyError(
                    path, "is neither a .npy, an .npz nor a .safetensors file this tool reads (\(error))")
            }
            let name = try Self.chooseTensor(tensors, requested: array)
            guard let info = tensors.tensor(name) else {
                throw StudyError(path, "has no tensor named '\(name)'")
            }
            let label = "\(path) (tensor '\(name)')"
            guard info.shape.count == 2 else {
                throw StudyError(label, "must be 2-D (N × d), its shape is \(info.shape)")
            }
            switch info.dtype {
            case "F16": encoding = .float16
            case "BF16": encoding = .bfloat16
            case "F32": encoding = .float32
            case "F64": encoding = .float64
            default: throw StudyError(label, "has dtype \(info.dtype); readable: F16, BF16, F32, F64")
            }
            arrayName = name
            (rows, columns) = (info.shape[0], info.shape[1])
            bigEndian = false
            fortranOrder = false
            dataOffset = try Self.safetensorsOffset(file: file, tensor: name, label: label)
        }
        guard rows >= 1, columns >= 1 else {
            throw StudyError(label(), "holds no activations (shape \(rows) × \(columns))")
        }
    }

    /// The file, and the array inside it when there is one, as messages name them.
    public func label() -> String { arrayName.map { "\(path) (array '\($0)')" } ?? path }

    /// Calls `body(firstRow, values)` for consecutive blocks of at most `blockRows` rows; `values`
    /// holds the block's rows row-major as Doubles (exact conversions) and is reused between calls.
    public func forEachBlock(
        blockRows: Int = 4096, _ body: (_ firstRow: Int, _ values: UnsafeBufferPointer<Double>) throws -> Void
    ) throws {
        let block = max(1, min(blockRows, rows))
        let buffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: block * columns)
        defer { buffer.deallocate() }
        let base = file.bytes.baseAddress! + dataOffset
        var first = 0
        while first < rows {
            let count = min(block, rows - first)
            for i in 0..<count {
                for j in 0..<columns {
                    let index = fortranOrder ? j * rows + (first + i) : (first + i) * columns + j
                    buffer[i * columns + j] = value(base, index)
                }
            }
            try body(first, UnsafeBufferPointer(rebasing: buffer[0..<(count * columns)]))
            first += count
        }
    }

    @inline(__always) private func value(_ base: UnsafeRawPointer, _ index: Int) -> Double {
        switch encoding {
        case .float16:
            let bits = base.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self)
            return Double(float16Value(bigEndian ? UInt16(bigEndian: bits) : UInt16(littleEndian: bits)))
        case .bfloat16:
            let bits = UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * index, as: UInt16.self))
            return Double(Float(bitPattern: UInt32(bits) << 16))
        case .float32:
            let bits = base.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self)
            return Double(Float(bitPattern: bigEndian ? UInt32(bigEndian: bits) : UInt32(littleEndian: bits)))
        case .float64:
            let bits = base.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)
            return Double(bitPattern: bigEndian ? UInt64(bigEndian: bits) : UInt64(littleEndian: bits))
        }
    }

    // MARK: - Locating the matrix

    private typealias Layout = (
        rows: Int, columns: Int, encoding: Encoding, bigEndian: Bool, fortranOrder: Bool, dataOffset: Int
    )

    /// A `.npy` image starting at byte `start` of the file, whose header LayerFormats has parsed
    /// and validated (dtype, shape, data length); the data starts right after the header, whose
    /// length the prefix gives.
    private static func numpy(_ array: NumpyArray, start: Int, file: MappedFile, label: String) throws -> Layout {
        guard array.shape.count == 2 else {
            throw StudyError(label, "must be 2-D (N × d, one activation vector per row); its shape is \(array.shape)")
        }
        let bytes = file.bytes
        let major = bytes[start + 6]
        let headerLength =
            major == 1
            ? Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 8, as: UInt16.self)))
            : Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 8, as: UInt32.self)))
        let offset = start + (major == 1 ? 10 : 12) + headerLength
        let encoding: Encoding, big: Bool
        switch array.dtype {
        case .float16(let b): (encoding, big) = (.float16, b)
        case .float32(let b): (encoding, big) = (.float32, b)
        case .float64(let b): (encoding, big) = (.float64, b)
        case .int64, .uint8:
            throw StudyError(label, "has dtype \(array.dtype.descr); activations must be float16, float32 or float64")
        }
        return (array.shape[0], array.shape[1], encoding, big, array.fortranOrder, offset)
    }

    private static func chooseNPZArray(_ archive: NPZArchive, requested: String?) throws -> String {
        if let requested { return requested }
        let names = archive.names
        if names.count == 1 { return names[0] }
        if names.contains("activations") { return "activations" }
        throw StudyError(
            archive.file.path,
            "holds several arrays (\(names.joined(separator: ", "))); "
                + "name the activations with --array, or call the array 'activations'"
        )
    }

    private static func chooseTensor(_ file: SafetensorsFile, requested: String?) throws -> String {
        if let requested { return requested }
        let matrices = file.tensors.filter { $0.shape.count == 2 }.map(\.name)
        if matrices.count == 1 { return matrices[0] }
        if matrices.contains("activations") { return "activations" }
        throw StudyError(
            file.path,
            "holds \(matrices.count) 2-D tensors (\(matrices.joined(separator: ", "))); "
                + "name the activations with --array"
        )
    }

    /// The start of a tensor's data: 8 + header length + its `data_offsets[0]` (the header was
    /// validated by `SafetensorsFile`: offsets inside the data section, sized by shape and dtype).
    private static func safetensorsOffset(file: MappedFile, tensor: String, label: String) throws -> Int {
        let bytes = file.bytes
        let headerLength = Int(UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self)))
        let header = Data(bytes[8..<(8 + headerLength)])
        guard let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any],
            let entry = object[tensor] as? [String: Any], let offsets = entry["data_offsets"] as? [NSNumber],
            offsets.count == 2
        else { throw StudyError(label, "has no data_offsets in the header") }
        return 8 + headerLength + offsets[0].intValue
    }

    /// A LayerFormats error as a sentence without its path prefix (StudyError adds the label).
    static func sentence(_ error: LayerFormatError, path: String) -> String {
        let text = error.description
        if text.hasPrefix(error.path) {
            return String(text.dropFirst(error.path.count)).trimmingCharacters(in: CharacterSet(charactersIn: ": "))
        }
        return text
    }
}
