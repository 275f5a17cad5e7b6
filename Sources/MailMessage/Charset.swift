import Foundation

/// Text in the charsets Polish mail arrives in.
public enum Charset {
  /// The encoding for a MIME charset name (case-insensitive, common aliases
  /// included), or nil when it is not known.
  public static func encoding(named name: String) -> String.Encoding? {
    let key = name.trimmingCharacters(in: .whitespaces).lowercased()
    switch key {
    case "utf-8", "utf8": return .utf8
    case "us-ascii", "ascii", "ansi_x3.4-1968": return .ascii
    case "iso-8859-1", "iso8859-1", "latin1", "l1", "iso_8859-1": return .isoLatin1
    case "iso-8859-2", "iso8859-2", "latin2", "l2", "iso_8859-2": return .isoLatin2
    case "windows-1250", "cp1250", "x-cp1250", "win-1250": return .windowsCP1250
    case "windows-1252", "cp1252": return .windowsCP1252
    case "utf-16": return .utf16
    default: return nil
    }
  }

  /// Decodes `bytes` in the named charset. Unknown charsets and bytes that are
  /// not valid in the declared charset fall back to UTF-8 with replacement
  /// characters, so some text always comes out.
  public static func decode<Bytes: Collection<UInt8>>(_ bytes: Bytes, charset: String?) -> String {
    if let charset, let encoding = encoding(named: charset), encoding != .utf8,
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
}
