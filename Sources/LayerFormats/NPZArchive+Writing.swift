import CZlib
import Foundation

extension NPZArchive {
    /// One array to write into an `.npz`, with its NumPy shape and dtype. Its bytes come from a
    /// producer that is called twice — once for the CRC-32 the local header needs, once to write —
    /// so a large array can be generated in pieces and never held whole in memory.
    public struct Member: @unchecked Sendable {  // the producer is called on the writing thread only
        /// The array's name inside the archive (without `.npy`).
        public let name: String
        /// The NumPy shape written into the member's header.
        public let shape: [Int]
        let dtype: NumpyDType
        let byteCount: Int
        /// Calls its argument with consecutive pieces of the array's little-endian bytes.
        let produce: ((UnsafeRawBufferPointer) throws -> Void) throws -> Void

        /// A 2-D float32 array, `matrix.rows × matrix.columns`.
        public init(name: String, matrix: FloatMatrix) {
            self.init(
                name: name, shape: [matrix.rows, matrix.columns], dtype: .float32(bigEndian: false),
                byteCount: matrix.rows * matrix.columns * 4
            ) { consume in
                try matrix.withUnsafeBufferPointer { try consume(UnsafeRawBufferPointer($0)) }
            }
        }

        /// A 1-D float32 array.
        public init(name: String, vector: [Float]) {
            self.init(name: name, shape: [vector.count], dtype: .float32(bigEndian: false), byteCount: vector.count * 4)
            {
                consume in try vector.withUnsafeBytes { try consume($0) }
            }
        }

        /// A 1-D int64 array.
        public init(name: String, integers: [Int]) {
            let values = integers.map { Int64($0).littleEndian }
            self.init(name: name, shape: [values.count], dtype: .int64(bigEndian: false), byteCount: values.count * 8) {
                consume in try values.withUnsafeBytes { try consume($0) }
            }
        }

        /// A 1-D uint8 array (e.g. UTF-8 text).
        public init(name: String, bytes: [UInt8]) {
            self.init(name: name, shape: [bytes.count], dtype: .uint8, byteCount: bytes.count) { consume in
                try bytes.withUnsafeBytes { try consume($0) }
            }
        }

        /// Any array: `produce` must hand over exactly `byteCount` bytes of `dtype` elements in C order,
        /// the same bytes each time it is called.
        public init(
            name: String, shape: [Int], dtype: NumpyDType, byteCount: Int,
            produce: @escaping ((UnsafeRawBufferPointer) throws -> Void) throws -> Void
        ) {
            precondition(shape.reduce(1, *) * dtype.size == byteCount, "NPZ member \(name): shape and size disagree")
            self.name = name
            self.shape = shape
            self.dtype = dtype
            self.byteCount = byteCount
            self.produce = produce
        }
    }

    /// Writes the arrays as a zip of stored `.npy` entries (what `np.savez` writes), atomically,
    /// streaming each array from memory to disk. Each entry's data starts on a 64-byte boundary
    /// of the file (padding in a local-header extra field, as Android's zipalign does), so reading
    /// it back is zero-copy. ZIP64 records are written when an entry or offset needs them (> 4 GiB).
    public static func write(_ members: [Member], to path: String) throws {
        try write(members, to: path, forceZIP64: false)
    }

