import Foundation
import PythonFixtures
import Testing

@testable import ModelFormats

/// A fresh temporary directory; the caller removes it (`defer`).
func torchTemporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "torchcheckpoint-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Python that writes checkpoints the way `torch.save` lays them out, without torch: fake
/// `torch`, `torch._utils` and `torch.storage` modules whose classes and functions carry the real
/// names (so pickle writes the same GLOBALs), a pickler whose `persistent_id` returns torch's
/// storage tuples, protocol 2, and numpy for the storage bytes. `D` is the test's directory.
let torchPrelude = #"""
    import sys, types, pickle, zipfile, io, collections, struct, os, argparse
    import numpy as np

    torch = types.ModuleType('torch')
    torch._utils = types.ModuleType('torch._utils')
    torch.storage = types.ModuleType('torch.storage')
    sys.modules.update({'torch': torch, 'torch._utils': torch._utils, 'torch.storage': torch.storage})

    def _named(module, name, value):
        value.__module__ = module.__name__
        value.__qualname__ = name
        value.__name__ = name
        setattr(module, name, value)
        return value

    for _name in ['FloatStorage', 'HalfStorage', 'BFloat16Storage', 'DoubleStorage', 'LongStorage',
                  'IntStorage', 'BoolStorage', 'ByteStorage']:
        _named(torch, _name, type(_name, (), {}))
    _named(torch.storage, 'UntypedStorage', type('UntypedStorage', (), {}))
    class _DType:
        def __init__(self, name):
            self.name, self.__module__ = name, 'torch'
        def __reduce__(self):
            return self.name
    for _name in ['float32', 'float8_e4m3fn']:
        setattr(torch, _name, _DType(_name))
    for _name in ['_rebuild_tensor_v2', '_rebuild_tensor', '_rebuild_parameter', '_rebuild_tensor_v3']:
        _named(torch._utils, _name, lambda *args: None)
    _named(torch.storage, '_load_from_bytes', lambda b: None)
    _named(torch, 'Size', type('Size', (tuple,), {}))

    class Storage:
        """One torch storage: its class, its key in the archive, and its little-endian bytes."""
        def __init__(self, kind, key, data):
            self.kind, self.key, self.data = kind, key, data
            self.numel = len(data) // {'f32': 4, 'f16': 2, 'bf16': 2, 'f64': 8, 'i64': 8, 'u8': 1}[kind]
        def storage_class(self):
            return {'f32': torch.FloatStorage, 'f16': torch.HalfStorage, 'bf16': torch.BFloat16Storage,
                    'f64': torch.DoubleStorage, 'i64': torch.LongStorage, 'u8': torch.storage.UntypedStorage}[self.kind]

    class StorageView:
        """A view into a storage, as legacy torch.save records it (view_metadata)."""
        def __init__(self, root, offset, size):
            self.root, self.offset, self.size, self.key = root, offset, size, str(next(_keys))

    class Tensor:
        def __init__(self, storage, offset, size, stride, v2=True, torch_size=False):
            self.storage, self.offset, self.size, self.stride = storage, offset, tuple(size), tuple(stride)
            self.v2, self.torch_size = v2, torch_size
        def __reduce_ex__(self, protocol):
            size = torch.Size(self.size) if self.torch_size else self.size
            if not self.v2:
                return (torch._utils._rebuild_tensor, (self.storage, self.offset, size, self.stride))
            return (torch._utils._rebuild_tensor_v2,
                    (self.storage, self.offset, size, self.stride, False, collections.OrderedDict()))

    class TensorV3(Tensor):
        """What torch 2.x writes for the newer dtypes: an untyped storage and the dtype object."""
        def __init__(self, storage, offset, size, stride, dtype):
            super().__init__(storage, offset, size, stride)
            self.dtype = dtype
        def __reduce_ex__(self, protocol):
            return (torch._utils._rebuild_tensor_v3,
                    (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict(), self.dtype))

    class Parameter:
        def __init__(self, tensor):
            self.tensor = tensor
        def __reduce_ex__(self, protocol):
            return (torch._utils._rebuild_parameter, (self.tensor, True, collections.OrderedDict()))

    _keys = iter(range(1 << 30))

    def encode(array, kind):
        if kind == 'bf16':
            return (np.ascontiguousarray(array, dtype=np.float32).view(np.uint32) >> 16).astype('<u2').tobytes()
        dtype = {'f32': '<f4', 'f16': '<f2', 'f64': '<f8', 'i64': '<i8', 'u8': 'u1'}[kind]
        return np.ascontiguousarray(array).astype(dtype).tobytes()

    def storage(array, kind='f32'):
        return Storage(kind, str(next(_keys)), encode(array, kind))

    def tensor(array, kind='f32'):
        """A contiguous tensor with its own storage."""
        array = np.asarray(array)
        strides = [int(np.prod(array.shape[i + 1:])) for i in range(array.ndim)]
        return Tensor(storage(array, kind), 0, array.shape, strides)

    def reference(name, array, kind='f32'):
        """What the reader must return: numpy's float32 of the stored values, as raw bytes."""
        array = np.asarray(array)
        if kind == 'bf16':
            values = (np.ascontiguousarray(array, dtype=np.float32).view(np.uint32) & 0xFFFF0000).view(np.float32)
        else:
            values = np.frombuffer(encode(array, kind), dtype={'f32': '<f4', 'f16': '<f2', 'f64': '<f8'}[kind])
        values.astype('<f4').tofile(os.path.join(D, name + '.ref'))

    class Pickler(pickle.Pickler):
        def __init__(self, file, **kw):
            super().__init__(file, **kw)
            self.storages = {}
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                self.storages[obj.key] = obj
                return ('storage', obj.storage_class(), obj.key, 'cpu', obj.numel)
            return None

    def dump(obj, protocol=2):
        buffer = io.BytesIO()
        pickler = Pickler(buffer, protocol=protocol)
        pickler.dump(obj)
        return buffer.getvalue(), pickler.storages

    def write_zip(path, members, align=64, misalign_data=False):
        """Stored members; data members aligned to `align` bytes by padding the local extra field
        as torch does (or put 2 bytes off a 4-byte boundary when misalign_data)."""
        with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as archive:
            for name, data in members:
                info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
                start = archive.fp.tell() + 30 + len(name.encode()) + 4
                padding = (-start) % align
                if misalign_data and '/data/' in name:
                    padding = (padding + 2) % align
                info.extra = b'FB' + struct.pack('<H', padding) + b'Z' * padding
                archive.writestr(info, data)

    def save(obj, name='model.pt', archive='archive', byteorder=b'little', misalign_data=False, pickle_bytes=None,
             extra_storage_bytes=None):
        data, storages = dump(obj)
        if pickle_bytes is not None:
            data = pickle_bytes
        members = [(archive + '/data.pkl', data)]
        if byteorder is not None:
            members.append((archive + '/byteorder', byteorder))
        for key, stored in storages.items():
            members.append((archive + '/data/' + key, stored.data))
        members.append((archive + '/version', b'3\n'))
        write_zip(os.path.join(D, name), members, misalign_data=misalign_data)

    def save_legacy(obj, name='legacy.pt'):
        """torch.save before 1.6: magic, protocol version, sys info, object, keys, then storages."""
        buffer = io.BytesIO()
        for header in [0x1950a86a20f9469cfc6c, 1001,
                       dict(protocol_version=1001, little_endian=True,
                            type_sizes=dict(short=2, int=4, long=4))]:
            pickle.dump(header, buffer, protocol=2)
        class LegacyPickler(Pickler):
            def persistent_id(self, obj):
                if isinstance(obj, StorageView):
                    root = obj.root
                    self.storages[root.key] = root
                    return ('storage', root.storage_class(), root.key, 'cpu', root.numel,
                            (obj.key, obj.offset, obj.size))
                if isinstance(obj, Storage):
                    self.storages[obj.key] = obj
                    return ('storage', obj.storage_class(), obj.key, 'cpu', obj.numel, None)
                return None
        pickler = LegacyPickler(buffer, protocol=2)
        pickler.dump(obj)
        keys = sorted(pickler.storages)
        pickle.dump(keys, buffer, protocol=2)
        for key in keys:
            stored = pickler.storages[key]
            buffer.write(struct.pack('<q', stored.numel))
            buffer.write(stored.data)
        with open(os.path.join(D, name), 'wb') as f:
            f.write(buffer.getvalue())
    """#

/// Runs `code` after the prelude with `D` set to `directory`; returns standard output.
@discardableResult
func torchPython(_ code: String, in directory: String) throws -> String {
    try runPython("D = \(pythonString(directory))\n" + code, prelude: torchPrelude + "\n")
}

func pythonString(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
}

/// The float32 values Python's `reference(name, …)` wrote.
func referenceValues(_ name: String, in directory: String) throws -> [Float] {
    let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name + ".ref"))
    return data.withUnsafeBytes { raw in
        (0..<(raw.count / 4)).map {
            Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
        }
    }
}

/// Bitwise equality (so NaN payloads and −0 count too).
func sameBits(_ a: [Float], _ b: [Float]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
}

/// The kind of `ModelFormatError` that opening `path` throws (nil if it opens), checking on the
/// way that the message starts with the path.
func torchError(_ path: String, sourceLocation: SourceLocation = #_sourceLocation) -> ModelFormatError.Kind? {
    do {
        _ = try TorchCheckpoint(path: path)
        return nil
    } catch let error as ModelFormatError {
        #expect(
            error.description.hasPrefix(path + ": "), "the message should start with the file: \(error)",
            sourceLocation: sourceLocation)
        return error.kind
    } catch {
        Issue.record("not a ModelFormatError: \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// A zip archive of stored members, written in Swift (for hostile pickles without a Python run
/// each). CRCs are left 0: stored members are not CRC-checked by the reader.
func storedZip(_ members: [(String, [UInt8])]) -> [UInt8] {
    var out: [UInt8] = []
    var directory: [UInt8] = []
    func le16(_ v: Int, _ into: inout [UInt8]) { into += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    func le32(_ v: Int, _ into: inout [UInt8]) { for i in 0..<4 { into.append(UInt8(v >> (8 * i) & 0xFF)) } }
    for (name, data) in members {
        let offset = out.count
        let nameBytes = Array(name.utf8)
        // Local header, padded through the extra field so the data starts 64-byte aligned.
        let padding = (64 - (offset + 30 + nameBytes.count + 4) % 64) % 64
        le32(0x0403_4B50, &out)
        le16(20, &out)
        le16(0, &out)
        le16(0, &out)
        le32(0, &out)
        le32(0, &out)
        le32(data.count, &out)
        le32(data.count, &out)
        le16(nameBytes.count, &out)
        le16(4 + padding, &out)
        out += nameBytes
        le16(0x4246, &out)
        le16(padding, &out)
        out += [UInt8](repeating: 0x5A, count: padding)
        out += data
        le32(0x0201_4B50, &directory)
        le16(20, &directory)
        le16(20, &directory)
        le16(0, &directory)
        le16(0, &directory)
        le32(0, &directory)
        le32(0, &directory)
        le32(data.count, &directory)
        le32(data.count, &directory)
        le16(nameBytes.count, &directory)
        le16(0, &directory)
        le16(0, &directory)
        le16(0, &directory)
        le16(0, &directory)
        le32(0, &directory)
        le32(offset, &directory)
        directory += nameBytes
    }
    let directoryOffset = out.count
    out += directory
    le32(0x0605_4B50, &out)
    le16(0, &out)
    le16(0, &out)
    le16(members.count, &out)
    le16(members.count, &out)
    le32(directory.count, &out)
    le32(directoryOffset, &out)
    le16(0, &out)
    return out
}

/// A checkpoint whose data.pkl is `pickle` (and whose storages are `storages`), written to `path`.
func writeTorchZip(_ pickle: [UInt8], storages: [(String, [UInt8])] = [], to path: String) throws {
    let members = [("archive/data.pkl", pickle)] + storages.map { ("archive/data/" + $0.0, $0.1) }
    try Data(storedZip(members + [("archive/version", Array("3\n".utf8))])).write(to: URL(fileURLWithPath: path))
}

/// A tiny seeded generator so the fuzz cases are the same on every run.
struct TorchSeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state ^ (state >> 29)
    }
}
