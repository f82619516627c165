/// A scalar or a reference produced by the restricted unpickler. Containers and objects live in
/// `Unpickled.objects` and are referenced by index, so a memoised list or dict is mutated in place
/// (as in Python) and no value nests inside another: hostile nesting cannot recurse on free.
enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer beyond 64 bits: `0x` and the big-endian hex of its two's complement bytes for
    /// the binary opcodes, the decimal digits for the text one (only compared, never computed with).
    case bigInt(String)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// An allowed global, as "module.name" (an inert marker: nothing was imported).
    case global(String)
    /// An entry of `Unpickled.objects`.
    case object(Int)
}

/// A container or an object the pickle built.
enum PickleObject: Sendable {
    case list([PickleValue])
    case tuple([PickleValue])
    /// A dict or an `OrderedDict`, in insertion order (duplicate keys kept; readers let the last win).
    case dict([PicklePair])
    case set([PickleValue])
    /// A persistent id (BINPERSID/PERSID): what the loader resolves itself, e.g. a storage tuple.
    case persistent(PickleValue)
    /// A call of an allowed global (REDUCE or NEWOBJ), recorded, never run: the callable, its
    /// argument tuple, and the state BUILD gave it.
    case instance(callable: String, arguments: PickleValue, state: PickleValue?)
}

struct PicklePair: Sendable {
    let key: PickleValue
    let value: PickleValue
}

/// What an allowed global becomes when it is called. Everything else is recorded as an inert
/// `.instance` for the caller to interpret.
enum PickleGlobalBehaviour: Sendable {
    /// `collections.OrderedDict`: a dict (REDUCE with `()` or a sequence of pairs).
    case orderedDict
    /// `collections.defaultdict(factory)`: a dict (the factory, an allowed global, is dropped).
    case defaultDict
    /// `builtins.set` / `builtins.frozenset` from `()` or `(list,)`.
    case set
    /// `builtins.bytes()` (how protocol 2 spells `b""`).
    case emptyBytes
    /// `_codecs.encode(text, "latin1")` (how protocol 2 spells non-empty `bytes`).
    case latin1Bytes
    /// `torch.Size(tuple)`: the tuple itself.
    case tuple
    /// Kept as `.instance` (tensor rebuilds, `argparse.Namespace`, numpy scalars, …), or, for
    /// names that are only ever values (dtypes, storage classes), never called at all.
    case opaque
}

/// The result of one pickle.
struct Unpickled: Sendable {
    var objects: [PickleObject]
    var root: PickleValue
    /// The offset just after the STOP opcode (legacy torch files put several pickles in a row).
    var end: Int

    /// The object a value refers to, if it is a reference.
    func object(_ value: PickleValue) -> PickleObject? {
        if case .object(let index) = value { return objects[index] }
        return nil
    }

    /// The elements of a tuple or list value.
    func sequence(_ value: PickleValue) -> [PickleValue]? {
        switch object(value) {
        case .tuple(let items), .list(let items): return items
        default: return nil
        }
    }
}

/// A restricted unpickler: it reads pickle protocols 0–5 as far as state dicts need and never
/// imports or calls anything. GLOBAL/STACK_GLOBAL resolve only names on an allow-list, to inert
/// markers; REDUCE/NEWOBJ/BUILD record calls of those markers. Sizes are bounded (stack, memo,
/// objects, mark nesting) and every length is checked against the bytes left, so hostile input
/// fails with a `ModelFormatError` instead of trapping, hanging or allocating without limit.
struct PickleMachine {
    static let maxStack = 1 << 20
    static let maxMemo = 1 << 21
    static let maxObjects = 1 << 21
    static let maxMarks = 512
    static let maxLine = 1 << 20

    let bytes: UnsafeRawBufferPointer
    let path: String
    let allowed: [String: PickleGlobalBehaviour]
    /// How error messages name the pickle inside the file (e.g. `data.pkl`).
    let label: String

    private var p: Int
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var objects: [PickleObject] = []
    /// Elements that calls built from other values (an OrderedDict's pairs, latin-1 bytes): a
    /// memoised argument can be passed again and again, so these are bounded by the pickle's size.
    private var built = 0

