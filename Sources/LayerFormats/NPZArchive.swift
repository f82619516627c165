import CZlib
import Foundation

/// An `.npz` file: a zip archive of `.npy` entries. The central directory is read here (with ZIP64),
/// so stored entries — what `np.savez` writes — are used in place from the memory-mapped file.
/// Deflated entries (`np.savez_compressed`) are inflated once with zlib, bounded by the sizes the
/// directory declares and checked against its CRC-32, so a corrupt stream fails instead of looping.
public struct NPZArchive: Sendable {
    public struct Entry: Sendable {
        /// Array name: the entry name without ".npy".
        public let name: String
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    public let file: MappedFile
    public let entries: [Entry]

    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    public init(file: MappedFile) throws {
        self.file = file
        let bytes = file.bytes
        let path = file.path
        func fail(_ why: String) -> LayerFormatError { LayerFormatError(path, .notZip(why)) }

        // End of central directory: the last signature within the final 64 KiB + 22 bytes.
        guard bytes.count >= 22 else { throw fail("too short to hold a zip directory") }
        var eocd = -1
        var i = bytes.count - 22
        let floor = max(0, bytes.count - 22 - 65_535)
        while i >= floor {
            if read32(bytes, i) == 0x0605_4B50 { eocd = i; break }
            i -= 1
        }
        guard eocd >= 0 else { throw fail("no end-of-central-directory record (truncated or not a zip file)") }
        var count = Int(read16(bytes, eocd + 10))
        var directorySize = Int(read32(bytes, eocd + 12))
        var directoryOffset = Int(read32(bytes, eocd + 16))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a locator just before the record points at the ZIP64 end record.
            guard eocd >= 20, read32(bytes, eocd - 20) == 0x0706_4B50 else { throw fail("ZIP64 locator missing") }
            let zip64 = Int(clamping: read64(bytes, eocd - 12))
            guard zip64 >= 0, zip64 + 56 <= bytes.count, read32(bytes, zip64) == 0x0606_4B50 else { throw fail("ZIP64 end record missing") }
            count = Int(clamping: read64(bytes, zip64 + 32))
            directorySize = Int(clamping: read64(bytes, zip64 + 40))
            directoryOffset = Int(clamping: read64(bytes, zip64 + 48))
        }
        guard directoryOffset >= 0, directorySize >= 0, directoryOffset + directorySize <= bytes.count else {
            throw fail("the central directory lies outside the file (truncated?)")
        }

