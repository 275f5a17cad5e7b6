import Foundation

/// What STATUS tells about a mailbox without opening it.
public struct MailboxStatus: Sendable, Equatable {
  public var messages: Int?
  public var unseen: Int?
  public var uidNext: UInt32?
  public var uidValidity: UInt32?

  public init(messages: Int? = nil, unseen: Int? = nil, uidNext: UInt32? = nil, uidValidity: UInt32? = nil) {
    self.messages = messages
    self.unseen = unseen
    self.uidNext = uidNext
    self.uidValidity = uidValidity
  }
}

/// A fetched message; `isPartial` when only its beginning was read.
public struct FetchedMessage: Sendable, Equatable {
  public var bytes: [UInt8]
  /// The whole message's size as the server reported it.
  public var size: Int
  public var isPartial: Bool
}

/// One message's metadata from `UID FETCH … (UID FLAGS RFC822.SIZE INTERNALDATE)`.
public struct MessageMetadata: Sendable, Equatable {
  public var uid: UInt32
  public var flags: [String]
  public var size: Int?
  /// When the server received the message.
  public var internalDate: Date?

  public init(uid: UInt32, flags: [String] = [], size: Int? = nil, internalDate: Date? = nil) {
    self.uid = uid
    self.flags = flags
    self.size = size
    self.internalDate = internalDate
  }

  public var isSeen: Bool { flags.contains { $0.caseInsensitiveCompare("\\Seen") == .orderedSame } }
}

/// A value in an untagged IMAP response line. Literals (`{n}`) never occur in
/// the answers we ask for (DESIGN.md section 6), so they are not modelled.
enum IMAPValue: Equatable {
  case atom(String)
  case string(String)
  case list([IMAPValue])
  case nilValue

  var text: String? {
    switch self {
    case .atom(let value), .string(let value): value
    case .list, .nilValue: nil
    }
  }
}

/// The server's own words when it said no: a tagged NO or BAD, or an
/// untagged BYE. `code` is the RFC 5530 response code, e.g. `LIMIT`.
struct IMAPRefusal: Equatable {
  var code: String?
  var text: String
}

/// Parsers for the untagged lines libcurl passes on for custom commands.
/// Pure functions of text, tested without a server.
enum IMAPResponses {
  /// UIDVALIDITY and UID from a tagged `OK [APPENDUID v uid]` (RFC 4315).
  static func appendUID(_ line: String) -> (uidValidity: UInt32, uid: UInt32)? {
    guard let open = line.range(of: "[APPENDUID ", options: .caseInsensitive),
      let close = line[open.upperBound...].firstIndex(of: "]")
    else { return nil }
    let numbers = line[open.upperBound..<close].split(separator: " ").compactMap { UInt32($0) }
    guard numbers.count == 2 else { return nil }
    return (numbers[0], numbers[1])
  }

  /// The last refusal among the server's lines, if any.
  ///
  /// A tagged NO or BAD wins over an untagged BYE: after a refused command
  /// libcurl logs out, and the server's `* BYE Logging out` says nothing
  /// about what went wrong. A BYE alone (a server shutting down) still counts.
  static func refusal(in lines: [String]) -> IMAPRefusal? {
    var farewell: IMAPRefusal?
    for line in lines.reversed() {
      let words = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
      guard words.count == 3 else { continue }
      let status = words[1].uppercased()
      let tagged = words[0] != "*" && (status == "NO" || status == "BAD")
      guard tagged || (words[0] == "*" && status == "BYE") else { continue }
      let text = words[2].trimmingCharacters(in: .whitespacesAndNewlines)
      var code: String?
      if text.hasPrefix("["), let end = text.firstIndex(of: "]") {
        code = text[text.index(after: text.startIndex)..<end].split(separator: " ").first.map { $0.uppercased() }
      }
      if tagged { return IMAPRefusal(code: code, text: text) }
      if farewell == nil { farewell = IMAPRefusal(code: code, text: text) }
    }
    return farewell
  }

  /// The UIDs of every `* SEARCH` line.
  static func searchResults(_ text: String) -> [UInt32] {
    var uids: [UInt32] = []
    for values in untaggedLines(text) {
      guard values.first?.text?.uppercased() == "SEARCH" else { continue }
      uids += values.dropFirst().compactMap { $0.text.flatMap { UInt32($0) } }
    }
    return uids
  }

  /// The MIN of an `* ESEARCH (TAG "…") UID MIN n` answer (RFC 4731); nil when there is none.
  static func esearchMinimum(_ text: String) -> UInt32? {
    for values in untaggedLines(text) where values.first?.text?.uppercased() == "ESEARCH" {
      let words = values.map { $0.text?.uppercased() }
      if let position = words.firstIndex(of: "MIN"), position + 1 < values.count {
        return values[position + 1].text.flatMap { UInt32($0) }
      }
    }
    return nil
  }

