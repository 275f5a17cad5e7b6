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
    splitTopLevel(value).compactMap(parseOne)
  }

  /// Splits at commas (and group markers) outside quotes, angle brackets and comments.
  private static func splitTopLevel(_ value: String) -> [String] {
    var parts: [String] = []
    var current = ""
    var inQuotes = false
    var angle = 0
    var comment = 0
    var escaped = false
    for character in value {
      if escaped {
        current.append(character)
        escaped = false
        continue
      }
      switch character {
      case "\\" where inQuotes || comment > 0:
        escaped = true
      case "\"" where comment == 0: inQuotes.toggle()
      case "(" where !inQuotes: comment += 1
      case ")" where !inQuotes && comment > 0: comment -= 1
      case "<" where !inQuotes && comment == 0: angle += 1
      case ">" where !inQuotes && comment == 0 && angle > 0: angle -= 1
      case "," where !inQuotes && angle == 0 && comment == 0,
        ";" where !inQuotes && angle == 0 && comment == 0:
        parts.append(current)
        current = ""
        continue
      case ":" where !inQuotes && angle == 0 && comment == 0:
        // "Group name:" — what came before is the group's name, not an address.
        current = ""
        continue
      default: break
      }
      current.append(character)
    }
    parts.append(current)
    return parts
  }

  private static func parseOne(_ raw: String) -> MailAddress? {
    let text = raw.trimmingWhitespace()
    guard !text.isEmpty else { return nil }
    if let open = text.lastIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
      let address = String(text[text.index(after: open)..<close]).trimmingWhitespace()
      let name = cleanName(String(text[..<open]))
      guard address.contains(Character("@")) else { return nil }
      return MailAddress(name: name, address: stripRoute(address))
    }
    // addr-spec alone, possibly with a comment holding the name: jan@x.pl (Jan Kowalski)
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
    return MailAddress(name: cleanName(comment), address: address)
  }

  /// Drops an obsolete source route: `<@relay:jan@x.pl>`.
  private static func stripRoute(_ address: String) -> String {
    guard address.hasPrefix("@"), let colon = address.firstIndex(of: ":") else { return address }
    return String(address[address.index(after: colon)...])
  }

  /// The display name: quotes removed, encoded words decoded, comments dropped.
  private static func cleanName(_ raw: String) -> String? {
    var output = ""
    var inQuotes = false
    var escaped = false
    var comment = 0
    for character in raw {
      if escaped {
        output.append(character)
        escaped = false
        continue
      }
      switch character {
      case "\\" where inQuotes: escaped = true
      case "\"" where comment == 0: inQuotes.toggle()
      case "(" where !inQuotes: comment += 1
      case ")" where !inQuotes && comment > 0: comment -= 1
      default: if comment == 0 { output.append(character) }
      }
    }
    let name = EncodedWords.decode(output.trimmingWhitespace()).trimmingWhitespace()
    return name.isEmpty ? nil : name
  }
}