        var entries: [Entry] = []
        var p = directoryOffset
        for _ in 0..<count {
            guard p + 46 <= bytes.count, read32(bytes, p) == 0x0201_4B50 else { throw fail("corrupt central directory entry") }
            let method = read16(bytes, p + 10)
            let crc = read32(bytes, p + 16)
            var compressed = Int(read32(bytes, p + 20)), uncompressed = Int(read32(bytes, p + 24))
            let nameLength = Int(read16(bytes, p + 28)), extraLength = Int(read16(bytes, p + 30)), commentLength = Int(read16(bytes, p + 32))
            var local = Int(read32(bytes, p + 42))
            guard p + 46 + nameLength + extraLength <= bytes.count else { throw fail("corrupt central directory entry") }
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(p + 46)..<(p + 46 + nameLength)]), as: UTF8.self)
            // ZIP64 extra field: 64-bit values for whichever 32-bit fields are saturated, in this order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = read16(bytes, e), size = Int(read16(bytes, e + 2))
                if id == 0x0001 {
                    var q = e + 4
                    if uncompressed == 0xFFFF_FFFF, q + 8 <= extraEnd { uncompressed = Int(clamping: read64(bytes, q)); q += 8 }
                    if compressed == 0xFFFF_FFFF, q + 8 <= extraEnd { compressed = Int(clamping: read64(bytes, q)); q += 8 }
                    if local == 0xFFFF_FFFF, q + 8 <= extraEnd { local = Int(clamping: read64(bytes, q)); q += 8 }
                }
                e += 4 + size
            }
            let arrayName = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
            entries.append(Entry(name: arrayName, method: method, crc: crc, compressedSize: compressed, uncompressedSize: uncompressed, localHeaderOffset: local))
            p += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    public var names: [String] { entries.map(\.name) }

    /// The array stored under `name`, or nil if there is none.
    public func array(named name: String) throws -> NumpyArray? {
        guard let entry = entries.first(where: { $0.name == name }) else { return nil }
        let bytes = file.bytes
        let label = "\(file.path) (array '\(name)')"
        let local = entry.localHeaderOffset
        guard local >= 0, local + 30 <= bytes.count, read32(bytes, local) == 0x0403_4B50 else {
            throw LayerFormatError(file.path, .notZip("bad local header for '\(name)'"))
        }
        let start = local + 30 + Int(read16(bytes, local + 26)) + Int(read16(bytes, local + 28))
        guard start + entry.compressedSize <= bytes.count else {
            throw LayerFormatError(file.path, .truncated("array '\(name)' extends past the end of the file"))
        }
        switch entry.method {
        case 0:
            let region = ByteRegion(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + entry.compressedSize)]), owner: file)
            return try NumpyArray.parse(region, path: label)
        case 8:
            let compressed = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + entry.compressedSize)])
            return try NumpyArray.parse(ByteRegion(data: inflate(compressed, entry: entry)), path: label)
        default:
            throw LayerFormatError(file.path, .unsupportedCompression("method \(entry.method) for '\(name)'"))
        }
    }

    /// Raw deflate → exactly `uncompressedSize` bytes, or a `LayerFormatError`.
    private func inflate(_ compressed: UnsafeRawBufferPointer, entry: Entry) throws -> Data {
        func fail(_ why: String) -> LayerFormatError { LayerFormatError(file.path, .notZip("array '\(entry.name)': \(why)")) }
        // A deflate stream expands at most ~1032×; larger claims are corrupt directories.
        guard entry.uncompressedSize >= 0, entry.uncompressedSize <= max(1 << 20, 1100 * entry.compressedSize) else {
            throw fail("declared size \(entry.uncompressedSize) is impossible for \(entry.compressedSize) compressed bytes")
        }
        var output = Data(count: entry.uncompressedSize)
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw fail("zlib could not start") }
        defer { inflateEnd(&stream) }
        let status: Int32 = output.withUnsafeMutableBytes { out in
            stream.next_in = UnsafeMutablePointer(mutating: compressed.baseAddress?.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(compressed.count)
            stream.next_out = out.baseAddress?.assumingMemoryBound(to: Bytef.self)
            stream.avail_out = uInt(out.count)
            return CZlib.inflate(&stream, Z_FINISH)
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == entry.uncompressedSize else {
            throw fail(status == Z_STREAM_END ? "inflated to \(stream.total_out) bytes, not \(entry.uncompressedSize)" : "corrupt deflate data (zlib status \(status))")
        }
        let crc = output.withUnsafeBytes { UInt32(crc32(0, $0.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt($0.count))) }
        guard crc == entry.crc else { throw fail("CRC-32 mismatch (corrupt data)") }
        return output
    }

    /// Writes arrays as a zip of stored `.npy` entries (what `np.savez` writes), atomically.
    /// Each entry's data is padded to start on a 64-byte boundary of the file (an extra field in the
    /// local header, as Android's zipalign does), so reading it back is zero-copy.
    public static func write(_ arrays: [(name: String, npy: Data)], to path: String) throws {
        var file = Data(), directory = Data()
        for (name, npy) in arrays {
            guard npy.count < 0xFFFF_FFFF, file.count < 0xFFFF_FFFF else {
                throw LayerFormatError(path, .writeFailed("arrays over 4 GiB need ZIP64, which this writer does not produce yet"))
            }
            let fileName = Data((name + ".npy").utf8)
            let crc = npy.withUnsafeBytes { UInt32(crc32(0, $0.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt($0.count))) }
            let offset = UInt32(file.count)
            // Padding so that offset + 30 + name + extra is a multiple of 64 (extra ≥ 4 bytes: id + size).
            var extraLength = 64 - (file.count + 30 + fileName.count + 4) % 64
            if extraLength == 64 { extraLength = 0 }
            extraLength += 4
            var local = Data()
            local.append(le32(0x0403_4B50)); local.append(le16(20)); local.append(le16(0)); local.append(le16(0))
            local.append(le16(0)); local.append(le16(0x21))  // time, date (1980-01-01)
            local.append(le32(crc)); local.append(le32(UInt32(npy.count))); local.append(le32(UInt32(npy.count)))
            local.append(le16(UInt16(fileName.count))); local.append(le16(UInt16(extraLength)))
            local.append(fileName)
            local.append(le16(0xD935)); local.append(le16(UInt16(extraLength - 4)))
            local.append(Data(count: extraLength - 4))
            file.append(local)
            file.append(npy)
            var central = Data()
            central.append(le32(0x0201_4B50)); central.append(le16(20)); central.append(le16(20)); central.append(le16(0)); central.append(le16(0))
            central.append(le16(0)); central.append(le16(0x21))
            central.append(le32(crc)); central.append(le32(UInt32(npy.count))); central.append(le32(UInt32(npy.count)))
            central.append(le16(UInt16(fileName.count))); central.append(le16(0)); central.append(le16(0))
            central.append(le16(0)); central.append(le16(0)); central.append(le32(0)); central.append(le32(offset))
            central.append(fileName)
            directory.append(central)
        }
        let directoryOffset = UInt32(file.count)
        file.append(directory)
        var end = Data()
        end.append(le32(0x0605_4B50)); end.append(le16(0)); end.append(le16(0))
        end.append(le16(UInt16(arrays.count))); end.append(le16(UInt16(arrays.count)))
        end.append(le32(UInt32(directory.count))); end.append(le32(directoryOffset)); end.append(le16(0))
        file.append(end)
        try AtomicFileWriter.write(file, to: path)
    }
}

private func le16(_ v: UInt16) -> Data { withUnsafeBytes(of: v.littleEndian) { Data($0) } }
private func le32(_ v: UInt32) -> Data { withUnsafeBytes(of: v.littleEndian) { Data($0) } }

@inline(__always) func read16(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt16 { UInt16(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt16.self)) }
@inline(__always) func read32(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt32 { UInt32(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt32.self)) }
@inline(__always) func read64(_ b: UnsafeRawBufferPointer, _ i: Int) -> UInt64 { UInt64(littleEndian: b.loadUnaligned(fromByteOffset: i, as: UInt64.self)) }
