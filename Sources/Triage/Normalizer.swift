import Foundation

/// A word of a text, normalised, with where it stands in the original.
public struct Token: Sendable, Equatable {
  /// Lower-case, without diacritics: "zgloszenie" for "Zgłoszenie".
  public var text: String
  /// The word's place in the original text, as UTF-8 offsets, to show staff what matched.
  public var utf8Range: Range<Int>

  public init(text: String, utf8Range: Range<Int>) {
    self.text = text
    self.utf8Range = utf8Range
  }

  /// The word as it was written in `original` (the text it was taken from).
  public func original(in original: String) -> String {
    let utf8 = Array(original.utf8)
    guard utf8Range.upperBound <= utf8.count else { return text }
    return String(decoding: utf8[utf8Range], as: UTF8.self)
  }
}

/// The one normalisation that mail text and rule patterns both go through
/// (DESIGN.md section 4), so that Polish letters are optional on both sides:
/// NFKC; zero-width characters and soft hyphens dropped; lower case; `ł`→`l`
/// (it has no Unicode decomposition); diacritics removed; words split on
/// anything that is not a letter or digit.
///
/// It runs over UTF-8 bytes: ASCII directly, the Latin letters of European
/// languages from a table built once, anything else through Foundation's
/// Unicode tables (rare in Polish mail).
public enum Normalizer {
  /// Every word of `text`, normalised, with its place in `text`.
  public static func tokens(_ text: String) -> [Token] {
    var text = text
    return text.withUTF8 { tokens(utf8: $0) }
  }

  /// The normalised words of `text` joined by single spaces: "Błąd  drukarki!" → "blad drukarki".
  public static func normalize(_ text: String) -> String {
    tokens(text).map(\.text).joined(separator: " ")
  }

  static func tokens(utf8 bytes: UnsafeBufferPointer<UInt8>) -> [Token] {
    var tokens: [Token] = []
    tokens.reserveCapacity(bytes.count / 6)
    var word: [UInt8] = []
    word.reserveCapacity(32)
    var start = -1
    var end = 0
    var index = 0
    let count = bytes.count

    @inline(__always) func finish() {
      if start >= 0 {
        tokens.append(Token(text: String(decoding: word, as: UTF8.self), utf8Range: start..<end))
        word.removeAll(keepingCapacity: true)
        start = -1
      }
    }

    while index < count {
      let byte = bytes[index]
      if byte < 0x80 {
        let folded = asciiFold[Int(byte)]
        if folded != 0 {
          if start < 0 { start = index }
          word.append(folded)
          end = index + 1
        } else {
          finish()
        }
        index += 1
        continue
      }
      // A multi-byte UTF-8 sequence.
      let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
      guard length > 1, index + length <= count else {
        finish()  // a stray continuation byte or a cut sequence: a separator
        index += 1
        continue
      }
      var value = UInt32(byte) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
      for offset in 1..<length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
      switch fold(scalarValue: value) {
      case .letters(let folded):
        if start < 0 { start = index }
        word.append(contentsOf: folded)
        end = index + length
      case .invisible:
        break  // inside a word it must not split it
      case .separator:
        finish()
      }
      index += length
    }
    finish()
    return tokens
  }

  /// ASCII letters and digits lower-cased; 0 for everything that separates words.
  private static let asciiFold: [UInt8] = (0..<128).map { value in
    switch UInt8(value) {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): UInt8(value)
    case UInt8(ascii: "A")...UInt8(ascii: "Z"): UInt8(value) + 32
    default: 0
    }
  }

  enum Folded {
    case letters([UInt8])
    /// Zero-width characters, soft hyphens and combining marks: dropped, the word goes on.
    case invisible
    case separator
  }

  /// The fold of every scalar below U+0800 (Latin, Greek, Cyrillic, combining marks), built once.
  private static let tableLimit: UInt32 = 0x800
  private static let table: [Folded] = (0..<tableLimit).map { foldSlowly(Unicode.Scalar($0) ?? " ") }

  static func fold(scalarValue: UInt32) -> Folded {
    if scalarValue < tableLimit { return table[Int(scalarValue)] }
    guard let scalar = Unicode.Scalar(scalarValue) else { return .separator }
    return foldSlowly(scalar)
  }

  private static func foldSlowly(_ scalar: Unicode.Scalar) -> Folded {
    switch scalar.value {
    case 0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF: return .invisible
    default: break
    }
    let category = scalar.properties.generalCategory
    if category == .nonspacingMark || category == .enclosingMark || category == .spacingMark { return .invisible }
    var output = ""
    let compatible = String(scalar).precomposedStringWithCompatibilityMapping.lowercased()
    for part in compatible.replacingOccurrences(of: "ł", with: "l").decomposedStringWithCanonicalMapping.unicodeScalars
    {
      let properties = part.properties
      if properties.generalCategory == .nonspacingMark || properties.generalCategory == .enclosingMark
        || properties.generalCategory == .spacingMark
      {
        continue  // a diacritic
      }
      if properties.isAlphabetic || properties.numericType != nil { output.unicodeScalars.append(part) }
    }
    return output.isEmpty ? .separator : .letters(Array(output.utf8))
  }
}
