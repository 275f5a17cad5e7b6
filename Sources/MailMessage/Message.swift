import Foundation

/// Ceilings for untrusted input. A message beyond them is still parsed as far
/// as the limits allow, with a warning; the parser never crashes, hangs or
/// grows without bound.
public struct ParserLimits: Sendable, Equatable {
  /// Bytes of the message that are looked at; the rest is ignored.
  public var maxBytes: Int
  public var maxHeaderBytes: Int
  public var maxHeaderFields: Int
  public var maxDepth: Int
  public var maxParts: Int

  public init(
    maxBytes: Int = 32 << 20, maxHeaderBytes: Int = 256 << 10, maxHeaderFields: Int = 1_000, maxDepth: Int = 20,
    maxParts: Int = 500
  ) {
    self.maxBytes = maxBytes
    self.maxHeaderBytes = maxHeaderBytes
    self.maxHeaderFields = maxHeaderFields
    self.maxDepth = maxDepth
    self.maxParts = maxParts
  }
}

/// A file or embedded message carried by a mail. Not decoded: only described.
public struct Attachment: Sendable, Equatable {
  /// The decoded file name (RFC 2231 or RFC 2047), if the sender gave one.
  public var filename: String?
  /// Lower-case `type/subtype`.
  public var contentType: String
  /// Size in bytes after the transfer encoding is undone.
  public var size: Int
  /// The Content-ID of an inline part (`<image001.png@01DA…>`).
  public var contentID: String?

  public init(filename: String?, contentType: String, size: Int, contentID: String? = nil) {
    self.filename = filename
    self.contentType = contentType
    self.size = size
    self.contentID = contentID
  }
}

/// One MIME entity: the message itself or a part of it. A `message/rfc822`
/// part holds the embedded message as its only child.
public struct MIMEPart: Sendable, Equatable {
  public let headers: Headers
  /// The body as it arrived (still transfer-encoded). Empty for multiparts.
  public var rawBody: ArraySlice<UInt8>
  public var parts: [MIMEPart]
  /// `Content-Type`, parsed once; text/plain when absent.
  public let contentType: HeaderParameters
  public let disposition: HeaderParameters?
  /// The decoded file name (RFC 2231 or RFC 2047), if the sender gave one.
  public let filename: String?

  public init(headers: Headers, rawBody: ArraySlice<UInt8>, parts: [MIMEPart] = []) {
    self.headers = headers
    self.rawBody = rawBody
    self.parts = parts
    let contentType =
      headers.field("Content-Type").map { HeaderParameters(parsing: $0.valueBytes) }
      ?? HeaderParameters(value: "text/plain")
    let disposition = headers.field("Content-Disposition").map { HeaderParameters(parsing: $0.valueBytes) }
    self.contentType = contentType.value.isEmpty ? HeaderParameters(value: "text/plain") : contentType
    self.disposition = disposition
    let name = (disposition?.parameters["filename"] ?? contentType.parameters["name"])?.trimmingWhitespace()
    filename = name?.isEmpty == false ? name : nil
  }

  /// An attachment rather than body text: marked so, named, or not text at all.
  public var isAttachment: Bool {
    if disposition?.value == "attachment" || filename != nil { return true }
    let type = contentType
    return type.type != "text" && type.type != "multipart"
  }

  fileprivate enum Coding { case quotedPrintable, base64, identity }

  /// The Content-Transfer-Encoding that needs undoing (7bit, 8bit, binary and unknown ones need none).
  fileprivate var transferEncoding: Coding {
    guard let value = headers.field("Content-Transfer-Encoding")?.valueBytes else { return .identity }
    if value.equalsIgnoringASCIICase("quoted-printable".utf8) { return .quotedPrintable }
    if value.equalsIgnoringASCIICase("base64".utf8) { return .base64 }
    return .identity
  }

  /// The body with its transfer encoding undone.
  public var decodedBody: [UInt8] {
    var damaged = false
    return decodedBody(damaged: &damaged)
  }

