import CZlib
import Foundation

/// An `.npz` file: a zip archive of `.npy` entries. The zip directory is read here (ZIP64
/// included), so stored entries — what `np.savez` writes — are parsed in place in the
/// memory-mapped file. Deflated entries (`np.savez_compressed`) are inflated once with zlib,
/// bounded by the sizes the directory declares and checked against its CRC-32, so a corrupt
/// stream fails instead of looping or allocating without limit.
///
/// Stored entries are not CRC-checked: that would read a multi-GB layer once more just to load
/// it; their header and sizes are still checked, and the weights are scanned for NaN/Inf.
public struct NPZArchive: Sendable {
    /// One member of the archive, as the zip directory describes it.
    public struct Entry: Sendable {
        /// Array name: the member's file name without ".npy" (as `np.load` names it).
        public let name: String
        /// The member's full name in the zip directory.
        public let fileName: String
        let flags: UInt16
        let method: UInt16
        let crc: UInt32
        let compressedSize: Int
        let uncompressedSize: Int
        let localHeaderOffset: Int
    }

    /// The mapped archive; stored arrays are views into it.
    public let file: MappedFile
    /// The members, in the order of the zip directory.
    public let entries: [Entry]
    /// The first member of each full name, so lookups stay O(1) in archives of many members
    /// (a PyTorch checkpoint has one per storage).
    private let entryByFileName: [String: Int]

    /// Maps the file at `path` and reads its zip directory (no array is parsed yet).
    public init(path: String) throws {
        try self.init(file: MappedFile(path: path))
    }

    /// Reads the zip directory of an already mapped file.
    public init(file: MappedFile) throws {
        self.file = file
        let bytes = file.bytes
        func fail(_ why: String) -> LayerFormatError { LayerFormatError(file.path, .notZip(why)) }
        func fits(_ offset: Int, _ length: Int) -> Bool { isInside(offset, length, bytes.count) }

        // End of central directory: the last signature within the final 64 KiB (+ 22 bytes).
        guard bytes.count >= 22 else { throw fail("too short to hold a zip directory") }
        var end = -1
        for candidate in stride(from: bytes.count - 22, through: max(0, bytes.count - 22 - 65_535), by: -1)
        where read32(bytes, candidate) == ZipSignature.end {
            end = candidate
            break
        }
        guard end >= 0 else { throw fail("no end-of-central-directory record (truncated, or not a zip file)") }
        var count = Int(read16(bytes, end + 10))
        var directorySize = Int(read32(bytes, end + 12))
        var directoryOffset = Int(read32(bytes, end + 16))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: a locator just before the end record points at the ZIP64 end record.
            guard end >= 20, read32(bytes, end - 20) == ZipSignature.zip64Locator else {
                throw fail("ZIP64 locator missing")
            }
            let zip64End = Int(clamping: read64(bytes, end - 12))
            guard fits(zip64End, 56), read32(bytes, zip64End) == ZipSignature.zip64End else {
                throw fail("ZIP64 end record missing")
            }
            count = Int(clamping: read64(bytes, zip64End + 32))
            directorySize = Int(clamping: read64(bytes, zip64End + 40))
            directoryOffset = Int(clamping: read64(bytes, zip64End + 48))
        }
        guard fits(directoryOffset, directorySize) else {
            throw fail("the central directory lies outside the file (truncated?)")
        }

