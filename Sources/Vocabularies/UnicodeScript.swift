/// A writing system, as a compact table of the code-point ranges of its main Unicode blocks (Swift has no
/// API for the Script property). The table covers each script's main and extension blocks in the Basic
/// Multilingual Plane (plus the Han ideograph planes); rare historic extensions are left out, and a few
/// shared characters are counted for every script that uses them (the Japanese `ー` for Hiragana and
/// Katakana, `々` and `〇` for Han). Only letters are ever looked up: digits, punctuation and marks have
/// no script here.
public enum UnicodeScript: String, CaseIterable, Sendable, Equatable {
    case latin = "Latin"
    case greek = "Greek"
    case cyrillic = "Cyrillic"
    case armenian = "Armenian"
    case hebrew = "Hebrew"
    case arabic = "Arabic"
    case syriac = "Syriac"
    case thaana = "Thaana"
    case devanagari = "Devanagari"
    case bengali = "Bengali"
    case gurmukhi = "Gurmukhi"
    case gujarati = "Gujarati"
    case oriya = "Oriya"
    case tamil = "Tamil"
    case telugu = "Telugu"
    case kannada = "Kannada"
    case malayalam = "Malayalam"
    case sinhala = "Sinhala"
    case thai = "Thai"
    case lao = "Lao"
    case tibetan = "Tibetan"
    case myanmar = "Myanmar"
    case georgian = "Georgian"
    case hangul = "Hangul"
    case ethiopic = "Ethiopic"
    case khmer = "Khmer"
    case mongolian = "Mongolian"
    case hiragana = "Hiragana"
    case katakana = "Katakana"
    case bopomofo = "Bopomofo"
    case han = "Han"

    /// The script of a name, ignoring case (`"cyrillic"`, `"Han"`).
    public init?(name: String) {
        guard let script = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else {
            return nil
        }
        self = script
    }

    /// Whether the table puts `scalar` in this script.
    public func contains(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        return ranges.contains { $0.contains(value) }
    }

    /// The code-point ranges of the script's main blocks.
    public var ranges: [ClosedRange<UInt32>] {
        switch self {
        case .latin:
            [
                0x41...0x5A, 0x61...0x7A, 0xAA...0xAA, 0xBA...0xBA, 0xC0...0xD6, 0xD8...0xF6, 0xF8...0x24F,
                0x250...0x2AF, 0x1D00...0x1D25, 0x1D2C...0x1D5C, 0x1D62...0x1D65, 0x1D6B...0x1D77, 0x1D79...0x1DBE,
                0x1E00...0x1EFF, 0x2071...0x2071,
                0x207F...0x207F, 0x2090...0x209C, 0x212A...0x212B, 0x2132...0x2132, 0x214E...0x214E,
                0x2160...0x2188, 0x2C60...0x2C7F, 0xA722...0xA7FF, 0xAB30...0xAB5A, 0xAB5C...0xAB64, 0xAB66...0xAB69,
                0xFB00...0xFB06, 0xFF21...0xFF3A, 0xFF41...0xFF5A,
            ]
        case .greek:
            [
                0x370...0x3E1, 0x3F0...0x3FF, 0x1D26...0x1D2A, 0x1D5D...0x1D61, 0x1D66...0x1D6A, 0x1DBF...0x1DBF,
                0x1F00...0x1FFF, 0x2126...0x2126, 0xAB65...0xAB65,
            ]
        case .cyrillic: [0x400...0x52F, 0x1C80...0x1C8F, 0x1D2B...0x1D2B, 0x2DE0...0x2DFF, 0xA640...0xA69F]
        case .armenian: [0x531...0x58F, 0xFB13...0xFB17]
        case .hebrew: [0x591...0x5FF, 0xFB1D...0xFB4F]
        case .arabic: [0x600...0x6FF, 0x750...0x77F, 0x870...0x8FF, 0xFB50...0xFDFF, 0xFE70...0xFEFF]
        case .syriac: [0x700...0x74F, 0x860...0x86F]
        case .thaana: [0x780...0x7BF]
        case .devanagari: [0x900...0x97F, 0xA8E0...0xA8FF]
        case .bengali: [0x980...0x9FF]
        case .gurmukhi: [0xA00...0xA7F]
        case .gujarati: [0xA80...0xAFF]
        case .oriya: [0xB00...0xB7F]
        case .tamil: [0xB80...0xBFF]
        case .telugu: [0xC00...0xC7F]
        case .kannada: [0xC80...0xCFF]
        case .malayalam: [0xD00...0xD7F]
        case .sinhala: [0xD80...0xDFF]
        case .thai: [0xE00...0xE7F]
        case .lao: [0xE80...0xEFF]
        case .tibetan: [0xF00...0xFFF]
        case .myanmar: [0x1000...0x109F, 0xA9E0...0xA9FF, 0xAA60...0xAA7F]
        case .georgian: [0x10A0...0x10FF, 0x1C90...0x1CBF, 0x2D00...0x2D2F]
        case .hangul:
            [0x1100...0x11FF, 0x3131...0x318E, 0xA960...0xA97F, 0xAC00...0xD7AF, 0xD7B0...0xD7FF, 0xFFA0...0xFFDC]
        case .ethiopic: [0x1200...0x139F, 0x2D80...0x2DDF, 0xAB00...0xAB2F]
        case .khmer: [0x1780...0x17FF, 0x19E0...0x19FF]
        case .mongolian: [0x1800...0x18AF]
        case .hiragana: [0x3041...0x309F, 0x30FC...0x30FC]
        case .katakana: [0x30A0...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9D]
        case .bopomofo: [0x3100...0x312F, 0x31A0...0x31BF]
        case .han:
            [
                0x2E80...0x2FD5, 0x3005...0x3005, 0x3007...0x3007, 0x3021...0x3029, 0x3038...0x303B,
                0x3400...0x4DBF, 0x4E00...0x9FFF, 0xF900...0xFAFF, 0x20000...0x2A6DF, 0x2A700...0x2EBEF,
                0x2F800...0x2FA1F, 0x30000...0x323AF,
            ]
        }
    }
}

extension Unicode.Scalar {
    /// A letter (general category L*), the characters a script filter judges.
    var isLetter: Bool {
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: true
        default: false
        }
    }

    /// A letter or a combining mark (a lone vowel sign still spells a word).
    var isLetterOrMark: Bool {
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: isLetter
        }
    }
}
