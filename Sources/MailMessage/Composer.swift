import Foundation

/// A message we send: headers and a UTF-8 text body. `render()` produces the
/// bytes for SMTP: CRLF everywhere, every line at most 78 characters where it
/// can be folded, the body quoted-printable (7-bit clean, since libcurl never
/// announces 8BITMIME).
///
/// Values that come from a customer's mail (subject, names, message ids) are
/// sanitised here: control characters become spaces, so a CR or LF in them
/// can never start a header of its own.
public struct OutgoingMessage: Sendable, Equatable {
  public var from: MailAddress
  public var to: [MailAddress]
  public var subject: String
  public var date: Date
  /// With angle brackets: `<…@domain>`.
  public var messageID: String
  public var inReplyTo: String?
  public var references: [String]
  /// Further headers in order, e.g. Auto-Submitted. Names must be plain tokens.
  public var extraHeaders: [HeaderField]
  public var text: String
  /// An optional HTML version of `text`; the message becomes multipart/alternative.
  public var html: String?

  public init(
    from: MailAddress, to: [MailAddress], subject: String, date: Date, messageID: String,
    inReplyTo: String? = nil, references: [String] = [], extraHeaders: [HeaderField] = [], text: String,
    html: String? = nil
  ) {
    self.from = from
    self.to = to
    self.subject = subject
    self.date = date
    self.messageID = messageID
    self.inReplyTo = inReplyTo
    self.references = references
    self.extraHeaders = extraHeaders
    self.text = text
    self.html = html
  }

  /// The complete message. Throws when an address cannot be written safely.
  public func render(
    timeZone: TimeZone = TimeZone(identifier: "Europe/Warsaw") ?? .gmt
  ) throws(MailMessageError) -> [UInt8] {
    var writer = HeaderWriter()
    writer.add("Date", Self.rfc5322Date(date, timeZone: timeZone))
    writer.addAddresses("From", [from])
    writer.addAddresses("To", to)
    writer.addText("Subject", subject)
    writer.addIDs("Message-ID", [messageID])
    if let inReplyTo { writer.addIDs("In-Reply-To", [inReplyTo]) }
    if !references.isEmpty { writer.addIDs("References", references) }
    for field in extraHeaders {
      guard Self.isToken(field.name) else { throw .invalidHeaderName(field.name) }
      writer.addText(field.name, field.value)
    }
    writer.add("MIME-Version", "1.0")
    let plain = TransferEncoding.encodeQuotedPrintable(Self.normalizedText(text))
    guard let html else {
      writer.add("Content-Type", "text/plain; charset=UTF-8")
      writer.add("Content-Transfer-Encoding", "quoted-printable")
      if let problem = writer.problem { throw problem }
      return Array((writer.text + "\r\n" + plain + "\r\n").utf8)
    }
    // The boundary is derived from the Message-ID, so the same reply renders the same bytes.
    let boundary = "=_sb_" + String(FNV1a.hash(messageID), radix: 36)
    writer.add("Content-Type", "multipart/alternative; boundary=\"\(boundary)\"")
    if let problem = writer.problem { throw problem }
    let part = { (type: String, body: String) in
      "--\(boundary)\r\nContent-Type: \(type); charset=UTF-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
        + body + "\r\n"
    }
    let body =
      part("text/plain", plain) + part("text/html", TransferEncoding.encodeQuotedPrintable(Self.normalizedText(html)))
      + "--\(boundary)--\r\n"
    return Array((writer.text + "\r\n" + body).utf8)
  }

  /// Text with every kind of line end turned into one, without NUL or other
  /// controls (tab stays).
  private static func normalizedText(_ text: String) -> String {
    String(
      String.UnicodeScalarView(
        text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n").unicodeScalars
          .filter { $0 == "\n" || $0 == "\t" || !($0.properties.generalCategory == .control) }))
  }

  static func isToken(_ name: String) -> Bool {
    !name.isEmpty && name.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }
  }

  /// `Wed, 25 Nov 2026 10:06:36 +0100`.
  public static func rfc5322Date(_ date: Date, timeZone: TimeZone) -> String {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
    let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    let offset = timeZone.secondsFromGMT(for: date) / 60
    func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
    return
      "\(weekdays[(parts.weekday ?? 1) - 1]), \(parts.day ?? 1) \(months[(parts.month ?? 1) - 1]) \(parts.year ?? 1970) "
      + "\(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) \(offset < 0 ? "-" : "+")\(two(abs(offset) / 60))\(two(abs(offset) % 60))"
  }
}

