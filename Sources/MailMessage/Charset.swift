import Foundation

/// Text in the charsets Polish mail arrives in.
public enum Charset {
  /// The encoding for a MIME charset name (case-insensitive, common aliases
  /// included), or nil when it is not known.
  public static func encoding(named name: String) -> String.Encoding? {
    let key = name.trimmingWhitespace().lowercased()
    switch key {
    case "utf-8", "utf8": return .utf8
    case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us": return .ascii
    case "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "l1": return .isoLatin1
    case "iso-8859-2", "iso8859-2", "iso_8859-2", "latin2", "l2", "iso-8859-2-i": return .isoLatin2
    case "windows-1250", "cp1250", "x-cp1250", "win-1250", "windows1250": return .windowsCP1250
    case "windows-1252", "cp1252", "x-cp1252": return .windowsCP1252
    case "utf-16": return .utf16
    case "utf-16le": return .utf16LittleEndian
    case "utf-16be": return .utf16BigEndian
    default: return nil
    }
  }

  /// Decodes `bytes` in the named charset. Unknown charsets and bytes that are
  /// not valid in the declared charset fall back to UTF-8 or ISO-8859-1, so
  /// some text always comes out.
  public static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, charset: String?) -> String {
    if let charset, let encoding = encoding(named: charset), encoding != .utf8, encoding != .ascii,
      let text = String(data: Data(bytes), encoding: encoding)
    {
      return text
    }
    return decodeUTF8OrLatin1(bytes)
  }

  /// UTF-8 when the bytes are valid UTF-8, else ISO-8859-1 (every byte is a
  /// character there, so nothing is lost). Raw 8-bit header bytes get this.
  public static func decodeUTF8OrLatin1<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
    if let text = String(validating: bytes, as: UTF8.self) {
      return text
    }
    return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
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
    if let declaredEncoding, ![.utf8, .ascii, .isoLatin1, .isoLatin2, .windowsCP1250].contains(declaredEncoding),
      let text = String(data: Data(bytes), encoding: declaredEncoding)
    {
      return (text, false)  // UTF-16, windows-1252 and the like: trust the label
    }
    // The declared single-byte charset stands unless its result shows mojibake
    // and a sibling reads as better Polish.
    let declaredText: String? =
      declaredEncoding.flatMap { $0 == .utf8 || $0 == .ascii ? nil : String(data: Data(bytes), encoding: $0) }
    if let declaredText, implausibleCount(declaredText) == 0 { return (declaredText, false) }
    var best: (text: String, score: Int)? = declaredText.map { ($0, polishScore($0)) }
    for encoding in [String.Encoding.windowsCP1250, .isoLatin2, .isoLatin1] where encoding != declaredEncoding {
      guard let text = String(data: Data(bytes), encoding: encoding) else { continue }
      let score = polishScore(text)
      if best == nil || score > best!.score { best = (text, score) }
    }
    guard let best else { return (decodeUTF8OrLatin1(bytes), declaredEncoding != nil) }
    return (best.text, best.text != declaredText)
  }

  private static func implausibleCount(_ text: String) -> Int {
    text.unicodeScalars.reduce(0) { count, scalar in
      count + (implausible.contains(scalar) || (0x80...0x9F).contains(scalar.value) ? 1 : 0)
    }
  }

  private static let polishLetters = Set("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ".unicodeScalars)
  /// What Polish text decoded in the wrong one of windows-1250 / iso-8859-2 turns into.
  private static let implausible = Set("¶±¦¬Ľľ¥¹ˇ¼Ÿ¤³¿œ".unicodeScalars)

  /// Polish letters count for, mojibake and C1 control characters against.
  static func polishScore(_ text: String) -> Int {
    var score = 0
    for scalar in text.unicodeScalars where scalar.value >= 0x80 {
      if polishLetters.contains(scalar) {
        score += 1
      } else if implausible.contains(scalar) || (0x80...0x9F).contains(scalar.value) {
        score -= 2
      }
    }
    return score
  }
}
