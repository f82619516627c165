import LayerFormats

/// A PyTorch checkpoint written by `torch.save`: the zip format (PyTorch ≥ 1.6: `<archive>/data.pkl`
/// and one stored member `<archive>/data/<key>` per storage) or the legacy format before it (a
/// run of pickles followed by the raw storages).
///
/// The pickle is read by a restricted unpickler that runs nothing (see `PickleMachine`): only
/// state-dict globals are accepted, anything else is refused with `.forbiddenGlobal`. Tensors are
/// named by their dotted path through the dicts (and lists) that hold them: fairseq's
/// `{"model": {...}}` gives `model.decoder.embed_out`, Lightning's `state_dict.…`; callers search
/// by suffix (a tensor saved on its own is named ""). Whole pickled modules (`torch.save(model)`)
/// name their classes and are refused.
///
/// Every tensor's storage range is checked when the file opens; float32 tensors that are row-major
/// and aligned are then viewed in place, float16/bfloat16/float64 converted once. Integer, bool,
/// complex, quantised and float8 tensors are listed with their dtype but not read.
public struct TorchCheckpoint: TensorFile {
    /// Which of `torch.save`'s two layouts the file has.
    public enum Format: Sendable, Equatable {
        /// A zip archive (`_use_new_zipfile_serialization`, the default since PyTorch 1.6).
        case zip
        /// Pickles followed by raw storages (PyTorch < 1.6).
        case legacy
    }

    /// The path the file was opened at.
    public let path: String
    /// Every tensor of the checkpoint, under its flattened state-dict name.
    public let tensors: [TensorInfo]
    /// The layout the file was read in.
    public let format: Format

    private let file: MappedFile
    private let stored: [String: StoredTensor]

    /// Maps the checkpoint at `path`, reads its pickle and checks every tensor's storage range.
    public init(path: String) throws {
        self.path = path
        do {
            file = try MappedFile(path: path)
        } catch let error as LayerFormatError {
            throw Self.converted(error, path: path)
        }
        let bytes = file.bytes
        let records: [TensorRecord]
        let storages: StorageTable
        if bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B, bytes[2] == 0x03, bytes[3] == 0x04 {
            format = .zip
            (records, storages) = try Self.readZip(file, path: path)
        } else if bytes.count >= 2, bytes[0] == 0x80, bytes[1] <= 5 {
            format = .legacy
            (records, storages) = try Self.readLegacy(file, path: path)
        } else {
            throw ModelFormatError(
                path, .unknownFormat("neither a zip archive (torch.save since PyTorch 1.6) nor a legacy torch pickle"))
        }
        var tensors: [TensorInfo] = []
        var stored: [String: StoredTensor] = [:]
        for record in records {
            let tensor = try record.validated(in: storages, path: path)
            if stored[record.name] == nil { tensors.append(tensor.info) }
            stored[record.name] = tensor
        }
        // The last value stored under a name wins (as in a Python dict); keep the first position.
        self.tensors = tensors.map { stored[$0.name]!.info }
        self.stored = stored
    }

    /// The two-dimensional tensor `name` as Float32.
    public func matrix(_ name: String) throws -> FloatMatrix {
        let tensor = try entry(name)
        let shape = tensor.info.shape
        guard shape.count == 2 else {
            throw ModelFormatError(path, .wrongShape(tensor: name, "expected 2-D, got \(describe(shape))"))
        }
        let encoding = try floatEncoding(tensor)
        let (rows, columns) = (shape[0], shape[1])
        switch tensor.layout {
        case .rowMajor:
            return try allocated(
                FloatMatrix.stored(
                    in: file, offset: tensor.byteOffset, rows: rows, columns: columns, encoding: encoding), name)
        case .transposed:
            let stored = try allocated(
                FloatMatrix.stored(
                    in: file, offset: tensor.byteOffset, rows: columns, columns: rows, encoding: encoding), name)
            return stored.transposed()
        case .strided:
            throw ModelFormatError(
                path,
                .badTensorLayout(
                    tensor: name,
                    "strides \(describe(tensor.stride)) for shape \(describe(shape)): only row-major and "
                        + "transposed 2-D tensors are read"))
        }
    }