/// What MailMessage can fail at. Parsing never fails (it reads what it can
/// and reports `ParserWarning`s); composing a message can, when a value
/// would not make a well-formed header.
public enum MailMessageError: Error, Sendable, Equatable, CustomStringConvertible {
  /// An address that cannot go into a header as it is: not one `@`, longer
  /// than 254 bytes, or with spaces, controls, non-ASCII or special characters.
  case invalidAddress(String)
  /// A header name with spaces, controls or a colon, or an empty one.
  case invalidHeaderName(String)
  /// A message without any recipient.
  case noRecipient

  public var description: String {
    switch self {
    case .invalidAddress(let address):
      "The address \(address.debugDescription) cannot be written into a header: an address needs exactly one @, at most 254 characters and no spaces, control, non-ASCII or special characters."
    case .invalidHeaderName(let name):
      "\(name.debugDescription) is not a valid header name: a name is printable ASCII without spaces or a colon."
    case .noRecipient: "The message has no recipient, so it cannot be composed."
    }
  }
}

/// Writes header fields, folding at 78 columns between words.
struct HeaderWriter {
  private(set) var text = ""
  private(set) var problem: MailMessageError?

  mutating func add(_ name: String, _ value: String) {
    addWords(name, value.split(separator: " ").map(String.init))
  }

  /// Unstructured text (Subject, extra fields): sanitised, encoded words when needed.
  mutating func addText(_ name: String, _ value: String) {
    let clean = Self.sanitize(value)
    // "Name: " shares the first line with the first word.
    let encoded = EncodedWords.encode(clean, firstWordLimit: 78 - name.utf8.count - 2)
    addWords(name, encoded.split(separator: " ").map(String.init))
  }

  mutating func addAddresses(_ name: String, _ addresses: [MailAddress]) {
    guard !addresses.isEmpty else {
      problem = problem ?? .noRecipient
      return
    }
    var words: [String] = []
    for (index, mailbox) in addresses.enumerated() {
      guard Self.isSafeAddress(mailbox.address) else {
        problem = problem ?? .invalidAddress(mailbox.address)
        return
      }
      let separator = index < addresses.count - 1 ? "," : ""
      if let displayName = mailbox.name.map(Self.sanitize)?.trimmingWhitespace(), !displayName.isEmpty {
        let limit = words.isEmpty ? 78 - name.utf8.count - 2 : 75
        words += Self.phrase(displayName, firstWordLimit: limit).split(separator: " ").map(String.init)
        words.append("<\(mailbox.address)>" + separator)
      } else {
        words.append(mailbox.address + separator)
      }
    }
    addWords(name, words)
  }

  /// Message identifiers; ones that are not a clean `<…>` are left out.
  mutating func addIDs(_ name: String, _ ids: [String]) {
    let clean = ids.filter(Self.isSafeMessageID)
    guard !clean.isEmpty else { return }
    addWords(name, clean)
  }

  private mutating func addWords(_ name: String, _ words: [String]) {
    var line = name + ":"
    for word in words {
      if line.utf8.count + 1 + word.utf8.count > 78,
        line.contains(Character(" ")) || line.utf8.count > name.utf8.count + 1
      {
        text += line + "\r\n"
        line = " " + word
      } else {
        line += " " + word
      }
    }
    text += line + "\r\n"
  }

  /// Control characters (CR, LF, NUL, tab…) become spaces; runs of spaces collapse.
  static func sanitize(_ value: String) -> String {
    let scalars = value.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }
    return String(String.UnicodeScalarView(scalars)).split(separator: " ").joined(separator: " ")
  }

  /// A display name as an atom sequence, a quoted string, or encoded words.
  static func phrase(_ name: String, firstWordLimit: Int = 75) -> String {
    if name.unicodeScalars.contains(where: { !$0.isASCII }) || name.utf8.containsBytes("=?") {
      return EncodedWords.encode(name, firstWordLimit: firstWordLimit)
    }
    let atext = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "!#$%&'*+-/=?^_`{|}~ "))
    if name.unicodeScalars.allSatisfy({ atext.contains($0) }) { return name }
    return "\"" + name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }

  /// Printable ASCII, one @, no whitespace or characters that end an address.
  static func isSafeAddress(_ address: String) -> Bool {
    guard address.utf8.count <= 254, address.split(separator: "@", omittingEmptySubsequences: false).count == 2 else {
      return false
    }
    return address.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && !"<>()[]\\,;:\"".utf8.contains($0) }
  }

  static func isSafeMessageID(_ id: String) -> Bool {
    id.hasPrefix("<") && id.hasSuffix(">") && id.utf8.count > 2 && id.utf8.count <= 250
      && id.utf8.dropFirst().dropLast().allSatisfy {
        $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">")
      }
  }
}
