import Foundation

/// A parsed email message: decoded headers, the readable text, the new text
/// of a reply, and the attachments.
public struct Message: Sendable, Equatable {
  public private(set) var root: MIMEPart
  /// What the parser had to skip, cut or guess.
  public var warnings: [ParserWarning]
  /// The readable text: text/plain unless it is an empty stub, else the HTML
  /// converted to text. Line ends are "\n".
  public private(set) var text: String
  /// The customer's own words: `text` without quoted history, signature and footer.
  public private(set) var newText: String
  public private(set) var attachments: [Attachment]
  /// Whether a text part's declared charset was wrong and another was used.
  public private(set) var charsetRecovered: Bool
  /// The subject decoded, on one line (`headers.text("Subject")`).
  public let subject: String?

  public var headers: Headers { root.headers }

  /// Parses raw message bytes (CRLF or bare LF line ends).
  public init(parsing input: [UInt8], limits: ParserLimits = .init()) {
    var warnings: [ParserWarning] = []
    var bytes = input[...]
    if bytes.count > limits.maxBytes {
      warnings.append(.messageTooLarge(limit: limits.maxBytes))
      bytes = bytes.prefix(limits.maxBytes)
    }
    root = MIMEParser.parse(bytes, limits: limits, warnings: &warnings)
    var body = BodyText()
    body.collect(root)
    text = body.text
    newText = body.newText
    attachments = body.attachments
    charsetRecovered = body.recovered
    // Line breaks smuggled into a subject through an encoded word are a
    // header-injection attempt: the subject is shown as one line, and staff hear of it.
    let subject = root.headers["Subject"].map(EncodedWords.decode)
    if let subject, subject.utf8.containsLineBreak {
      warnings.append(.subjectLineBreaks)
    }
    self.subject = subject.map { Headers.oneLine($0).trimmingWhitespace() }
    self.warnings = warnings + body.warnings
  }

  public init(parsing text: String, limits: ParserLimits = .init()) {
    self.init(parsing: Array(text.utf8), limits: limits)
  }

  // MARK: Header accessors

  public var from: MailAddress? { headers.field("From").flatMap { MailAddress.parseList(bytes: $0.valueBytes).first } }
  public var replyTo: [MailAddress] {
    headers.field("Reply-To").map { MailAddress.parseList(bytes: $0.valueBytes) } ?? []
  }
  public var to: [MailAddress] { addresses("To") }
  public var cc: [MailAddress] { addresses("Cc") }
  public var date: Date? { headers.field("Date").flatMap { MailDate.parse(bytes: $0.valueBytes) } }
  public var messageID: String? { headers.field("Message-ID").flatMap { Self.messageIDs(in: $0.valueBytes).first } }
  public var inReplyTo: [String] { headers.field("In-Reply-To").map { Self.messageIDs(in: $0.valueBytes) } ?? [] }
  public var references: [String] { headers.field("References").map { Self.messageIDs(in: $0.valueBytes) } ?? [] }

  private func addresses(_ name: String) -> [MailAddress] {
    headers.fields(named: name).flatMap { MailAddress.parseList(bytes: $0.valueBytes) }
  }

  /// Where a reply goes: Reply-To if given, else From.
  public var replyAddress: MailAddress? { replyTo.first ?? from }

  /// The `<…>` identifiers in a Message-ID, In-Reply-To or References value.
  /// A lone identifier without brackets (seen from broken clients) is taken whole.
  public static func messageIDs(in value: String) -> [String] {
    messageIDs(in: Array(value.utf8)[...])
  }

  /// `messageIDs(in:)` over the bytes of a value; text with non-ASCII
  /// characters (where Unicode blanks separate) goes the way of Characters.
  static func messageIDs(in bytes: ArraySlice<UInt8>) -> [String] {
    guard !bytes.contains(where: { $0 >= 0x80 }) else {
      return messageIDs(inText: String(decoding: bytes, as: UTF8.self))
    }
    func isSeparator(_ byte: UInt8) -> Bool { HeaderField.isBlank(byte) || byte == UInt8(ascii: ",") }
    var ids: [String] = []
    var index = bytes.startIndex
    while let start = bytes[index...].firstIndex(where: { !isSeparator($0) }) {
      if bytes[start] == UInt8(ascii: "<") {
        guard let close = bytes[start...].firstIndex(of: UInt8(ascii: ">")) else { break }
        let id = bytes[start...close]
        if id.count > 2, !id.contains(where: HeaderField.isBlank) { ids.append(String(decoding: id, as: UTF8.self)) }
        index = close + 1
      } else {
        // A bare id, as some ERP systems write them: taken when it looks like one.
        let end = bytes[start...].firstIndex(where: { isSeparator($0) || $0 == UInt8(ascii: "<") }) ?? bytes.endIndex
        let word = bytes[start..<end]
        if word.contains(UInt8(ascii: "@")), word.first != UInt8(ascii: "("), !word.contains(UInt8(ascii: ">")) {
          ids.append("<" + String(decoding: word, as: UTF8.self) + ">")
        }
        index = end
      }
    }
    return ids
  }

  private static func messageIDs(inText value: String) -> [String] {
    var ids: [String] = []
    var rest = Substring(value)
    while let start = rest.firstIndex(where: { !$0.isWhitespace && $0 != "," }) {
      rest = rest[start...]
      if rest.first == "<" {
        guard let close = rest.firstIndex(of: ">") else { break }
        let id = rest[...close]
        if id.count > 2, !id.contains(where: { $0.isWhitespace }) { ids.append(String(id)) }
        rest = rest[rest.index(after: close)...]
      } else {
        // A bare id, as some ERP systems write them: taken when it looks like one.
        let end = rest.firstIndex(where: { $0.isWhitespace || $0 == "," || $0 == "<" }) ?? rest.endIndex
        let word = rest[..<end]
        if word.contains(Character("@")), !word.hasPrefix("("), !word.contains(Character(">")) {
          ids.append("<\(word)>")
        }
        rest = rest[end...]
      }
    }
    return ids
  }

  /// Depth-first search over the leaf parts, not into embedded messages.
  public func firstPart(where predicate: (MIMEPart) -> Bool) -> MIMEPart? {
    var stack = [root]
    while let part = stack.popLast() {
      if part.parts.isEmpty || part.contentType.type == "message" {
        if predicate(part) { return part }
      } else {
        stack.append(contentsOf: part.parts.reversed())
      }
    }
    return nil
  }
}