        var entries: [Entry] = []
        var p = directoryOffset
        let directoryEnd = directoryOffset + directorySize
        for _ in 0..<count {
            guard isInside(p, 46, directoryEnd), read32(bytes, p) == ZipSignature.directoryEntry else {
                throw fail("corrupt central directory entry")
            }
            let flags = read16(bytes, p + 8), method = read16(bytes, p + 10), crc = read32(bytes, p + 16)
            var compressed = Int(read32(bytes, p + 20)), uncompressed = Int(read32(bytes, p + 24))
            let nameLength = Int(read16(bytes, p + 28)), extraLength = Int(read16(bytes, p + 30)),
                commentLength = Int(read16(bytes, p + 32))
            var local = Int(read32(bytes, p + 42))
            guard isInside(p, 46 + nameLength + extraLength + commentLength, directoryEnd) else {
                throw fail("corrupt central directory entry")
            }
            let name = String(
                decoding: UnsafeRawBufferPointer(rebasing: bytes[(p + 46)..<(p + 46 + nameLength)]), as: UTF8.self)
            // ZIP64 extra field: 64-bit values for whichever 32-bit fields are saturated, in this order.
            var e = p + 46 + nameLength
            let extraEnd = e + extraLength
            while e + 4 <= extraEnd {
                let id = read16(bytes, e), size = Int(read16(bytes, e + 2))
                if id == 0x0001 {
                    var q = e + 4
                    let fieldEnd = min(q + size, extraEnd)
                    if uncompressed == 0xFFFF_FFFF, q + 8 <= fieldEnd {
                        uncompressed = Int(clamping: read64(bytes, q))
                        q += 8
                    }
                    if compressed == 0xFFFF_FFFF, q + 8 <= fieldEnd {
                        compressed = Int(clamping: read64(bytes, q))
                        q += 8
                    }
                    if local == 0xFFFF_FFFF, q + 8 <= fieldEnd {
                        local = Int(clamping: read64(bytes, q))
                        q += 8
                    }
                }
                e += 4 + size
            }
            let arrayName = name.hasSuffix(".npy") ? String(name.dropLast(4)) : name
            entries.append(
                Entry(
                    name: arrayName, fileName: name, flags: flags, method: method, crc: crc, compressedSize: compressed,
                    uncompressedSize: uncompressed, localHeaderOffset: local))
            p += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
        var entryByFileName: [String: Int] = [:]
        for (position, entry) in entries.enumerated() where entryByFileName[entry.fileName] == nil {
            entryByFileName[entry.fileName] = position
        }
        self.entryByFileName = entryByFileName
    }

    /// The array names, in the archive's order.
    public var names: [String] { entries.map(\.name) }

    /// Where the member `name` (its full name in the zip directory, `.npy` included for arrays)
    /// lies in the mapped file, for a member stored without compression (what `torch.save`
    /// writes, 64-byte aligned): nil if there is no such member; errors for a compressed,
    /// encrypted or out-of-bounds member.
    public func storedMember(named name: String) throws -> Range<Int>? {
        guard let position = entryByFileName[name] else { return nil }
        let entry = entries[position]
        let label = "\(file.path) (member '\(name)')"
        let (start, _) = try dataStart(of: entry, label: label)
        guard entry.method == 0, entry.compressedSize == entry.uncompressedSize else {
            throw LayerFormatError(label, .unsupportedCompression("method \(entry.method) (expected 0, stored)"))
        }
        return start..<(start + entry.compressedSize)
    }

    /// The full member names of the zip directory.
    public var memberNames: [String] { entries.map(\.fileName) }

    /// The offset of an entry's data, after checking its local header (not encrypted, inside the file).
    private func dataStart(of entry: Entry, label: String) throws -> (Int, Void) {
        let bytes = file.bytes
        func fail(_ why: String) -> LayerFormatError { LayerFormatError(label, .notZip(why)) }
        guard entry.flags & 1 == 0 else { throw fail("the entry is encrypted") }
        let local = entry.localHeaderOffset
        guard isInside(local, 30, bytes.count), read32(bytes, local) == ZipSignature.localHeader else {
            throw fail("bad local header")
        }
        let start = local + 30 + Int(read16(bytes, local + 26)) + Int(read16(bytes, local + 28))
        guard isInside(start, entry.compressedSize, bytes.count) else {
            throw LayerFormatError(label, .truncated("the entry extends past the end of the file"))
        }
        return (start, ())
    }