  /// The body decoded; `damaged` tells whether the encoding was broken (and repaired as well as possible).
  func decodedBody(damaged: inout Bool) -> [UInt8] {
    switch transferEncoding {
    case .quotedPrintable: TransferEncoding.decodeQuotedPrintable(rawBody, damaged: &damaged)
    case .base64: TransferEncoding.decodeBase64(rawBody, damaged: &damaged)
    case .identity: Array(rawBody)
    }
  }

  /// The decoded size without decoding base64 (four characters are three bytes).
  public var decodedSize: Int {
    switch transferEncoding {
    case .base64: return TransferEncoding.base64DecodedCount(rawBody)
    case .quotedPrintable: return TransferEncoding.decodeQuotedPrintable(rawBody).count
    case .identity: return rawBody.count
    }
  }

  /// The body as text, in its declared charset unless the bytes clearly say
  /// otherwise; line ends as "\n".
  public var decodedText: String { decodedTextRecovering.text }

  var decodedTextRecovering: (text: String, recovered: Bool) {
    var damaged = false
    let result = decodedTextRecovering(damaged: &damaged)
    return result
  }

  func decodedTextRecovering(damaged: inout Bool) -> (text: String, recovered: Bool) {
    let charset = contentType.parameters["charset"]
    var bytes = decodedBody(damaged: &damaged)
    if !(charset?.lowercased().hasPrefix("utf-16") ?? false) {
      // Line ends as "\n", no NUL: the same bytes in every ASCII-compatible charset.
      Self.normalizeLineEnds(&bytes)
    }
    var (text, recovered) = Charset.decodeRecovering(bytes, declared: charset)
    let type = contentType
    if type.value == "text/plain", type.parameters["format"]?.lowercased() == "flowed" {
      text = FlowedText.unflow(text, deleteSpace: type.parameters["delsp"]?.lowercased() == "yes")
    }
    return (text, recovered)
  }
}

extension MIMEPart {
  /// CRLF and lone CR become LF; NUL bytes are dropped. In place: the text only gets shorter.
  static func normalizeLineEnds(_ bytes: inout [UInt8]) {
    let count = bytes.withUnsafeMutableBufferPointer { mutable -> Int in
      let buffer = UnsafeBufferPointer(mutable)
      guard buffer.index(of: 0, from: 0) == nil else { return Self.normalizingBytewise(mutable) }
      guard var cr = buffer.index(of: 0x0D, from: 0), let base = mutable.baseAddress else { return buffer.count }
      // Only CRs to handle: the text between them moves in whole runs.
      var written = cr
      var index = cr
      while true {
        if written != index { memmove(base + written, base + index, cr - index) }
        written += cr - index
        base[written] = 0x0A
        written += 1
        index = cr + 1
        if index < buffer.count, base[index] == 0x0A { index += 1 }
        guard let next = buffer.index(of: 0x0D, from: index) else { break }
        cr = next
      }
      if written != index { memmove(base + written, base + index, buffer.count - index) }
      return written + buffer.count - index
    }
    bytes.removeLast(bytes.count - count)
  }

  /// The general case, byte by byte: CRLF and CR to LF, NUL dropped. Returns the new length.
  private static func normalizingBytewise(_ buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
    var written = 0
    var index = 0
    while index < buffer.count {
      let byte = buffer[index]
      if byte == 0x0D {
        buffer[written] = 0x0A
        written += 1
        if index + 1 < buffer.count, buffer[index + 1] == 0x0A { index += 1 }
      } else if byte != 0 {
        buffer[written] = byte
        written += 1
      }
      index += 1
    }
    return written
  }

}

/// A parsed email message: decoded headers, the readable text, the new text
/// of a reply, and the attachments.
public struct Message: Sendable, Equatable {
  public private(set) var root: MIMEPart
  /// What the parser had to skip, cut or guess, for the log.
  public var warnings: [String]
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
    var warnings: [String] = []
    var bytes = input[...]
    if bytes.count > limits.maxBytes {
      warnings.append("the message is larger than \(limits.maxBytes) bytes; only the beginning was read")
      bytes = bytes.prefix(limits.maxBytes)
    }
    var partCount = 0
    root = Self.parsePart(bytes, depth: 0, limits: limits, partCount: &partCount, warnings: &warnings)
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
      warnings.append("the subject contains encoded line breaks; they are shown as spaces")
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