    /// The one-dimensional tensor `name` as Float32.
    public func vector(_ name: String) throws -> [Float] {
        let tensor = try entry(name)
        let shape = tensor.info.shape
        guard shape.count == 1 || (shape.count == 2 && (shape[0] == 1 || shape[1] == 1)) else {
            throw ModelFormatError(
                path, .wrongShape(tensor: name, "expected 1-D or one row/column, got \(describe(shape))"))
        }
        let encoding = try floatEncoding(tensor)
        guard tensor.layout == .rowMajor else {
            throw ModelFormatError(path, .badTensorLayout(tensor: name, "strides \(describe(tensor.stride))"))
        }
        let count = tensor.info.elementCount
        let region = UnsafeRawBufferPointer(
            rebasing: file.bytes[tensor.byteOffset..<(tensor.byteOffset + count * encoding.size)])
        return storedFloats(region, encoding: encoding, count: count)
    }

    private func entry(_ name: String) throws -> StoredTensor {
        guard let tensor = stored[name] else { throw ModelFormatError(path, .missingTensor(name)) }
        return tensor
    }

    private func floatEncoding(_ tensor: StoredTensor) throws -> FloatEncoding {
        guard let encoding = tensor.type.encoding else {
            throw ModelFormatError(path, .unsupportedDType(tensor: tensor.info.name, dtype: tensor.info.dtype))
        }
        return encoding
    }

    private func allocated(_ matrix: FloatMatrix?, _ name: String) throws -> FloatMatrix {
        guard let matrix else {
            throw ModelFormatError(path, .unreadable("not enough memory to convert tensor '\(name)'"))
        }
        return matrix
    }
}

private func describe(_ values: [Int]) -> String { "(" + values.map(String.init).joined(separator: ", ") + ")" }

// MARK: - Element types and the allow-list

/// A storage class of `torch.save` (`torch.FloatStorage`, …): its dtype and element size.
struct TorchElementType: Sendable, Equatable {
    let dtype: String
    let size: Int
    /// nil for the types that are not read as floats (integers, bool, complex, quantised).
    let encoding: FloatEncoding?

    static let storages: [String: TorchElementType] = [
        "torch.FloatStorage": .init(dtype: "torch.float32", size: 4, encoding: .float32),
        "torch.HalfStorage": .init(dtype: "torch.float16", size: 2, encoding: .float16),
        "torch.BFloat16Storage": .init(dtype: "torch.bfloat16", size: 2, encoding: .bfloat16),
        "torch.DoubleStorage": .init(dtype: "torch.float64", size: 8, encoding: .float64),
        "torch.LongStorage": .init(dtype: "torch.int64", size: 8, encoding: nil),
        "torch.IntStorage": .init(dtype: "torch.int32", size: 4, encoding: nil),
        "torch.ShortStorage": .init(dtype: "torch.int16", size: 2, encoding: nil),
        "torch.CharStorage": .init(dtype: "torch.int8", size: 1, encoding: nil),
        "torch.ByteStorage": .init(dtype: "torch.uint8", size: 1, encoding: nil),
        "torch.BoolStorage": .init(dtype: "torch.bool", size: 1, encoding: nil),
        "torch.ComplexFloatStorage": .init(dtype: "torch.complex64", size: 8, encoding: nil),
        "torch.ComplexDoubleStorage": .init(dtype: "torch.complex128", size: 16, encoding: nil),
        "torch.QUInt8Storage": .init(dtype: "torch.quint8", size: 1, encoding: nil),
        "torch.QInt8Storage": .init(dtype: "torch.qint8", size: 1, encoding: nil),
        "torch.QInt32Storage": .init(dtype: "torch.qint32", size: 4, encoding: nil),
        "torch.QUInt4x2Storage": .init(dtype: "torch.quint4x2", size: 1, encoding: nil),
        "torch.QUInt2x4Storage": .init(dtype: "torch.quint2x4", size: 1, encoding: nil),
        "torch.UntypedStorage": .init(dtype: "torch.uint8", size: 1, encoding: nil),
        "torch.storage.UntypedStorage": .init(dtype: "torch.uint8", size: 1, encoding: nil),
    ]

    /// By dtype object (`torch.float32`, …): every storage type's, and the dtypes that only
    /// `_rebuild_tensor_v3` names (they have no storage class of their own).
    static let dtypes: [String: TorchElementType] = {
        var dtypes: [String: TorchElementType] = [:]
        for type in storages.values { dtypes[type.dtype] = type }
        let newer = [
            ("float8_e4m3fn", 1), ("float8_e5m2", 1), ("float8_e4m3fnuz", 1), ("float8_e5m2fnuz", 1),
            ("float8_e8m0fnu", 1), ("uint16", 2), ("uint32", 4), ("uint64", 8),
        ]
        for (name, size) in newer { dtypes["torch." + name] = .init(dtype: "torch." + name, size: size, encoding: nil) }
        return dtypes
    }()
}

