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
    scan(utf8: bytes, into: TokenSink(capacity: bytes.count / 6)).finish()
  }

  /// Feeds the normalised words of `bytes` to `sink`, letter by letter: the
  /// tokenizer builds strings from them, the classifier walks its pattern
  /// trie with them without making any string. The sink is taken and given
  /// back rather than passed `inout`: as a local value its fields can live in
  /// registers for the whole loop, where through an `inout` reference the
  /// classifier's trie state was stored and reloaded at every letter.
  @inline(__always)
  static func scan<Sink: WordSink>(utf8 bytes: UnsafeBufferPointer<UInt8>, into sink: consuming Sink) -> Sink {
    // Tables in locals: a static read inside the loop would cost a once-check per byte.
    let ascii = asciiFold
    let table = foldTable
    var start = -1
    var end = 0
    var lastWord = 0
    var index = 0
    let count = bytes.count

    while index < count {
      let byte = bytes[index]
      var length = 1
      var folded: Range<Int>? = nil  // bytes of the fold in `table.bytes`; nil: a separator
      if byte < 0x80 {
        let lower = ascii[Int(byte)]
        if lower != 0 {
          if start < 0 { start = index }
          sink.letter(lower)
          end = index + 1
          index += 1
          continue
        }
      } else {
        length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
        if length > 1, index + length <= count {
          var value = UInt32(byte) & (length == 2 ? 0x1F : length == 3 ? 0x0F : 0x07)
          for offset in 1..<length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
          if value < tableLimit {
            let entry = table.entries[Int(value)]
            if entry == FoldTable.invisible {
              index += length  // inside a word it must not split it
              continue
            }
            let foldLength = Int(entry & 0xFF)
            if foldLength > 0 { folded = Int(entry >> 8)..<(Int(entry >> 8) + foldLength) }
          } else if let fast = foldAboveTable(value) {
            if fast == 0 {
              index += length  // invisible
              continue
            }
            if fast != 1 {
              if start < 0 { start = index }
              sink.letter(fast)
              end = index + length
              index += length
              continue
            }
            // 1: a separator, handled below
          } else {
            switch foldSlowly(Unicode.Scalar(value) ?? " ") {
            case .letters(let letters):
              if start < 0 { start = index }
              for letter in letters { sink.letter(letter) }
              end = index + length
              index += length
              continue
            case .invisible:
              index += length
              continue
            case .separator:
              break
            }
          }
        } else {
          length = 1  // a stray continuation byte or a cut sequence: a separator
        }
      }
      if let folded {
        if start < 0 { start = index }
        for position in folded { sink.letter(table.bytes[position]) }
        end = index + length
      } else {
        if start >= 0 {
          sink.endWord(start..<end)
          lastWord = end - start
          start = -1
        }
        if byte < 0x80, clauseEnds[Int(byte)] != 0,
          byte != UInt8(ascii: ".") || endsSentence(bytes, after: index, lastWord: lastWord)
        {
          sink.endClause(question: byte == UInt8(ascii: "?"))
        }
      }
      index += length
    }
    if start >= 0 { sink.endWord(start..<end) }
    return sink
  }

  /// Whether the full stop at `index` ends a sentence: before a space or a
  /// line end, and — after a word of up to three letters, which may be an
  /// abbreviation ("np.", "sp. z o.o.", "ul.") — only before a capital
  /// letter, a digit or a line end. Not in "1.5" or "www.pwsk.pl".
  @inline(__always)
  static func endsSentence(_ bytes: UnsafeBufferPointer<UInt8>, after index: Int, lastWord: Int) -> Bool {
    var next = index + 1
    guard next < bytes.count else { return true }
    let following = bytes[next]
    guard following == 0x20 || following == 0x09 || following == 0x0A || following == 0x0D else { return false }
    if lastWord > 3 { return true }
    while next < bytes.count, bytes[next] == 0x20 || bytes[next] == 0x09 { next += 1 }
    guard next < bytes.count else { return true }
    let byte = bytes[next]
    return byte == 0x0A || byte == 0x0D || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
  }

  /// The bytes that end a clause: . ! ? ; , and the line end. (Roles of
  /// words are decided per clause, and phrases do not run across them.)
  private static let clauseEnds: [UInt8] = (0..<128).map { value in
    switch UInt8(value) {
    case UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "?"), UInt8(ascii: ";"), UInt8(ascii: ","), 0x0A: 1
    default: 0
    }
  }

  /// The folds of the scalars below `tableLimit`, packed: per scalar
  /// `offset << 8 | length` into `bytes`; length 0 separates words.
  struct FoldTable {
    static let invisible: UInt32 = 0xFF
    let entries: [UInt32]
    let bytes: [UInt8]
  }

  private static let foldTable: FoldTable = {
    var entries: [UInt32] = []
    var bytes: [UInt8] = []
    for value in 0..<tableLimit {
      switch foldSlowly(Unicode.Scalar(value) ?? " ") {
      case .invisible: entries.append(FoldTable.invisible)
      case .separator: entries.append(0)
      case .letters(let letters):
        entries.append(UInt32(bytes.count) << 8 | UInt32(letters.count))
        bytes += letters
      }
    }
    return FoldTable(entries: entries, bytes: bytes)
  }()

  /// The common scalars above the table, without Foundation: punctuation such
  /// as „ ” – …, full-width ASCII, emoji. 0: invisible, 1: a separator, else
  /// the ASCII byte the scalar folds to; nil: not known here.
  @inline(__always)
  static func foldAboveTable(_ value: UInt32) -> UInt8? {
    switch value {
    case 0x200B...0x200D, 0x2060...0x2064, 0xFEFF: return 0
    case 0x2000...0x206F, 0x20A0...0x20CF, 0x2190...0x23FF, 0x2500...0x27BF, 0x3000...0x303F, 0xE000...0xF8FF,
      0xFE00...0xFE0F, 0x1F000...0x1FAFF:
      return 1  // punctuation, currency, arrows, box drawing, CJK punctuation, private use, emoji
    case 0xFF10...0xFF19: return UInt8(value - 0xFF10) + UInt8(ascii: "0")
    case 0xFF21...0xFF3A: return UInt8(value - 0xFF21) + UInt8(ascii: "a")
    case 0xFF41...0xFF5A: return UInt8(value - 0xFF41) + UInt8(ascii: "a")
    case 0xFF01...0xFF0F, 0xFF1A...0xFF20, 0xFF3B...0xFF40, 0xFF5B...0xFF65: return 1
    default: return nil
    }
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

  /// Scalars below this are folded through a table built once (Latin, Greek, Cyrillic, combining marks).
  private static let tableLimit: UInt32 = 0x800

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

/// Receives the normalised words of a text from `Normalizer.scan`.
protocol WordSink {
  /// The next normalised byte of the current word; the first one starts a word.
  mutating func letter(_ byte: UInt8)
  /// The current word ended; `range` is its place in the original UTF-8.
  mutating func endWord(_ range: Range<Int>)
  /// A clause ended (punctuation or a line end); `question`: with a question mark.
  mutating func endClause(question: Bool)
}

/// Collects whole tokens with their text. Words longer than 255 bytes are
/// cut there (no real word is; a hostile one must not cost more).
struct TokenSink: WordSink {
  private var tokens: [Token] = []
  private var buffer = [UInt8](repeating: 0, count: 255)
  private var length = 0

  init(capacity: Int) { tokens.reserveCapacity(capacity) }

  mutating func letter(_ byte: UInt8) {
    if length < 255 {
      buffer[length] = byte
      length += 1
    }
  }

  mutating func endWord(_ range: Range<Int>) {
    tokens.append(Token(text: String(decoding: buffer[..<length], as: UTF8.self), utf8Range: range))
    length = 0
  }

  mutating func endClause(question: Bool) {}

  func finish() -> [Token] { tokens }
}