  // MARK: Parsing

  private static func parsePart(
    _ bytes: ArraySlice<UInt8>, depth: Int, limits: ParserLimits, partCount: inout Int, warnings: inout [String]
  ) -> MIMEPart {
    partCount += 1
    let (headers, bodyStart) = Headers.parse(bytes, limits: limits, warnings: &warnings)
    let body = bytes[bodyStart...]
    var part = MIMEPart(headers: headers, rawBody: body, parts: [])
    let type = part.contentType
    let isEmbedded = type.value == "message/rfc822" || type.value == "message/global"
    guard (type.type == "multipart" && type.parameters["boundary"].map({ !$0.isEmpty }) == true) || isEmbedded else {
      return part
    }
    guard depth < limits.maxDepth else {
      warnings.append("MIME nesting deeper than \(limits.maxDepth); inner parts were not parsed")
      return part
    }
    if isEmbedded {
      // A forwarded message: parsed as a part of its own (its body may be encoded, rarely).
      let inner =
        part.transferEncoding == .base64 ? ArraySlice(part.decodedBody) : body
      part.parts = [parsePart(inner, depth: depth + 1, limits: limits, partCount: &partCount, warnings: &warnings)]
      return part
    }
    let (pieces, closed) = split(body, boundary: Array((type.parameters["boundary"] ?? "").utf8))
    if !closed { warnings.append("multipart without its closing boundary") }
    if pieces.isEmpty { warnings.append("multipart with no parts (boundary not found)") }
    for piece in pieces {
      guard partCount < limits.maxParts else {
        warnings.append("more than \(limits.maxParts) MIME parts; the rest were not parsed")
        break
      }
      part.parts.append(parsePart(piece, depth: depth + 1, limits: limits, partCount: &partCount, warnings: &warnings))
    }
    if !pieces.isEmpty { part.rawBody = [] }
    return part
  }

  /// The bodies between `--boundary` lines; whether the closing `--boundary--` was seen.
  /// Lines are found with `memchr`; only those that start with "--" are looked at closer.
  private static func split(_ body: ArraySlice<UInt8>, boundary: [UInt8]) -> ([ArraySlice<UInt8>], Bool) {
    let delimiter = [UInt8]("--".utf8) + boundary
    var pieces: [ArraySlice<UInt8>] = []
    var partStart: Int?
    let closed = body.withUnsafeBufferPointer { buffer in
      let offset = body.startIndex  // buffer[i] is body[offset + i]
      var index = 0
      while index < buffer.count {
        let lineEnd = buffer.index(of: 0x0A, from: index) ?? buffer.count
        let next = lineEnd < buffer.count ? lineEnd + 1 : lineEnd
        defer { index = next }
        guard buffer[index] == UInt8(ascii: "-"), buffer[index..<lineEnd].starts(with: delimiter) else { continue }
        let after = buffer[(index + delimiter.count)..<lineEnd]
        let isClosing = after.starts(with: "--".utf8)
        let rest = isClosing ? after.dropFirst(2) : after
        guard rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) else { continue }
        if let start = partStart {
          // The line break before the delimiter belongs to the delimiter.
          var end = index
          if end > start, buffer[end - 1] == 0x0A { end -= 1 }
          if end > start, buffer[end - 1] == 0x0D { end -= 1 }
          pieces.append(body[(offset + start)..<(offset + end)])
        }
        if isClosing { return true }
        partStart = next
      }
      return false
    }
    if !closed, let start = partStart.map({ $0 + body.startIndex }), start < body.endIndex {
      pieces.append(body[start...])
    }
    return (pieces, closed)
  }
}

/// Walks a MIME tree once, collecting the readable text, the new text and the attachments.
private struct BodyText {
  var textPieces: [String] = []
  var newPieces: [String] = []
  var attachments: [Attachment] = []
  var recovered = false
  var warnings: [String] = []

