import Foundation

extension NumpyArray {
    /// The `.npy` header for little-endian float32 data in C order: magic, version (1.0, or 2.0
    /// when the header needs more than 16 bits of length), the dictionary, and space padding with
    /// a final newline so the data starts on a 64-byte boundary, as numpy writes it.
    static func header(shape: [Int], descr: String = "<f4") -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        let dictionary = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
        func padded(_ prefix: Int) -> Int { (prefix + dictionary.count + 1 + 63) / 64 * 64 - prefix }
        let prefix = padded(10) <= Int(UInt16.max) ? 10 : 12
        let length = padded(prefix)
        var header = magic
        if prefix == 10 {
            header += [1, 0] + withUnsafeBytes(of: UInt16(length).littleEndian, Array.init)
        } else {
            header += [2, 0] + withUnsafeBytes(of: UInt32(length).littleEndian, Array.init)
        }
        header += dictionary
        header += [UInt8](repeating: UInt8(ascii: " "), count: length - dictionary.count - 1) + [UInt8(ascii: "\n")]
        return header
    }

    /// A complete `.npy` file in memory for float32 `values` of `shape` (row-major).
    public static func encode(_ values: UnsafeBufferPointer<Float>, shape: [Int]) -> Data {
        precondition(values.count == shape.reduce(1, *), "NumpyArray.encode: \(values.count) values for shape \(shape)")
        var data = Data(header(shape: shape))
        data.append(
            UnsafeBufferPointer(
                start: values.baseAddress.map { UnsafeRawPointer($0).assumingMemoryBound(to: UInt8.self) },
                count: values.count * MemoryLayout<Float>.stride))
        return data
    }

    /// Writes float32 `values` of `shape` (row-major) as a `.npy` file, atomically and streamed
    /// (no second copy of the data in memory).
    public static func write(_ values: UnsafeBufferPointer<Float>, shape: [Int], to path: String) throws {
        precondition(values.count == shape.reduce(1, *), "NumpyArray.write: \(values.count) values for shape \(shape)")
        try AtomicFileWriter.write(to: path) { temporary in
            let file = try OutputFile(path: temporary, reportingAs: path)
            try header(shape: shape).withUnsafeBytes { try file.write($0) }
            try file.write(UnsafeRawBufferPointer(values))
            try file.close()
        }
    }

    /// Writes a matrix as a 2-D `.npy` file (rows × columns, float32, C order), atomically.
    public static func write(_ matrix: FloatMatrix, to path: String) throws {
        try matrix.withUnsafeBufferPointer { try write($0, shape: [matrix.rows, matrix.columns], to: path) }
    }
}