extension TorchCheckpoint {
    static let rebuildTensor = [
        "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v3",
    ]
    static let rebuildParameter = ["torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state"]

    /// Every global a checkpoint's pickle may name. Nothing here is ever imported or called: each
    /// is an inert marker. Notably absent: `torch.storage._load_from_bytes` (it runs `torch.load`
    /// on embedded bytes) and `torch._utils._rebuild_from_type_v2` (it calls an arbitrary type).
    static let allowedGlobals: [String: PickleGlobalBehaviour] = {
        var allowed: [String: PickleGlobalBehaviour] = [
            "collections.OrderedDict": .orderedDict,
            "collections.defaultdict": .defaultDict,
            // Factories of defaultdicts (markers only: a call is recorded, never made).
            "builtins.list": .opaque,
            "builtins.dict": .opaque,
            "builtins.int": .opaque,
            "builtins.float": .opaque,
            "builtins.set": .set,
            "builtins.frozenset": .set,
            "builtins.bytes": .emptyBytes,
            "_codecs.encode": .latin1Bytes,
            "torch.Size": .tuple,
            // fairseq's training arguments, and numpy scalars in its optimizer and meter states:
            // kept as opaque objects.
            "argparse.Namespace": .opaque,
            "numpy.core.multiarray.scalar": .opaque,
            "numpy._core.multiarray.scalar": .opaque,
            "numpy.core.multiarray._reconstruct": .opaque,
            "numpy._core.multiarray._reconstruct": .opaque,
            "numpy.dtype": .opaque,
            "numpy.ndarray": .opaque,
            "torch.device": .opaque,
        ]
        for name in rebuildTensor + rebuildParameter { allowed[name] = .opaque }
        for name in TorchElementType.storages.keys { allowed[name] = .opaque }
        for name in TorchElementType.dtypes.keys { allowed[name] = .opaque }
        return allowed
    }()

    static func converted(_ error: LayerFormatError, path: String) -> ModelFormatError {
        switch error.kind {
        case .missingFile: return ModelFormatError(path, .missingFile)
        case .unreadable(let why): return ModelFormatError(path, .unreadable(why))
        case .truncated(let why) where error.path == path: return ModelFormatError(path, .truncated(why))
        default:
            var text = error.description
            if text.hasPrefix(path) { text.removeFirst(path.count) }
            while text.first == ":" || text.first == " " { text.removeFirst() }
            return ModelFormatError(path, .malformedHeader("zip: " + text))
        }
    }
}

// MARK: - The zip format

extension TorchCheckpoint {
    private static func readZip(_ file: MappedFile, path: String) throws -> ([TensorRecord], StorageTable) {
        do {
            let archive = try NPZArchive(file: file)
            // torch.save puts every member under one folder (the file's stem, or "archive").
            guard
                let pickleName = archive.memberNames.first(where: {
                    $0.hasSuffix("/data.pkl") && $0.split(separator: "/", omittingEmptySubsequences: false).count == 2
                })
            else {
                throw ModelFormatError(
                    path, .unknownFormat("a zip archive without <archive>/data.pkl (not written by torch.save)"))
            }
            let prefix = String(pickleName.dropLast("data.pkl".count))
            if let order = try archive.storedMember(named: prefix + "byteorder") {
                let head = file.bytes[order.clamped(to: order.lowerBound..<(order.lowerBound + 16))]
                let text = String(decoding: head, as: UTF8.self).filter { !$0.isWhitespace }
                guard text == "little" else {
                    throw ModelFormatError(
                        path, .malformedHeader("byteorder '\(text.prefix(16))': only little-endian storages are read"))
                }
            }
            guard let pickle = try archive.storedMember(named: pickleName) else { throw unreachable(path) }
            let unpickled = try PickleMachine.run(
                UnsafeRawBufferPointer(rebasing: file.bytes[pickle]), path: path, label: "data.pkl",
                allowed: allowedGlobals)
            var walker = TensorWalker(unpickled: unpickled, path: path)
            try walker.walk(unpickled.root, name: "", depth: 0)
            var storages = StorageTable()
            for key in Set(walker.records.map(\.storage.key)) {
                guard let range = try archive.storedMember(named: prefix + "data/" + key) else { continue }
                storages.ranges[key] = range
            }
            return (walker.records, storages)
        } catch let error as LayerFormatError {
            throw converted(error, path: path)
        }
    }

