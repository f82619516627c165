import Foundation

/// The paper's token filters: which classes of an output layer to look at.
public enum TokenFilter: Sendable, Equatable, CustomStringConvertible {
    /// Classes whose decoded text has at least one letter and only letters of this script (spaces, the
    /// `▁`/`Ġ` word markers, digits, punctuation, symbols and combining marks are ignored).
    case script(UnicodeScript)
    /// Drops classes whose decoded text is only digits, punctuation, symbols and whitespace (or empty):
    /// a class passes when its text has a letter or a combining mark.
    case skipDigitsPunctuation
    /// Classes named by index: a sorted list of ranges (see `classes(_:)`).
    case classes(ClassList)

    /// Parses a class list such as `"10,20-30"`: comma-separated indices and inclusive ranges `a-b`.
    public static func classes(_ specification: String) throws -> TokenFilter {
        .classes(try ClassList(parsing: specification))
    }

    /// Reads a class list file (`--classes-file`): one index or range per line (commas also allowed),
    /// `#` starts a comment, blank lines are skipped.
    public static func classes(file path: String) throws -> TokenFilter {
        .classes(try ClassList(file: path))
    }

    /// `script Cyrillic`, `skip digits/punctuation`, `classes 10,20-30`.
    public var description: String {
        switch self {
        case .script(let script): "script \(script.rawValue)"
        case .skipDigitsPunctuation: "skip digits/punctuation"
        case .classes(let list): "classes \(list)"
        }
    }

    /// The script filter of a script name (`"Cyrillic"`), nil for a name the table does not know.
    public static func script(named name: String) -> TokenFilter? {
        UnicodeScript(name: name).map { .script($0) }
    }
}

/// Class indices written as ranges, in the order given; out-of-range indices are found by `selectedClasses`.
public struct ClassList: Sendable, Equatable, CustomStringConvertible {
    /// The inclusive ranges, as written.
    public let ranges: [ClosedRange<Int>]

    /// The list as it parses back: `10,20-30`.
    public var description: String {
        ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: ",")
    }

    /// A list of the given ranges.
    public init(ranges: [ClosedRange<Int>]) { self.ranges = ranges }

    /// Parses comma-separated indices and inclusive ranges (`"3, 10-20,7"`); blanks around items are
    /// ignored, an empty item or a range whose end is before its start is an error.
    public init(parsing specification: String) throws {
        self.ranges = try Self.parse(specification, where: nil)
    }

    /// Reads a file of one index or range per line (also comma-separated), `#` comments; errors name the
    /// file and line (`classes.txt:3: …`).
    public init(file path: String) throws {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw TokenFilterError(exists ? .unreadableFile(path) : .missingFile(path))
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw TokenFilterError(.unreadableFile(path))
        }
        var ranges: [ClosedRange<Int>] = []
        for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            if content.allSatisfy(\.isWhitespace) { continue }
            ranges += try Self.parse(String(content), where: "\(path):\(number + 1)")
        }
        guard !ranges.isEmpty else {
            throw TokenFilterError(.badSyntax(specification: path, detail: "the file lists no class", location: path))
        }
        self.ranges = ranges
    }

    private static func parse(_ specification: String, where location: String?) throws -> [ClosedRange<Int>] {
        func failure(_ detail: String) -> TokenFilterError {
            TokenFilterError(.badSyntax(specification: specification, detail: detail, location: location))
        }
        func index(_ text: Substring) throws -> Int {
            let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { throw failure("a range needs two indices") }
            guard trimmed.allSatisfy({ $0.isASCII && $0.isNumber }), trimmed.count <= 18, let value = Int(trimmed)
            else {
                throw failure("\(quoted(trimmed)) is not a class index (a non-negative integer)")
            }
            return value
        }
        var ranges: [ClosedRange<Int>] = []
        for item in specification.split(separator: ",", omittingEmptySubsequences: false) {
            guard !item.allSatisfy(\.isWhitespace) else { throw failure("an empty item") }
            let bounds = item.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
            let start = try index(bounds[0])
            let end = bounds.count == 2 ? try index(bounds[1]) : start
            guard start <= end else { throw failure("the range \(start)-\(end) ends before it starts") }
            ranges.append(start...end)
        }
        return ranges
    }
}