    /// Reads one pickle starting at `start` in `bytes`; errors name `path`.
    static func run(
        _ bytes: UnsafeRawBufferPointer, from start: Int = 0, path: String, label: String,
        allowed: [String: PickleGlobalBehaviour]
    ) throws -> Unpickled {
        var machine = PickleMachine(bytes: bytes, path: path, allowed: allowed, label: label, start: start)
        return try machine.execute()
    }

    private init(
        bytes: UnsafeRawBufferPointer, path: String, allowed: [String: PickleGlobalBehaviour], label: String,
        start: Int
    ) {
        self.bytes = bytes
        self.path = path
        self.allowed = allowed
        self.label = label
        self.p = start
    }

    // MARK: Errors and reading

    private func malformed(_ why: String) -> ModelFormatError {
        ModelFormatError(path, .malformedHeader("\(label) at byte \(p): \(why)"))
    }

    private func truncated() -> ModelFormatError {
        ModelFormatError(path, .truncated("\(label) ends inside an opcode (no STOP)"))
    }

    private var remaining: Int { bytes.count - p }

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0 else { throw malformed("negative length \(count)") }
        guard count <= remaining else { throw truncated() }
        defer { p += count }
        return UnsafeRawBufferPointer(rebasing: bytes[p..<(p + count)])
    }

    private mutating func byte() throws -> UInt8 { try take(1)[0] }

    private mutating func unsigned(_ count: Int) throws -> UInt64 {
        let raw = try take(count)
        var value: UInt64 = 0
        for i in stride(from: count - 1, through: 0, by: -1) { value = value << 8 | UInt64(raw[i]) }
        return value
    }

    /// A length field: refused when it exceeds the bytes left (before anything is allocated).
    private mutating func length(_ count: Int) throws -> Int {
        let value = try unsigned(count)
        guard value <= UInt64(remaining) else {
            // A cut file and a corrupt length look the same from here.
            throw ModelFormatError(
                path, .truncated("\(label) at byte \(p): a length of \(value) bytes, only \(remaining) left"))
        }
        return Int(value)
    }

    /// A text line without its newline (protocol 0 arguments).
    private mutating func line() throws -> [UInt8] {
        let limit = min(bytes.count, p + Self.maxLine)
        var end = p
        while end < limit, bytes[end] != 0x0A { end += 1 }
        guard end < limit else {
            throw end == bytes.count ? truncated() : malformed("a text argument longer than \(Self.maxLine) bytes")
        }
        let text = [UInt8](bytes[p..<end])
        p = end + 1
        return text
    }

    // MARK: The stack

    private mutating func push(_ value: PickleValue) throws {
        guard stack.count < Self.maxStack else { throw malformed("more than \(Self.maxStack) values on the stack") }
        stack.append(value)
    }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else {
            throw malformed("pop from an empty stack")
        }
        return value
    }

    private mutating func top() throws -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else { throw malformed("empty stack") }
        return value
    }

    /// The values above the topmost mark, removing them and the mark.
    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no MARK to pop to") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private mutating func store(_ object: PickleObject) throws -> PickleValue {
        guard objects.count < Self.maxObjects else { throw malformed("more than \(Self.maxObjects) objects") }
        objects.append(object)
        return .object(objects.count - 1)
    }

    private mutating func memoize(_ index: Int) throws {
        guard index >= 0 else { throw malformed("negative memo index") }
        guard memo.count < Self.maxMemo || memo[index] != nil else {
            throw malformed("more than \(Self.maxMemo) memo entries")
        }
        memo[index] = try top()
    }

    private mutating func recall(_ index: Int) throws {
        guard let value = memo[index] else { throw malformed("memo entry \(index) was never stored") }
        try push(value)
    }

    private func decimal(_ text: [UInt8]) throws -> Int {
        guard let value = Int(String(decoding: text, as: UTF8.self).trimmingSpaces) else {
            throw malformed("not a number: '\(String(decoding: text.prefix(40), as: UTF8.self))'")
        }
        return value
    }

    // MARK: Containers

    private func sequence(_ value: PickleValue) -> [PickleValue]? {
        guard case .object(let index) = value else { return nil }
        switch objects[index] {
        case .tuple(let items), .list(let items): return items
        default: return nil
        }
    }

    /// Appends `items` to the list or set at the top of the stack.
    private mutating func extend(with items: [PickleValue], opcode: String) throws {
        guard case .object(let index) = try top() else { throw malformed("\(opcode) on a value that is no list") }
        switch objects[index] {
        case .list(var list) where opcode != "ADDITEMS":
            objects[index] = .list([])  // keep the array uniquely referenced while it grows
            list.append(contentsOf: items)
            objects[index] = .list(list)
        case .set(var set) where opcode == "ADDITEMS":
            objects[index] = .set([])
            set.append(contentsOf: items)
            objects[index] = .set(set)
        default: throw malformed("\(opcode) on an object that is no \(opcode == "ADDITEMS" ? "set" : "list")")
        }
    }

    /// Adds key/value pairs (flattened: k0, v0, k1, v1, …) to the dict at the top of the stack.
    private mutating func setItems(_ items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of values") }
        guard case .object(let index) = try top(), case .dict(var pairs) = objects[index] else {
            throw malformed("SETITEM on a value that is no dict")
        }
        objects[index] = .dict([])
        for i in stride(from: 0, to: items.count, by: 2) {
            pairs.append(PicklePair(key: items[i], value: items[i + 1]))
        }
        objects[index] = .dict(pairs)
    }

    private func qualified(_ module: String, _ name: String) -> String {
        // Protocol 2 pickles written by Python 3 use the Python 2 module names.
        let module =
            switch module {
            case "__builtin__": "builtins"
            case "copy_reg": "copyreg"
            default: module
            }
        return "\(module).\(name)"
    }

    private mutating func global(_ module: String, _ name: String) throws {
        let full = qualified(module, name)
        guard allowed[full] != nil else { throw ModelFormatError(path, .forbiddenGlobal(full)) }
        try push(.global(full))
    }

    /// REDUCE and NEWOBJ: a call of an allowed global, recorded or, for containers, built.
    private mutating func call(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        guard case .global(let name) = callable, let behaviour = allowed[name] else {
            throw malformed("a call of something that is not an allowed global")
        }
        guard let args = sequence(arguments) else { throw malformed("the arguments of \(name) are not a tuple") }
        func charge(_ count: Int) throws {
            built += count
            guard built <= bytes.count else {
                throw malformed("calls building more elements than the pickle has bytes")
            }
        }
        switch behaviour {
        case .orderedDict:
            var pairs: [PicklePair] = []
            if let first = args.first {
                guard args.count == 1, let items = sequence(first) else {
                    throw malformed("OrderedDict(\(args.count))")
                }
                try charge(items.count)
                for item in items {
                    guard let pair = sequence(item), pair.count == 2 else { throw malformed("OrderedDict item") }
                    pairs.append(PicklePair(key: pair[0], value: pair[1]))
                }
            }
            return try store(.dict(pairs))
        case .defaultDict:
            guard args.count <= 1 else { throw malformed("\(name) with \(args.count) arguments") }
            return try store(.dict([]))
        case .set:
            guard args.count <= 1 else { throw malformed("\(name) with \(args.count) arguments") }
            guard let first = args.first else { return try store(.set([])) }
            guard let items = sequence(first) else { throw malformed("\(name) of a value that is no list") }
            return try store(.set(items))
        case .emptyBytes:
            guard args.isEmpty else { throw malformed("\(name) with arguments") }
            return .bytes([])
        case .latin1Bytes:
            guard args.count == 2, case .string(let text) = args[0], case .string(let codec) = args[1],
                ["latin1", "latin-1", "iso-8859-1"].contains(codec.lowercased())
            else { throw malformed("\(name) other than (text, 'latin1')") }
            try charge(text.utf8.count)
            var result: [UInt8] = []
            result.reserveCapacity(text.unicodeScalars.count)
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw malformed("\(name): a character beyond latin-1") }
                result.append(UInt8(scalar.value))
            }
            return .bytes(result)
        case .tuple:
            guard args.count == 1, let items = sequence(args[0]) else { throw malformed("\(name) of no tuple") }
            return try store(.tuple(items))
        case .opaque:
            return try store(.instance(callable: name, arguments: arguments, state: nil))
        }
    }

    // MARK: The loop

    private mutating func execute() throws -> Unpickled {
        while true {
            let opcode = try byte()
            switch opcode {
            case 0x80:  // PROTO
                let version = try byte()
                guard version <= 5 else { throw malformed("pickle protocol \(version) (at most 5 is known)") }
            case 0x95: _ = try unsigned(8)  // FRAME: only a read-ahead hint
            case UInt8(ascii: "."):  // STOP
                let root = try pop()
                return Unpickled(objects: objects, root: root, end: p)
            case UInt8(ascii: "("):  // MARK
                guard marks.count < Self.maxMarks else { throw malformed("MARKs nested deeper than \(Self.maxMarks)") }
                marks.append(stack.count)
            case UInt8(ascii: "0"): _ = try pop()  // POP
            case UInt8(ascii: "1"): _ = try popMark()  // POP_MARK
            case UInt8(ascii: "2"): try push(try top())  // DUP

            // Numbers.
            case UInt8(ascii: "I"):  // INT (text; 00/01 are the booleans of protocol 0)
                let text = try line()
                if text == Array("00".utf8) || text == Array("01".utf8) {
                    try push(.bool(text[1] == UInt8(ascii: "1")))
                } else {
                    try push(integer(text))
                }
            case UInt8(ascii: "L"):  // LONG (text, trailing L)
                var text = try line()
                if text.last == UInt8(ascii: "L") { text.removeLast() }
                try push(integer(text))
            case UInt8(ascii: "J"): try push(.int(Int(Int32(bitPattern: UInt32(try unsigned(4))))))  // BININT
            case UInt8(ascii: "K"): try push(.int(Int(try byte())))  // BININT1
            case UInt8(ascii: "M"): try push(.int(Int(try unsigned(2))))  // BININT2
            case 0x8A: try push(try binaryLong(Int(try byte())))  // LONG1
            case 0x8B:  // LONG4
                let count = Int32(bitPattern: UInt32(try unsigned(4)))
                guard count >= 0, Int(count) <= remaining else { throw malformed("LONG4 of \(count) bytes") }
                try push(try binaryLong(Int(count)))
            case UInt8(ascii: "F"):  // FLOAT (text)
                guard let value = Double(String(decoding: try line(), as: UTF8.self).trimmingSpaces) else {
                    throw malformed("FLOAT that is no number")
                }
                try push(.float(value))
            case UInt8(ascii: "G"): try push(.float(Double(bitPattern: UInt64(bigEndian: try bigEndian8()))))

            // Strings and bytes.
            case UInt8(ascii: "S"): try push(.string(try quotedString(try line())))  // STRING
            case UInt8(ascii: "T"): try push(.string(text(try take(try length(4)))))  // BINSTRING
            case UInt8(ascii: "U"): try push(.string(text(try take(try length(1)))))  // SHORT_BINSTRING
            case UInt8(ascii: "B"): try push(.bytes(Array(try take(try length(4)))))  // BINBYTES
            case UInt8(ascii: "C"): try push(.bytes(Array(try take(try length(1)))))  // SHORT_BINBYTES
            case 0x8E, 0x96: try push(.bytes(Array(try take(try length(8)))))  // BINBYTES8, BYTEARRAY8
            case UInt8(ascii: "V"): try push(.string(rawUnicodeEscape(try line())))  // UNICODE
            case UInt8(ascii: "X"): try push(.string(try utf8(try take(try length(4)))))  // BINUNICODE
            case 0x8C: try push(.string(try utf8(try take(try length(1)))))  // SHORT_BINUNICODE
            case 0x8D: try push(.string(try utf8(try take(try length(8)))))  // BINUNICODE8

            // Constants.
            case UInt8(ascii: "N"): try push(.none)
            case 0x88: try push(.bool(true))
            case 0x89: try push(.bool(false))

            // Lists, tuples, dicts, sets.
            case UInt8(ascii: "]"): try push(try store(.list([])))
            case UInt8(ascii: "a"):  // APPEND
                let item = try pop()
                try extend(with: [item], opcode: "APPEND")
            case UInt8(ascii: "e"): try extend(with: try popMark(), opcode: "APPENDS")
            case UInt8(ascii: "l"): try push(try store(.list(try popMark())))
            case UInt8(ascii: ")"): try push(try store(.tuple([])))
            case UInt8(ascii: "t"): try push(try store(.tuple(try popMark())))
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                let count = Int(opcode - 0x84)
                guard stack.count - (marks.last ?? 0) >= count else {
                    throw malformed("TUPLE\(count) on a short stack")
                }
                let items = Array(stack.suffix(count))
                stack.removeLast(count)
                try push(try store(.tuple(items)))
            case UInt8(ascii: "}"): try push(try store(.dict([])))
            case UInt8(ascii: "s"):  // SETITEM
                let value = try pop(), key = try pop()
                try setItems([key, value])
            case UInt8(ascii: "u"): try setItems(try popMark())
            case UInt8(ascii: "d"):  // DICT
                let items = try popMark()
                try push(try store(.dict([])))
                try setItems(items)
            case 0x8F: try push(try store(.set([])))  // EMPTY_SET
            case 0x90: try extend(with: try popMark(), opcode: "ADDITEMS")
            case 0x91: try push(try store(.set(try popMark())))  // FROZENSET

            // Memo.
            case UInt8(ascii: "p"): try memoize(try decimal(try line()))  // PUT
            case UInt8(ascii: "q"): try memoize(Int(try byte()))  // BINPUT
            case UInt8(ascii: "r"): try memoize(Int(try unsigned(4)))  // LONG_BINPUT
            case 0x94: try memoize(memo.count)  // MEMOIZE
            case UInt8(ascii: "g"): try recall(try decimal(try line()))  // GET
            case UInt8(ascii: "h"): try recall(Int(try byte()))  // BINGET
            case UInt8(ascii: "j"): try recall(Int(try unsigned(4)))  // LONG_BINGET

            // Globals and calls: names resolve only to inert markers; calls are recorded.
            case UInt8(ascii: "c"):  // GLOBAL
                let module = text(try line()), name = text(try line())
                try global(module, name)
            case 0x93:  // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .string(let moduleName) = module, case .string(let globalName) = name else {
                    throw malformed("STACK_GLOBAL of values that are no strings")
                }
                try global(moduleName, globalName)
            case UInt8(ascii: "R"), 0x81:  // REDUCE, NEWOBJ
                let arguments = try pop(), callable = try pop()
                try push(try call(callable, arguments))
            case 0x92:  // NEWOBJ_EX: only without keyword arguments
                let keywords = try pop(), arguments = try pop(), callable = try pop()
                guard case .object(let index) = keywords, case .dict(let pairs) = objects[index], pairs.isEmpty
                else { throw ModelFormatError(path, .forbiddenOpcode("NEWOBJ_EX with keyword arguments")) }
                try push(try call(callable, arguments))
            case UInt8(ascii: "b"):  // BUILD
                let state = try pop()
                guard case .object(let index) = try top() else { throw malformed("BUILD on a plain value") }
                switch objects[index] {
                case .instance(let callable, let arguments, _):
                    objects[index] = .instance(callable: callable, arguments: arguments, state: state)
                case .dict: break  // an OrderedDict's attributes (a state dict's `_metadata`): not needed
                default: throw malformed("BUILD on a container")
                }

            // Persistent ids: the loader resolves them (torch storages).
            case UInt8(ascii: "Q"): try push(try store(.persistent(try pop())))  // BINPERSID
            case UInt8(ascii: "P"): try push(try store(.persistent(.string(text(try line())))))  // PERSID

            default: throw ModelFormatError(path, .forbiddenOpcode(Self.opcodeName(opcode)))
            }
        }
    }

    private mutating func bigEndian8() throws -> UInt64 {
        let raw = try take(8)
        return raw.loadUnaligned(as: UInt64.self)
    }

    private func integer(_ text: [UInt8]) throws -> PickleValue {
        let string = String(decoding: text, as: UTF8.self).trimmingSpaces
        if let value = Int(string) { return .int(value) }
        let digits = string.hasPrefix("-") ? string.dropFirst() : Substring(string)
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw malformed("not an integer: '\(string.prefix(40))'")
        }
        return .bigInt(string)
    }

    /// LONG1/LONG4: little-endian two's complement.
    private mutating func binaryLong(_ count: Int) throws -> PickleValue {
        let raw = try take(count)
        if count == 0 { return .int(0) }
        if count <= 8 {
            var value: UInt64 = raw[count - 1] & 0x80 != 0 ? ~0 : 0
            for i in stride(from: count - 1, through: 0, by: -1) { value = value << 8 | UInt64(raw[i]) }
            return .int(Int(Int64(bitPattern: value)))
        }
        let hex = raw.reversed().map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        return .bigInt("0x" + hex)
    }

    private func utf8(_ raw: UnsafeRawBufferPointer) throws -> String {
        guard let string = String(validating: raw, as: UTF8.self) else { throw malformed("invalid UTF-8") }
        return string
    }

    /// Python 2 `str` (STRING/BINSTRING): UTF-8 when valid, otherwise latin-1.
    private func text<Bytes: Collection<UInt8>>(_ raw: Bytes) -> String {
        if let string = String(validating: raw, as: UTF8.self) { return string }
        return String(String.UnicodeScalarView(raw.map { Unicode.Scalar($0) }))
    }

    /// STRING's argument: a quoted Python 2 repr with backslash escapes.
    private func quotedString(_ line: [UInt8]) throws -> String {
        guard line.count >= 2, let quote = line.first, quote == line.last,
            quote == UInt8(ascii: "'") || quote == UInt8(ascii: "\"")
        else { throw malformed("STRING argument without quotes") }
        var result: [UInt8] = []
        var i = 1
        let end = line.count - 1
        while i < end {
            guard line[i] == UInt8(ascii: "\\"), i + 1 < end else {
                result.append(line[i])
                i += 1
                continue
            }
            let escaped = line[i + 1]
            i += 2
            switch escaped {
            case UInt8(ascii: "n"): result.append(0x0A)
            case UInt8(ascii: "t"): result.append(0x09)
            case UInt8(ascii: "r"): result.append(0x0D)
            case UInt8(ascii: "x"):
                guard i + 2 <= end, let value = UInt8(String(decoding: line[i..<(i + 2)], as: UTF8.self), radix: 16)
                else { throw malformed("bad \\x escape") }
                result.append(value)
                i += 2
            default: result.append(escaped)
            }
        }
        return text(result)
    }

    /// UNICODE's argument: raw-unicode-escape (latin-1 bytes, `\uXXXX` and `\UXXXXXXXX`).
    private func rawUnicodeEscape(_ line: [UInt8]) -> String {
        var scalars = String.UnicodeScalarView()
        var i = 0
        while i < line.count {
            if line[i] == UInt8(ascii: "\\"), i + 1 < line.count,
                line[i + 1] == UInt8(ascii: "u") || line[i + 1] == UInt8(ascii: "U")
            {
                let digits = line[i + 1] == UInt8(ascii: "u") ? 4 : 8
                if i + 2 + digits <= line.count,
                    let value = UInt32(String(decoding: line[(i + 2)..<(i + 2 + digits)], as: UTF8.self), radix: 16),
                    let scalar = Unicode.Scalar(value)
                {
                    scalars.append(scalar)
                    i += 2 + digits
                    continue
                }
            }
            scalars.append(Unicode.Scalar(line[i]))
            i += 1
        }
        return String(scalars)
    }

    static func opcodeName(_ opcode: UInt8) -> String {
        let names: [UInt8: String] = [
            UInt8(ascii: "i"): "INST", UInt8(ascii: "o"): "OBJ", 0x82: "EXT1", 0x83: "EXT2", 0x84: "EXT4",
            0x97: "NEXT_BUFFER", 0x98: "READONLY_BUFFER",
        ]
        return names[opcode] ?? "0x" + String(opcode, radix: 16).leftPadded(to: 2)
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " || $0 == "\r" }.reversed())
    }

    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