    private static func unreachable(_ path: String) -> ModelFormatError {
        ModelFormatError(path, .malformedHeader("zip: a member vanished"))
    }
}

// MARK: - The legacy format

extension TorchCheckpoint {
    /// `torch.save` before 1.6: pickles of a magic number, the protocol version (1001), system
    /// info, the object (persistent ids name storages), the storage keys; then each storage as a
    /// little-endian int64 element count followed by its bytes.
    private static func readLegacy(_ file: MappedFile, path: String) throws -> ([TensorRecord], StorageTable) {
        let bytes = file.bytes
        let notLegacy = ModelFormatError(
            path, .unknownFormat("a pickle, but not the legacy torch.save magic number (a plain pickle?)"))
        let magic: Unpickled
        do {
            magic = try PickleMachine.run(bytes, path: path, label: "magic number pickle", allowed: [:])
        } catch {
            throw notLegacy
        }
        guard magic.root == .bigInt("0x1950a86a20f9469cfc6c") else { throw notLegacy }
        let version = try PickleMachine.run(
            bytes, from: magic.end, path: path, label: "protocol version pickle", allowed: [:])
        guard version.root == .int(1001) else {
            throw ModelFormatError(path, .malformedHeader("legacy protocol version \(version.root), expected 1001"))
        }
        let info = try PickleMachine.run(bytes, from: version.end, path: path, label: "sys info pickle", allowed: [:])
        if case .dict(let pairs)? = info.object(info.root),
            pairs.contains(where: { $0.key == .string("little_endian") && $0.value == .bool(false) })
        {
            throw ModelFormatError(path, .malformedHeader("saved on a big-endian machine: not supported"))
        }
        let object = try PickleMachine.run(
            bytes, from: info.end, path: path, label: "object pickle", allowed: allowedGlobals)
        var walker = TensorWalker(unpickled: object, path: path)
        try walker.walk(object.root, name: "", depth: 0)
        let keys = try PickleMachine.run(
            bytes, from: object.end, path: path, label: "storage keys pickle", allowed: [:])
        guard let keyValues = keys.sequence(keys.root) else {
            throw ModelFormatError(path, .malformedHeader("the storage keys are not a list"))
        }
        // Element sizes by storage key, from every storage the object pickle names.
        var sizes: [String: Int] = [:]
        for case .persistent(let id) in object.objects {
            if let storage = try? StorageReference(id, in: object, path: path, tensor: "") {
                sizes[storage.key] = storage.type.size
            }
        }
        var storages = StorageTable()
        var offset = keys.end
        for value in keyValues {
            guard let key = storageKey(value) else {
                throw ModelFormatError(path, .malformedHeader("a storage key that is no string"))
            }
            guard offset <= bytes.count - 8 else {
                throw ModelFormatError(path, .truncated("the file ends before storage '\(key)'"))
            }
            let count = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            let size = sizes[key] ?? 1
            let (length, overflow) = Int(clamping: count).multipliedReportingOverflow(by: size)
            guard count <= UInt64(Int.max), !overflow, length <= bytes.count - offset - 8 else {
                throw ModelFormatError(
                    path, .truncated("storage '\(key)' claims \(count) elements of \(size) bytes past the file's end"))
            }
            storages.ranges[key] = (offset + 8)..<(offset + 8 + length)
            offset += 8 + length
        }
        return (walker.records, storages)
    }
}

func storageKey(_ value: PickleValue) -> String? {
    switch value {
    case .string(let key): return key
    case .int(let key): return String(key)
    default: return nil
    }
}

// MARK: - From the pickle to checked tensors

/// Where each storage's bytes lie in the mapped file.
struct StorageTable {
    var ranges: [String: Range<Int>] = [:]
}

/// A persistent id `('storage', StorageType, key, location, numel[, view_metadata])`.
struct StorageReference {
    let type: TorchElementType
    let key: String
    /// Elements in the storage (or in the legacy view).
    let count: Int
    /// Where a legacy view starts in its root storage, in elements.
    let viewOffset: Int

