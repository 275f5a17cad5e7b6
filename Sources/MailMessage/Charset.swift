import Foundation

/// Text in the charsets Polish mail arrives in.
public enum Charset {
  /// The encoding for a MIME charset name (case-insensitive, common aliases
  /// included), or nil when it is not known.
  public static func encoding(named name: String) -> String.Encoding? {
    encodings[name] ?? encodings[name.trimmingWhitespace().lowercased()]
  }

  private static let encodings: [String: String.Encoding] = {
    var table: [String: String.Encoding] = [:]
    for (names, encoding) in [
      (["utf-8", "utf8"], String.Encoding.utf8),
      (["us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us"], .ascii),
      (["iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1"], .isoLatin1),
      (["iso-8859-2", "iso8859-2", "iso_8859-2", "latin2", "l2", "iso-8859-2-i"], .isoLatin2),
      (["windows-1250", "cp1250", "x-cp1250", "win-1250", "windows1250"], .windowsCP1250),
      (["windows-1252", "cp1252", "x-cp1252"], .windowsCP1252),
      (["utf-16"], .utf16), (["utf-16le"], .utf16LittleEndian), (["utf-16be"], .utf16BigEndian),
    ] {
      for name in names { table[name] = encoding }
    }
    return table
  }()

  /// Decodes `bytes` in the named charset. Unknown charsets and bytes that are
  /// not valid in the declared charset fall back to UTF-8 or ISO-8859-1, so
  /// some text always comes out.
  public static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, charset: String?) -> String {
    guard let charset, let encoding = encoding(named: charset), encoding != .utf8, encoding != .ascii else {
      return decodeUTF8OrLatin1(bytes)
    }
    if let table = SingleByteCharset(encoding) { return table.decode(bytes) }
    if let text = String(data: Data(bytes), encoding: encoding) { return text }
    return decodeUTF8OrLatin1(bytes)
  }

  /// UTF-8 when the bytes are valid UTF-8, else ISO-8859-1 (every byte is a
  /// character there, so nothing is lost). Raw 8-bit header bytes get this.
  public static func decodeUTF8OrLatin1<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
    if let text = String(validating: bytes, as: UTF8.self) {
      return text
    }
    return SingleByteCharset.latin1.decode(bytes)
  }

  /// Decodes body text whose declared charset may be wrong or missing, as
  /// Polish mail often is: windows-1250 labelled iso-8859-2 (or the reverse),
  /// 8-bit text labelled us-ascii or not labelled at all, invalid UTF-8. The
  /// candidates are scored by how Polish the result reads; the declared
  /// charset wins unless another is clearly better. `recovered` tells
  /// whether the declared charset was overruled.
  public static func decodeRecovering(_ bytes: [UInt8], declared: String?) -> (text: String, recovered: Bool) {
    guard bytes.contains(where: { $0 >= 0x80 }) else { return (String(decoding: bytes, as: UTF8.self), false) }
    let declaredEncoding = declared.flatMap(encoding(named:))
    // Valid UTF-8 with non-ASCII in it is almost never an accident of another charset.
    if let text = String(validating: bytes, as: UTF8.self) {
      let claimedOther = declaredEncoding != nil && declaredEncoding != .utf8 && declaredEncoding != .ascii
      return (text, claimedOther)
    }
    let declaredTable = declaredEncoding.flatMap(SingleByteCharset.init)
    if let declaredEncoding, declaredEncoding != .utf8, declaredEncoding != .ascii, declaredTable == nil,
      let text = String(data: Data(bytes), encoding: declaredEncoding)
    {
      return (text, false)  // UTF-16, windows-1252 and the like: trust the label
    }
    // The declared single-byte charset stands unless its result shows mojibake
    // and a sibling reads as better Polish. The scores are read off the bytes:
    // in these charsets one byte is one character.
    if let declaredTable, declaredTable.implausibleCount(bytes) == 0 { return (declaredTable.decode(bytes), false) }
    var best = declaredTable.map { ($0, $0.polishScore(bytes)) }
    for candidate in [SingleByteCharset.windows1250, .latin2, .latin1] where candidate != declaredTable {
      let score = candidate.polishScore(bytes)
      if best == nil || score > best!.1 { best = (candidate, score) }
    }
    let chosen = best?.0 ?? .latin1
    return (chosen.decode(bytes), chosen != declaredTable)
  }
}

/// The single-byte charsets of Polish mail, decoded by table (Foundation's
/// decoders copy through NSString and cost more than the rest of a mail).
enum SingleByteCharset: Equatable {
  case latin1, latin2, windows1250

  init?(_ encoding: String.Encoding) {
    switch encoding {
    case .isoLatin1: self = .latin1
    case .isoLatin2: self = .latin2
    case .windowsCP1250: self = .windows1250
    default: return nil
    }
  }

  /// The characters of bytes 0x80…0xFF (below 0x80 every byte is its ASCII character).
  var table: [UInt16] {
    switch self {
    case .latin1: Self.latin1Table
    case .latin2: Self.latin2Table
    case .windows1250: Self.windows1250Table
    }
  }