  var text: String { textPieces.count == 1 ? textPieces[0] : textPieces.joined(separator: "\n\n") }
  var newText: String { newPieces.count == 1 ? newPieces[0] : newPieces.joined(separator: "\n\n") }

  mutating func collect(_ root: MIMEPart) {
    collectAttachments(root)
    readable(root)
  }

  private mutating func collectAttachments(_ part: MIMEPart) {
    let type = part.contentType
    if type.type == "message" || type.value == "text/rfc822-headers" || (part.parts.isEmpty && part.isAttachment) {
      attachments.append(
        Attachment(
          filename: part.filename,
          contentType: type.value, size: part.decodedSize,
          contentID: part.headers["Content-ID"].map { $0.trimmingWhitespace() }))
      return
    }
    for child in part.parts { collectAttachments(child) }
  }

  /// Adds the text a person would read in `part`.
  private mutating func readable(_ part: MIMEPart) {
    let type = part.contentType
    switch type.value {
    case "multipart/alternative":
      let plain = part.parts.first { $0.contentType.value == "text/plain" && !$0.isAttachment }
      let plainText = plain.map { decode($0) }
      if let plainText, !plainText.allSatisfy(\.isWhitespace) {
        addPlain(decoded: plainText)
      } else if let html = part.parts.last(where: { $0.contentType.value == "text/html" && !$0.isAttachment }) {
        addHTML(html)
      } else if let other = part.parts.first(where: { $0.contentType.type == "multipart" }) {
        readable(other)
      } else if let plainText {
        addPlain(decoded: plainText)
      }
    case "multipart/related":
      let start = type.parameters["start"]
      readable(
        part.parts.first { start != nil && $0.headers["Content-ID"]?.trimmingWhitespace() == start } ?? part.parts.first
          ?? part)
    case "multipart/report", "multipart/signed", "multipart/encrypted":
      if let first = part.parts.first { readable(first) }
    default:
      if type.type == "multipart" {
        for child in part.parts where !child.isAttachment || child.contentType.type == "multipart" { readable(child) }
      } else if type.value == "text/plain", !part.isAttachment {
        addPlain(part)
      } else if type.value == "text/html", !part.isAttachment {
        addHTML(part)
      } else if type.type == "text", !part.isAttachment, part.parts.isEmpty, type.subtype != "calendar" {
        addPlain(part)
      }
    }
  }

  /// Decodes a text part, noting a broken transfer encoding.
  private mutating func decode(_ part: MIMEPart) -> String {
    var damaged = false
    let (text, recovered) = part.decodedTextRecovering(damaged: &damaged)
    self.recovered = self.recovered || recovered
    if damaged {
      warnings.append(
        "the \(part.contentType.value) part's \(part.headers["Content-Transfer-Encoding"]?.trimmingWhitespace() ?? "") encoding is damaged; it was repaired as well as possible"
      )
    }
    return text
  }

  private mutating func addPlain(_ part: MIMEPart) {
    addPlain(decoded: decode(part))
  }

  private mutating func addPlain(decoded text: String) {
    textPieces.append(text.trimmingTrailingWhitespace())
    newPieces.append(QuoteStripper.newText(text))
  }

  private mutating func addHTML(_ part: MIMEPart) {
    let (text, beforeQuote) = HTMLText.plainTextAndNewText(decode(part))
    textPieces.append(text)
    newPieces.append(QuoteStripper.newText(beforeQuote))
  }
}

extension String {
  fileprivate func trimmingTrailingWhitespace() -> String {
    // ASCII blanks by byte; a non-ASCII last character (a no-break space?) by Character.
    var end = utf8.endIndex
    while end > utf8.startIndex, case let byte = utf8[utf8.index(before: end)], byte < 0x80, HeaderField.isBlank(byte) {
      end = utf8.index(before: end)
    }
    var view = self[..<end]
    if let last = view.utf8.last, last >= 0x80 {
      while let last = view.last, last.isWhitespace { view.removeLast() }
    }
    return view.endIndex == endIndex ? self : String(view)
  }
}