  /// The attributes of the first `* STATUS` line.
  static func status(_ text: String) -> MailboxStatus? {
    for values in untaggedLines(text) {
      guard values.first?.text?.uppercased() == "STATUS", case .list(let items)? = values.last else { continue }
      var status = MailboxStatus()
      for (key, value) in pairs(items) {
        guard let number = value.text else { continue }
        switch key {
        case "MESSAGES": status.messages = Int(number)
        case "UNSEEN": status.unseen = Int(number)
        case "UIDNEXT": status.uidNext = UInt32(number)
        case "UIDVALIDITY": status.uidValidity = UInt32(number)
        default: break
        }
      }
      return status
    }
    return nil
  }

  /// Every `* n FETCH (…)` line that carries a UID.
  static func fetchResults(_ text: String) -> [MessageMetadata] {
    var results: [MessageMetadata] = []
    for values in untaggedLines(text) {
      guard values.count >= 3, values[1].text?.uppercased() == "FETCH", case .list(let items) = values[2] else {
        continue
      }
      var uid: UInt32?
      var metadata = MessageMetadata(uid: 0)
      for (key, value) in pairs(items) {
        switch (key, value) {
        case ("UID", _): uid = value.text.flatMap { UInt32($0) }
        case ("FLAGS", .list(let flags)): metadata.flags = flags.compactMap(\.text)
        case ("RFC822.SIZE", _): metadata.size = value.text.flatMap { Int($0) }
        case ("INTERNALDATE", _): metadata.internalDate = value.text.flatMap(parseInternalDate)
        default: break
        }
      }
      if let uid {
        metadata.uid = uid
        results.append(metadata)
      }
    }
    return results
  }

  /// `key value key value …` as pairs with upper-cased keys.
  private static func pairs(_ items: [IMAPValue]) -> [(String, IMAPValue)] {
    stride(from: 0, to: items.count - 1, by: 2).compactMap { index in
      items[index].text.map { ($0.uppercased(), items[index + 1]) }
    }
  }

  /// The values of each `* …` line, without the star.
  static func untaggedLines(_ text: String) -> [[IMAPValue]] {
    text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" })
      .compactMap { line in
        guard line.hasPrefix("* ") else { return nil }
        var scanner = ValueScanner(Substring(line.dropFirst(2)))
        return scanner.values()
      }
  }

  private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

  /// `25-Nov-2026 09:00:00 +0100` (day may be space-padded) as a point in time.
  static func parseInternalDate(_ text: String) -> Date? {
    let parts = text.trimmingCharacters(in: .whitespaces).split(separator: " ")
    guard parts.count == 3 else { return nil }
    let dayParts = parts[0].split(separator: "-")
    let timeParts = parts[1].split(separator: ":")
    let zone = parts[2]
    guard dayParts.count == 3, timeParts.count == 3, zone.count == 5,
      let day = Int(dayParts[0]), let month = months.firstIndex(of: dayParts[1].lowercased()),
      let year = Int(dayParts[2]), let hour = Int(timeParts[0]), let minute = Int(timeParts[1]),
      let second = Int(timeParts[2]), let zoneHours = Int(zone.dropFirst().prefix(2)),
      let zoneMinutes = Int(zone.suffix(2)), zone.first == "+" || zone.first == "-"
    else { return nil }
    let offset = (zoneHours * 3600 + zoneMinutes * 60) * (zone.first == "-" ? -1 : 1)
    var calendar = Calendar(identifier: .gregorian)
    guard let timeZone = TimeZone(secondsFromGMT: offset) else { return nil }
    calendar.timeZone = timeZone
    return calendar.date(
      from: DateComponents(year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second))
  }
}

/// Splits one response line into atoms, quoted strings and parenthesised lists.
private struct ValueScanner {
  private var rest: Substring

  init(_ text: Substring) { rest = text }

  mutating func values() -> [IMAPValue] {
    var result: [IMAPValue] = []
    while let value = next(closing: nil) { result.append(value) }
    return result
  }

  private mutating func next(closing: Character?) -> IMAPValue? {
    while rest.first == " " { rest.removeFirst() }
    guard let first = rest.first else { return nil }
    if first == closing {
      rest.removeFirst()
      return nil
    }
    switch first {
    case "(":
      rest.removeFirst()
      var items: [IMAPValue] = []
      while let item = next(closing: ")") { items.append(item) }
      return .list(items)
    case "\"":
      rest.removeFirst()
      var value = ""
      while let character = rest.popFirst(), character != "\"" {
        value.append(character == "\\" ? (rest.popFirst() ?? "\\") : character)
      }
      return .string(value)
    default:
      // An atom ends at a space or a parenthesis; brackets stay inside (BODY[HEADER]).
      var atom = ""
      while let character = rest.first, character != " ", character != "(", character != ")" {
        atom.append(character)
        rest.removeFirst()
      }
      if atom.isEmpty {
        rest.removeFirst()  // a stray ')' without its '(': skip it
        return next(closing: closing)
      }
      return atom.uppercased() == "NIL" ? .nilValue : .atom(atom)
    }
  }
}
