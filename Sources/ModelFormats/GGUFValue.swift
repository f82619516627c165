/// One metadata value of a GGUF file, with the type the file gives it.
///
/// Arrays hold their elements as values of one element type (arrays of arrays are allowed).
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case uint64(UInt64)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])

    /// The text of a string value.
    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// Any integer value that fits in `Int` (a `uint64` above `Int.max` gives nil).
    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        default: return nil
        }
    }

    /// A float32 or float64 value (float64 widened, not rounded).
    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return nil
        }
    }

    /// A bool value.
    public var bool: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    /// The elements of an array value.
    public var array: [GGUFValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// An array whose elements are all strings (an empty array gives an empty list).
    public var stringArray: [String]? {
        guard case .array(let elements) = self else { return nil }
        var strings: [String] = []
        strings.reserveCapacity(elements.count)
        for element in elements {
            guard case .string(let text) = element else { return nil }
            strings.append(text)
        }
        return strings
    }

    /// An array whose elements are all integers that fit in `Int`.
    public var intArray: [Int]? {
        guard case .array(let elements) = self else { return nil }
        var values: [Int] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            guard let value = element.int else { return nil }
            values.append(value)
        }
        return values
    }

    /// An array whose elements are all float32 or float64.
    public var doubleArray: [Double]? {
        guard case .array(let elements) = self else { return nil }
        var values: [Double] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            guard let value = element.double else { return nil }
            values.append(value)
        }
        return values
    }
}