  func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
    let table = self.table
    var utf8: [UInt8] = []
    utf8.reserveCapacity(bytes.count + bytes.count / 4)
    for byte in bytes {
      guard byte >= 0x80 else {
        utf8.append(byte)
        continue
      }
      let value = table[Int(byte) - 0x80]
      if value < 0x800 {
        utf8.append(0xC0 | UInt8(value >> 6))
        utf8.append(0x80 | UInt8(value & 0x3F))
      } else {
        utf8.append(0xE0 | UInt8(value >> 12))
        utf8.append(0x80 | UInt8((value >> 6) & 0x3F))
        utf8.append(0x80 | UInt8(value & 0x3F))
      }
    }
    return String(decoding: utf8, as: UTF8.self)
  }

  /// `Charset.polishScore` of the decoded text, without decoding it.
  func polishScore(_ bytes: [UInt8]) -> Int {
    let scores = scoreTable
    var score = 0
    for byte in bytes where byte >= 0x80 { score += Int(scores[Int(byte) - 0x80]) }
    return score
  }

  /// How many decoded characters are mojibake or C1 controls.
  func implausibleCount(_ bytes: [UInt8]) -> Int {
    let scores = scoreTable
    var count = 0
    for byte in bytes where byte >= 0x80 && scores[Int(byte) - 0x80] < 0 { count += 1 }
    return count
  }

  private var scoreTable: [Int8] {
    switch self {
    case .latin1: Self.latin1Scores
    case .latin2: Self.latin2Scores
    case .windows1250: Self.windows1250Scores
    }
  }

  private static let polishLetters = Set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ".unicodeScalars)
  /// What Polish text decoded in the wrong one of windows-1250 / iso-8859-2 turns into.
  private static let implausible = Set("¶±¦¬Ľľ¥¹ˇ¼Ÿ¤³¿œ".unicodeScalars)

  /// +1 for a Polish letter, -2 for mojibake or a C1 control character, 0 otherwise.
  static func score(of scalar: Unicode.Scalar) -> Int {
    guard scalar.value >= 0x80 else { return 0 }
    if polishLetters.contains(scalar) { return 1 }
    return implausible.contains(scalar) || (0x80...0x9F).contains(scalar.value) ? -2 : 0
  }

  private static func scores(_ table: [UInt16]) -> [Int8] {
    table.map { Int8(score(of: Unicode.Scalar($0) ?? " ")) }
  }

  private static let latin1Scores = scores(latin1Table)
  private static let latin2Scores = scores(latin2Table)
  private static let windows1250Scores = scores(windows1250Table)

  static let latin1Table: [UInt16] = (0x80...0xFF).map { UInt16($0) }

  // ISO-8859-2, bytes 0x80…0xFF.
  static let latin2Table: [UInt16] = [
    0x0080, 0x0081, 0x0082, 0x0083, 0x0084, 0x0085, 0x0086, 0x0087,
    0x0088, 0x0089, 0x008A, 0x008B, 0x008C, 0x008D, 0x008E, 0x008F,
    0x0090, 0x0091, 0x0092, 0x0093, 0x0094, 0x0095, 0x0096, 0x0097,
    0x0098, 0x0099, 0x009A, 0x009B, 0x009C, 0x009D, 0x009E, 0x009F,
    0x00A0, 0x0104, 0x02D8, 0x0141, 0x00A4, 0x013D, 0x015A, 0x00A7,
    0x00A8, 0x0160, 0x015E, 0x0164, 0x0179, 0x00AD, 0x017D, 0x017B,
    0x00B0, 0x0105, 0x02DB, 0x0142, 0x00B4, 0x013E, 0x015B, 0x02C7,
    0x00B8, 0x0161, 0x015F, 0x0165, 0x017A, 0x02DD, 0x017E, 0x017C,
    0x0154, 0x00C1, 0x00C2, 0x0102, 0x00C4, 0x0139, 0x0106, 0x00C7,
    0x010C, 0x00C9, 0x0118, 0x00CB, 0x011A, 0x00CD, 0x00CE, 0x010E,
    0x0110, 0x0143, 0x0147, 0x00D3, 0x00D4, 0x0150, 0x00D6, 0x00D7,
    0x0158, 0x016E, 0x00DA, 0x0170, 0x00DC, 0x00DD, 0x0162, 0x00DF,
    0x0155, 0x00E1, 0x00E2, 0x0103, 0x00E4, 0x013A, 0x0107, 0x00E7,
    0x010D, 0x00E9, 0x0119, 0x00EB, 0x011B, 0x00ED, 0x00EE, 0x010F,
    0x0111, 0x0144, 0x0148, 0x00F3, 0x00F4, 0x0151, 0x00F6, 0x00F7,
    0x0159, 0x016F, 0x00FA, 0x0171, 0x00FC, 0x00FD, 0x0163, 0x02D9,
  ]

  // Windows-1250, bytes 0x80…0xBF; from 0xC0 on it is the same as ISO-8859-2.
  // The five bytes it leaves undefined are read as the C1 control characters
  // of the same value, as Foundation does.
  static let windows1250Table: [UInt16] =
    [
      0x20AC, 0x0081, 0x201A, 0x0083, 0x201E, 0x2026, 0x2020, 0x2021,
      0x0088, 0x2030, 0x0160, 0x2039, 0x015A, 0x0164, 0x017D, 0x0179,
      0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
      0x0098, 0x2122, 0x0161, 0x203A, 0x015B, 0x0165, 0x017E, 0x017A,
      0x00A0, 0x02C7, 0x02D8, 0x0141, 0x00A4, 0x0104, 0x00A6, 0x00A7,
      0x00A8, 0x00A9, 0x015E, 0x00AB, 0x00AC, 0x00AD, 0x00AE, 0x017B,
      0x00B0, 0x00B1, 0x02DB, 0x0142, 0x00B4, 0x00B5, 0x00B6, 0x00B7,
      0x00B8, 0x0105, 0x015F, 0x00BB, 0x013D, 0x02DD, 0x013E, 0x017C,
    ] + latin2Table[0x40...]
}