    init(_ id: PickleValue, in unpickled: Unpickled, path: String, tensor: String) throws {
        func fail(_ why: String) -> ModelFormatError { ModelFormatError(path, .badTensorLayout(tensor: tensor, why)) }
        guard let items = unpickled.sequence(id), items.count == 5 || items.count == 6,
            items[0] == .string("storage")
        else { throw fail("a persistent id that is no ('storage', type, key, location, numel) tuple") }
        guard case .global(let typeName) = items[1], let type = TorchElementType.storages[typeName] else {
            throw fail("a storage of unknown type")
        }
        guard let key = storageKey(items[2]) else { throw fail("a storage key that is no string") }
        guard case .int(let count) = items[4], count >= 0 else { throw fail("a storage size that is no count") }
        self.type = type
        self.key = key
        if items.count == 6, let view = unpickled.sequence(items[5]) {
            // Legacy view_metadata: (view_key, offset, view_size) inside the root storage.
            guard view.count == 3, case .int(let offset) = view[1], case .int(let size) = view[2], offset >= 0,
                size >= 0, offset <= count, size <= count - offset
            else { throw fail("a storage view outside its storage") }
            self.count = size
            viewOffset = offset
        } else {
            self.count = count
            viewOffset = 0
        }
    }

    init(type: TorchElementType, key: String, count: Int, viewOffset: Int) {
        self.type = type
        self.key = key
        self.count = count
        self.viewOffset = viewOffset
    }
}

/// A tensor as the pickle describes it, before its storage is checked.
struct TensorRecord {
    let name: String
    let storage: StorageReference
    let offset: Int
    let shape: [Int]
    let stride: [Int]

    func validated(in storages: StorageTable, path: String) throws -> StoredTensor {
        func fail(_ why: String) -> ModelFormatError { ModelFormatError(path, .badTensorLayout(tensor: name, why)) }
        guard let range = storages.ranges[storage.key] else {
            throw fail("its storage '\(storage.key)' is not in the file")
        }
        let size = storage.type.size
        let (rootCount, overflow) = storage.viewOffset.addingReportingOverflow(storage.count)
        let (storageBytes, overflow2) = rootCount.multipliedReportingOverflow(by: size)
        guard !overflow, !overflow2, storageBytes <= range.count else {
            throw fail(
                "storage '\(storage.key)' of \(storage.count) × \(size) bytes runs past the end of its "
                    + "\(range.count) bytes")
        }
        var count = 1
        var last = offset
        for (extent, step) in zip(shape, stride) {
            guard extent >= 0, step >= 0 else { throw fail("a negative size or stride") }
            let (product, overflow) = count.multipliedReportingOverflow(by: extent)
            guard !overflow else { throw fail("more elements than memory can hold") }
            count = product
            if extent > 0 {
                let (reach, overflow1) = (extent - 1).multipliedReportingOverflow(by: step)
                let (sum, overflow2) = last.addingReportingOverflow(reach)
                guard !overflow1, !overflow2 else { throw fail("strides beyond any storage") }
                last = sum
            }
        }
        guard count == 0 || last < storage.count else {
            throw fail(
                "elements up to \(last) of a storage of \(storage.count) (offset \(offset), shape \(describe(shape)), "
                    + "strides \(describe(stride)))")
        }
        // Row-major when each stride is the product of the later sizes (size-1 dimensions may have any).
        var expected = 1
        var rowMajor = true
        for (extent, step) in zip(shape, stride).reversed() {
            if extent != 1 && step != expected { rowMajor = false }
            expected &*= extent
        }
        let layout: StoredTensor.Layout
        if rowMajor || count == 0 {
            layout = .rowMajor
        } else if shape.count == 2, stride == [1, shape[0]] {
            layout = .transposed
        } else {
            layout = .strided
        }
        let byteOffset = range.lowerBound + (storage.viewOffset + (count == 0 ? 0 : offset)) * size
        return StoredTensor(
            info: TensorInfo(name: name, dtype: storage.type.dtype, shape: shape), type: storage.type,
            byteOffset: byteOffset, layout: layout, stride: stride)
    }
}

/// A tensor whose bytes were found inside the file.
struct StoredTensor {
    enum Layout { case rowMajor, transposed, strided }
    let info: TensorInfo
    let type: TorchElementType
    /// The absolute offset of the tensor's first element in the mapped file.
    let byteOffset: Int
    let layout: Layout
    let stride: [Int]
}

