/// A mailbox: an optional display name and the address.
public struct MailAddress: Sendable, Equatable, Hashable, CustomStringConvertible {
  public var name: String?
  public var address: String

  public init(name: String? = nil, address: String) {
    self.name = name
    self.address = address
  }

  /// The domain part, lower-cased ("" without an @).
  public var domain: String {
    address.split(separator: "@", omittingEmptySubsequences: false).dropFirst().last.map { $0.lowercased() } ?? ""
  }

  /// The local part ("jan" of "jan@firma.pl").
  public var localPart: String {
    guard let at = address.lastIndex(of: "@") else { return address }
    return String(address[..<at])
  }

  public var description: String {
    guard let name, !name.isEmpty else { return address }
    return "\(name) <\(address)>"
  }

  /// Parses an address list header value (From, To, Cc, Reply-To): quoted
  /// and encoded display names, comments, groups, and the bare forms that
  /// broken clients send. Entries without an @ are dropped.
  public static func parseList(_ value: String) -> [MailAddress] {
    parseList(bytes: Array(value.utf8)[...])
  }

  /// `parseList` over the UTF-8 bytes of a value. Every delimiter is ASCII, so
  /// the scan works on bytes; strings are made only for the results.
  static func parseList(bytes: ArraySlice<UInt8>) -> [MailAddress] {
    // One mailbox and no group (most From headers): nothing to split.
    let separators = bytes.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ";") || $0 == UInt8(ascii: ":") }
    guard separators else { return parseOne(bytes).map { [$0] } ?? [] }
    return splitTopLevel(bytes).compactMap(parseOne)
  }

  /// Splits at commas (and group markers) outside quotes, angle brackets and comments.
  private static func splitTopLevel(_ value: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
    var parts: [ArraySlice<UInt8>] = []
    var start = value.startIndex
    var inQuotes = false
    var angle = 0
    var comment = 0
    var escaped = false
    for index in value.indices {
      if escaped {
        escaped = false
        continue
      }
      switch value[index] {
      case UInt8(ascii: "\\") where inQuotes || comment > 0: escaped = true
      case UInt8(ascii: "\"") where comment == 0: inQuotes.toggle()
      case UInt8(ascii: "(") where !inQuotes: comment += 1
      case UInt8(ascii: ")") where !inQuotes && comment > 0: comment -= 1
      case UInt8(ascii: "<") where !inQuotes && comment == 0: angle += 1
      case UInt8(ascii: ">") where !inQuotes && comment == 0 && angle > 0: angle -= 1
      case UInt8(ascii: ","), UInt8(ascii: ";"):
        guard !inQuotes && angle == 0 && comment == 0 else { break }
        parts.append(value[start..<index])
        start = index + 1
      case UInt8(ascii: ":") where !inQuotes && angle == 0 && comment == 0:
        // "Group name:" — what came before is the group's name, not an address.
        start = index + 1
      default: break
      }
    }
    parts.append(value[start...])
    return parts
  }

  private static func parseOne(_ raw: ArraySlice<UInt8>) -> MailAddress? {
    let text = HeaderField.trimmedASCII(raw)
    guard !text.isEmpty else { return nil }
    if let open = text.lastIndex(of: UInt8(ascii: "<")), let close = text[open...].firstIndex(of: UInt8(ascii: ">")) {
      let inside = HeaderField.trimmedASCII(text[(open + 1)..<close])
      var address = String(decoding: inside, as: UTF8.self)
      if inside.contains(where: { $0 >= 0x80 }) { address = address.trimmingWhitespace() }
      guard inside.contains(UInt8(ascii: "@")) else { return nil }
      return MailAddress(name: cleanName(text[..<open]), address: stripRoute(address))
    }
    // addr-spec alone, possibly with a comment holding the name: jan@x.pl (Jan Kowalski)
    if text.contains(where: { $0 >= 0x80 }) {
      return parseBare(String(decoding: text, as: UTF8.self).trimmingWhitespace())  // Unicode blanks, by Character
    }
    var address: [UInt8] = []
    var comment: [UInt8] = []
    var depth = 0
    for byte in text {
      switch byte {
      case UInt8(ascii: "("):
        depth += 1
        if depth > 1 { comment.append(byte) }
      case UInt8(ascii: ")") where depth > 0:
        depth -= 1
        if depth > 0 { comment.append(byte) }
      default:
        if depth > 0 { comment.append(byte) } else if !HeaderField.isBlank(byte) { address.append(byte) }
      }
    }
    guard address.contains(UInt8(ascii: "@")) else { return nil }
    return MailAddress(name: cleanName(comment[...]), address: String(decoding: address, as: UTF8.self))
  }

  /// The bare form for text with non-ASCII characters, where any Unicode blank separates.
  private static func parseBare(_ text: String) -> MailAddress? {
    guard !text.isEmpty else { return nil }
    var address = ""
    var comment = ""
    var depth = 0
    for character in text {
      switch character {
      case "(":
        depth += 1
        if depth > 1 { comment.append(character) }
      case ")" where depth > 0:
        depth -= 1
        if depth > 0 { comment.append(character) }
      default:
        if depth > 0 { comment.append(character) } else if !character.isWhitespace { address.append(character) }
      }
    }
    guard address.contains(Character("@")) else { return nil }
    return MailAddress(name: cleanName(Array(comment.utf8)[...]), address: address)
  }

  /// Drops an obsolete source route: `<@relay:jan@x.pl>`.
  private static func stripRoute(_ address: String) -> String {
    guard address.hasPrefix("@"), let colon = address.firstIndex(of: ":") else { return address }
    return String(address[address.index(after: colon)...])
  }

  /// The display name: quotes removed, encoded words decoded, comments dropped.
  private static func cleanName(_ raw: ArraySlice<UInt8>) -> String? {
    let plain = !raw.contains {
      $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "(") || $0 == UInt8(ascii: ")") || $0 == UInt8(ascii: "\\")
    }
    guard !plain else { return displayName(HeaderField.trimmedASCII(raw)) }
    var output: [UInt8] = []
    output.reserveCapacity(raw.count)
    var inQuotes = false
    var escaped = false
    var comment = 0
    for byte in raw {
      if escaped {
        output.append(byte)
        escaped = false
        continue
      }
      switch byte {
      case UInt8(ascii: "\\") where inQuotes: escaped = true
      case UInt8(ascii: "\"") where comment == 0: inQuotes.toggle()
      case UInt8(ascii: "(") where !inQuotes: comment += 1
      case UInt8(ascii: ")") where !inQuotes && comment > 0: comment -= 1
      default: if comment == 0 { output.append(byte) }
      }
    }
    return displayName(HeaderField.trimmedASCII(output[...]))
  }

  /// A name without quotes and comments: encoded words decoded, trimmed; nil when empty.
  private static func displayName(_ trimmed: ArraySlice<UInt8>) -> String? {
    guard !trimmed.isEmpty else { return nil }
    var name = String(decoding: trimmed, as: UTF8.self)
    if trimmed.contains(where: { $0 >= 0x80 }) || trimmed.contains(UInt8(ascii: "=")) {
      name = EncodedWords.decode(name.trimmingWhitespace()).trimmingWhitespace()
    }
    return name.isEmpty ? nil : name
  }
}
