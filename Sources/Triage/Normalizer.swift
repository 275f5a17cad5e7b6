import Foundation

/// A word of a text, normalised, with where it stands in the original.
public struct Token: Sendable, Equatable {
  /// Lower-case, without diacritics: "zgloszenie" for "Zgłoszenie".
  public var text: String
  /// The word's range in the original text, to show staff what matched.
  public var range: Range<String.Index>

  public init(text: String, range: Range<String.Index>) {
    self.text = text
    self.range = range
  }
}

/// The one normalisation that mail text and rule patterns both go through
/// (DESIGN.md section 4), so that Polish letters are optional on both sides:
/// NFKC; zero-width characters and soft hyphens dropped; lower case; `ł`→`l`
/// (it has no Unicode decomposition); diacritics removed; words split on
/// anything that is not a letter or digit.
public enum Normalizer {
  /// Every word of `text`, normalised, with its range in `text`.
  public static func tokens(_ text: String) -> [Token] {
    var tokens: [Token] = []
    var word = ""
    var start: String.Index?
    var end = text.startIndex
    var index = text.startIndex
    while index < text.endIndex {
      let character = text[index]
      let next = text.index(after: index)
      defer { index = next }
      if isInvisible(character) { continue }  // inside a word it must not split it
      let folded = fold(character)
      if folded.isEmpty {
        if let wordStart = start {
          tokens.append(Token(text: word, range: wordStart..<end))
          word = ""
          start = nil
        }
        continue
      }
      if start == nil { start = index }
      word += folded
      end = next
    }
    if let wordStart = start { tokens.append(Token(text: word, range: wordStart..<end)) }
    return tokens
  }

  /// The normalised words of `text` joined by single spaces: "Błąd  drukarki!" → "blad drukarki".
  public static func normalize(_ text: String) -> String {
    tokens(text).map(\.text).joined(separator: " ")
  }

  /// One character folded to its normalised letters and digits; "" when it separates words.
  static func fold(_ character: Character) -> String {
    if character.isASCII {
      guard let ascii = character.asciiValue else { return "" }
      switch ascii {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return String(character)
      case UInt8(ascii: "A")...UInt8(ascii: "Z"): return String(UnicodeScalar(ascii + 32))
      default: return ""
      }
    }
    var output = ""
    let compatible = String(character).precomposedStringWithCompatibilityMapping.lowercased()
    for scalar in compatible.replacingOccurrences(of: "ł", with: "l").decomposedStringWithCanonicalMapping
      .unicodeScalars
    {
      let properties = scalar.properties
      if properties.generalCategory == .nonspacingMark || properties.generalCategory == .enclosingMark
        || properties.generalCategory == .spacingMark
      {
        continue  // a diacritic
      }
      if properties.isAlphabetic || properties.numericType != nil {
        output.unicodeScalars.append(scalar)
      }
    }
    return output
  }

  /// Zero-width characters and the soft hyphen: dropped without splitting a word.
  static func isInvisible(_ character: Character) -> Bool {
    character.unicodeScalars.allSatisfy { scalar in
      switch scalar.value {
      case 0x00AD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF: true
      default: false
      }
    }
  }
}