    /// The array stored under `name`, or nil if there is none. Errors name the file and the array.
    public func array(named name: String) throws -> NumpyArray? {
        guard let entry = entries.first(where: { $0.name == name }) else { return nil }
        let bytes = file.bytes
        let label = "\(file.path) (array '\(name)')"
        func fail(_ why: String) -> LayerFormatError { LayerFormatError(label, .notZip(why)) }
        let (start, _) = try dataStart(of: entry, label: label)
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw fail("a stored entry with two different sizes")
            }
            return try NumpyArray.parse(
                ByteRegion(file.bytes, owner: file).slice(start, entry.compressedSize), source: label)
        case 8:
            let inflated = try inflate(
                UnsafeRawBufferPointer(rebasing: bytes[start..<(start + entry.compressedSize)]), entry: entry,
                label: label)
            return try NumpyArray.parse(ByteRegion(inflated.bytes, owner: inflated), source: label)
        default:
            throw LayerFormatError(
                label, .unsupportedCompression("method \(entry.method) (numpy writes 0, stored, or 8, deflate)"))
        }
    }

    /// Raw deflate → exactly `uncompressedSize` bytes in a 64-byte aligned buffer, or an error.
    private func inflate(_ compressed: UnsafeRawBufferPointer, entry: Entry, label: String) throws -> OwnedBytes {
        func fail(_ why: String) -> LayerFormatError { LayerFormatError(label, .notZip(why)) }
        let size = entry.uncompressedSize
        // Deflate expands at most ~1032×; a larger claim is a corrupt directory, not a reason to allocate.
        guard size <= max(1 << 20, 1100 * entry.compressedSize) else {
            throw fail("declared size \(size) is impossible for \(entry.compressedSize) compressed bytes")
        }
        guard let output = OwnedBytes(byteCount: size) else {
            throw LayerFormatError(label, .unreadable("cannot allocate \(size) bytes to inflate it"))
        }
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw fail("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: compressed.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.next_out = output.mutableBytes.baseAddress?.assumingMemoryBound(to: Bytef.self)
        var inputLeft = compressed.count, outputLeft = size
        var status = Z_OK
        // zlib counts in 32 bits: feed it at most 1 GiB each way per call. Every Z_OK call makes
        // progress, so the loop ends; Z_BUF_ERROR means the stream wants input or room we lack.
        while status == Z_OK {
            let chunkIn = min(inputLeft, 1 << 30), chunkOut = min(outputLeft, 1 << 30)
            stream.avail_in = uInt(chunkIn)
            stream.avail_out = uInt(chunkOut)
            status = CZlib.inflate(&stream, Z_NO_FLUSH)
            let consumed = chunkIn - Int(stream.avail_in), produced = chunkOut - Int(stream.avail_out)
            inputLeft -= consumed
            outputLeft -= produced
            if status == Z_OK, consumed == 0, produced == 0 { status = Z_BUF_ERROR }
        }
        switch status {
        case Z_STREAM_END where outputLeft == 0: break
        case Z_STREAM_END: throw fail("inflated to \(size - outputLeft) bytes, the directory says \(size)")
        case Z_BUF_ERROR where outputLeft == 0: throw fail("inflates to more than the \(size) bytes the directory says")
        case Z_BUF_ERROR: throw LayerFormatError(label, .truncated("the compressed data ends early"))
        default: throw fail("corrupt deflate data (zlib status \(status))")
        }
        let crc = UInt32(
            crc32_z(0, output.mutableBytes.baseAddress?.assumingMemoryBound(to: Bytef.self), z_size_t(size)))
        guard crc == entry.crc else { throw fail("CRC-32 mismatch (corrupt data)") }
        return output
    }
}

/// The zip record signatures this reader and the writer use.
enum ZipSignature {
    static let localHeader: UInt32 = 0x0403_4B50
    static let directoryEntry: UInt32 = 0x0201_4B50
    static let end: UInt32 = 0x0605_4B50
    static let zip64End: UInt32 = 0x0606_4B50
    static let zip64Locator: UInt32 = 0x0706_4B50
}

/// `offset ..< offset + length` lies inside `0 ..< limit`, without overflowing on hostile values.
@inline(__always) func isInside(_ offset: Int, _ length: Int, _ limit: Int) -> Bool {
    offset >= 0 && length >= 0 && offset <= limit && length <= limit - offset
}