/// Why filters could not select classes.
public struct TokenFilterError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong.
    public enum Kind: Equatable, Sendable {
        /// A class list that does not parse; `location` is `file:line` for a classes file.
        case badSyntax(specification: String, detail: String, location: String?)
        /// A listed class that the layer does not have.
        case outOfRange(index: Int, classCount: Int)
        /// A script or digit filter without a vocabulary to read the tokens from.
        case needsVocabulary(TokenFilter)
        case missingFile(String)
        case unreadableFile(String)
    }

    /// What went wrong.
    public let kind: Kind

    /// An error of this kind.
    public init(_ kind: Kind) { self.kind = kind }

    /// A message for the user, naming the file and line for a classes file.
    public var description: String {
        switch kind {
        case .badSyntax(let specification, let detail, let location):
            let prefix = location.map { "\($0): " } ?? ""
            return "\(prefix)bad class list \(quoted(specification)): \(detail)"
        case .outOfRange(let index, let classCount):
            return "class \(index) is out of range: the layer has \(classCount) classes (0..<\(classCount))"
        case .needsVocabulary(let filter):
            return "the filter \(filter) needs the model's vocabulary"
        case .missingFile(let path): return "\(path): No such file"
        case .unreadableFile(let path): return "\(path): cannot be read as a UTF-8 text file"
        }
    }
}

/// The classes every filter keeps (their intersection), ascending; no filter keeps all `classCount`
/// classes. Script and digit filters read the tokens of `vocabulary` (classes beyond it, padding, never
/// pass them); class lists must name classes below `classCount`.
public func selectedClasses(_ filters: [TokenFilter], classCount: Int, vocabulary: Vocabulary? = nil) throws -> [Int] {
    var keep = [Bool](repeating: true, count: max(0, classCount))
    for filter in filters {
        switch filter {
        case .classes(let list):
            var listed = [Bool](repeating: false, count: keep.count)
            for range in list.ranges {
                guard range.upperBound < classCount else {
                    let index = range.lowerBound < classCount ? classCount : range.lowerBound
                    throw TokenFilterError(.outOfRange(index: index, classCount: classCount))
                }
                for index in range { listed[index] = true }
            }
            for index in keep.indices where !listed[index] { keep[index] = false }
        case .script, .skipDigitsPunctuation:
            guard let vocabulary else { throw TokenFilterError(.needsVocabulary(filter)) }
            for index in keep.indices where keep[index] && !vocabulary.passes(filter, index) {
                keep[index] = false
            }
        }
    }
    return keep.indices.filter { keep[$0] }
}

extension Vocabulary {
    /// The classes all `filters` keep (see the free function `selectedClasses(_:classCount:vocabulary:)`).
    public func selectedClasses(_ filters: [TokenFilter], classCount: Int) throws -> [Int] {
        try Vocabularies.selectedClasses(filters, classCount: classCount, vocabulary: self)
    }

    /// Whether class `index` passes a script or digit filter (class lists pass everything here).
    public func passes(_ filter: TokenFilter, _ index: Int) -> Bool {
        switch filter {
        case .classes: return true
        case .skipDigitsPunctuation:
            guard let text = text(index) else { return false }
            return text.unicodeScalars.contains { $0.isLetterOrMark }
        case .script(let script):
            guard let text = text(index) else { return false }
            var sawLetter = false
            for scalar in text.unicodeScalars where scalar.isLetter {
                guard script.contains(scalar) else { return false }
                sawLetter = true
            }
            return sawLetter
        }
    }
}