/// Collects the tensors reachable from the pickle's root through dicts, lists and tuples, named
/// by their dotted path. Bounded in depth and in visits (a pickle can share one object many times).
struct TensorWalker {
    static let maxDepth = 100
    /// Values looked at; the memo can share one container many times, so this is what bounds the walk.
    static let maxVisits = 1 << 22
    static let maxTensors = 1 << 17
    static let maxNameLength = 4096

    let unpickled: Unpickled
    let path: String
    var records: [TensorRecord] = []
    private var visits = 0

    init(unpickled: Unpickled, path: String) {
        self.unpickled = unpickled
        self.path = path
    }

    private func malformed(_ why: String) -> ModelFormatError { ModelFormatError(path, .malformedHeader(why)) }

    mutating func walk(_ value: PickleValue, name: String, depth: Int) throws {
        guard case .object(let index) = value else { return }
        guard depth <= Self.maxDepth else { throw malformed("containers nested deeper than \(Self.maxDepth) levels") }
        guard name.utf8.count <= Self.maxNameLength else {
            throw malformed("a tensor path longer than \(Self.maxNameLength) bytes")
        }
        try charge(1)
        func join(_ key: String) -> String { name.isEmpty ? key : name + "." + key }
        switch unpickled.objects[index] {
        case .dict(let pairs):
            try charge(pairs.count)
            for pair in pairs {
                // Only containers and tensors need a name; scalars are skipped without building one.
                guard case .object = pair.value, let key = storageKey(pair.key) else { continue }
                try walk(pair.value, name: join(key), depth: depth + 1)
            }
        case .list(let items), .tuple(let items):
            try charge(items.count)
            for (position, item) in items.enumerated() {
                guard case .object = item else { continue }
                try walk(item, name: join(String(position)), depth: depth + 1)
            }
        case .instance(let callable, let arguments, _):
            if TorchCheckpoint.rebuildTensor.contains(callable) {
                guard records.count < Self.maxTensors else { throw malformed("more than \(Self.maxTensors) tensors") }
                records.append(try record(name, callable, arguments))
            } else if TorchCheckpoint.rebuildParameter.contains(callable),
                let first = unpickled.sequence(arguments)?.first
            {
                try walk(first, name: name, depth: depth + 1)
            }
        case .set, .persistent: return
        }
    }

    private mutating func charge(_ count: Int) throws {
        visits += count
        guard visits <= Self.maxVisits else { throw malformed("more than \(Self.maxVisits) references to follow") }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`,
    /// `_rebuild_tensor(storage, storage_offset, size, stride)`, or `_rebuild_tensor_v3(…, backward_hooks,
    /// dtype[, metadata])` (newer dtypes, over an untyped storage counted in bytes).
    private func record(_ name: String, _ callable: String, _ arguments: PickleValue) throws -> TensorRecord {
        func fail(_ why: String) -> ModelFormatError { ModelFormatError(path, .badTensorLayout(tensor: name, why)) }
        guard let args = unpickled.sequence(arguments), args.count >= 4 else {
            throw fail("a tensor rebuild with too few arguments")
        }
        guard case .persistent(let id)? = unpickled.object(args[0]) else {
            throw fail("a tensor whose storage is no persistent id")
        }
        var storage = try StorageReference(id, in: unpickled, path: path, tensor: name)
        if callable == "torch._utils._rebuild_tensor_v3" {
            guard args.count >= 7, case .global(let dtype) = args[6], let type = TorchElementType.dtypes[dtype] else {
                throw fail("_rebuild_tensor_v3 without a known dtype")
            }
            guard storage.type.size == 1, storage.viewOffset == 0 else {
                throw fail("_rebuild_tensor_v3 over a typed storage")
            }
            storage = StorageReference(type: type, key: storage.key, count: storage.count / type.size, viewOffset: 0)
        }
        guard case .int(let offset) = args[1], offset >= 0 else { throw fail("a storage offset that is no count") }
        func integers(_ value: PickleValue, _ what: String) throws -> [Int] {
            guard let items = unpickled.sequence(value), items.count <= 64 else {
                throw fail("a \(what) that is no tuple")
            }
            return try items.map {
                guard case .int(let n) = $0 else { throw fail("a \(what) that is no tuple of integers") }
                return n
            }
        }
        let shape = try integers(args[2], "size"), stride = try integers(args[3], "stride")
        guard shape.count == stride.count else { throw fail("\(shape.count) sizes but \(stride.count) strides") }
        return TensorRecord(name: name, storage: storage, offset: offset, shape: shape, stride: stride)
    }
}