    /// `forceZIP64` writes ZIP64 records even for small files (tests use it to exercise readers).
    static func write(_ members: [Member], to path: String, forceZIP64: Bool) throws {
        var seen = Set<String>()
        for member in members where !seen.insert(member.name).inserted {
            throw LayerFormatError(path, .writeFailed("two arrays are named '\(member.name)'"))
        }
        try AtomicFileWriter.write(to: path) { temporary in
            let file = try OutputFile(path: temporary, reportingAs: path)
            var directory: [UInt8] = []
            var needsZIP64End = forceZIP64 || members.count >= 0xFFFF
            for member in members {
                let header = NumpyArray.header(shape: member.shape, descr: member.dtype.descr)
                var crc = header.withUnsafeBytes {
                    crc32_z(0, $0.baseAddress?.assumingMemoryBound(to: Bytef.self), z_size_t($0.count))
                }
                var produced = 0
                try member.produce { piece in
                    crc = crc32_z(crc, piece.baseAddress?.assumingMemoryBound(to: Bytef.self), z_size_t(piece.count))
                    produced += piece.count
                }
                guard produced == member.byteCount else {
                    throw LayerFormatError(path, .writeFailed("array '\(member.name)' produced \(produced) bytes"))
                }
                let size = header.count + member.byteCount
                let crcValue = UInt32(crc)
                let offset = file.offset
                let zip64 = forceZIP64 || size >= 0xFFFF_FFFF || offset >= 0xFFFF_FFFF
                needsZIP64End = needsZIP64End || zip64
                let name = Array((member.name + ".npy").utf8)
                let flags: UInt16 = name.allSatisfy { $0 < 0x80 } ? 0 : 0x800  // bit 11: the name is UTF-8
                let version: UInt16 = zip64 ? 45 : 20

                // Local header; padding so that the .npy (whose own header is a multiple of 64)
                // starts on a 64-byte boundary.
                let zip64Local: [UInt8] = zip64 ? le16(1) + le16(16) + le64(size) + le64(size) : []
                let unpadded = offset + 30 + name.count + zip64Local.count + 4
                let padding = (64 - unpadded % 64) % 64
                var local =
                    le32(ZipSignature.localHeader) + le16(version) + le16(flags) + le16(0) + le16(0) + le16(0x21)
                local +=
                    le32(crcValue) + le32(zip64 ? 0xFFFF_FFFF : UInt32(size)) + le32(zip64 ? 0xFFFF_FFFF : UInt32(size))
                local += le16(UInt16(name.count)) + le16(UInt16(zip64Local.count + 4 + padding)) + name + zip64Local
                local += le16(0xD935) + le16(UInt16(padding)) + [UInt8](repeating: 0, count: padding)
                try file.write(local)
                try file.write(header)
                var written = 0
                try member.produce { piece in
                    try file.write(piece)
                    written += piece.count
                }
                guard written == member.byteCount else {
                    throw LayerFormatError(path, .writeFailed("array '\(member.name)' changed while being written"))
                }

                let zip64Central: [UInt8] = zip64 ? le16(1) + le16(24) + le64(size) + le64(size) + le64(offset) : []
                directory +=
                    le32(ZipSignature.directoryEntry) + le16(0x0300 | version) + le16(version) + le16(flags) + le16(0)
                directory += le16(0) + le16(0x21) + le32(crcValue)
                directory += le32(zip64 ? 0xFFFF_FFFF : UInt32(size)) + le32(zip64 ? 0xFFFF_FFFF : UInt32(size))
                directory += le16(UInt16(name.count)) + le16(UInt16(zip64Central.count)) + le16(0) + le16(0) + le16(0)
                // External attributes: a regular file, rw-r--r-- (version made by: Unix).
                directory += le32(0o100644 << 16)
                directory += le32(zip64 ? 0xFFFF_FFFF : UInt32(offset)) + name + zip64Central
            }
            let directoryOffset = file.offset
            try file.write(directory)
            needsZIP64End = needsZIP64End || directoryOffset + directory.count >= 0xFFFF_FFFF
            if needsZIP64End {
                let zip64EndOffset = file.offset
                var record = le32(ZipSignature.zip64End) + le64(44) + le16(0x0300 | 45) + le16(45) + le32(0) + le32(0)
                record += le64(members.count) + le64(members.count) + le64(directory.count) + le64(directoryOffset)
                record += le32(ZipSignature.zip64Locator) + le32(0) + le64(zip64EndOffset) + le32(1)
                try file.write(record)
            }
            var end = le32(ZipSignature.end) + le16(0) + le16(0)
            end +=
                needsZIP64End
                ? le16(0xFFFF) + le16(0xFFFF) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF)
                : le16(UInt16(members.count)) + le16(UInt16(members.count)) + le32(UInt32(directory.count))
                    + le32(UInt32(directoryOffset))
            end += le16(0)
            try file.write(end)
            try file.close()
        }
    }
}

private func le16(_ v: UInt16) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
private func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
private func le64(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt64(v).littleEndian, Array.init) }
