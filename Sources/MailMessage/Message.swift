import Foundation

/// Ceilings for untrusted input. A message beyond them is still parsed as far
/// as the limits allow, with a warning; the parser never crashes, hangs or
/// grows without bound.
public struct ParserLimits: Sendable, Equatable {
  public var maxHeaderBytes: Int
  public var maxHeaderFields: Int
  public var maxDepth: Int
  public var maxParts: Int

  public init(maxHeaderBytes: Int = 256 << 10, maxHeaderFields: Int = 1_000, maxDepth: Int = 20, maxParts: Int = 500) {
    self.maxHeaderBytes = maxHeaderBytes
    self.maxHeaderFields = maxHeaderFields
    self.maxDepth = maxDepth
    self.maxParts = maxParts
  }
}

/// One MIME entity: the message itself or a part of it.
public struct MIMEPart: Sendable, Equatable {
  public var headers: Headers
  /// The body as it arrived (still transfer-encoded). Empty for multiparts.
  public var rawBody: ArraySlice<UInt8>
  public var parts: [MIMEPart]

  public var contentType: HeaderParameters {
    headers["Content-Type"].map(HeaderParameters.init(parsing:)) ?? HeaderParameters(value: "text/plain")
  }

  public var disposition: HeaderParameters? {
    headers["Content-Disposition"].map(HeaderParameters.init(parsing:))
  }

  public var isAttachment: Bool {
    disposition?.value == "attachment" || disposition?.parameters["filename"] != nil
      || contentType.parameters["name"] != nil
  }

  /// The body with its transfer encoding undone.
  public var decodedBody: [UInt8] {
    switch headers["Content-Transfer-Encoding"]?.trimmingWhitespace().lowercased() {
    case "quoted-printable": TransferEncoding.decodeQuotedPrintable(rawBody)
    case "base64": TransferEncoding.decodeBase64(rawBody)
    default: Array(rawBody)
    }
  }

  /// The body as text in its declared charset (for text parts).
  public var decodedText: String {
    Charset.decode(decodedBody, charset: contentType.parameters["charset"])
  }
}

/// A parsed email message.
public struct Message: Sendable, Equatable {
  public var root: MIMEPart
  /// What the parser had to skip or cut, for the log.
  public var warnings: [String]

  public var headers: Headers { root.headers }

  /// Parses raw message bytes (CRLF or bare LF line ends).
  public init(parsing bytes: [UInt8], limits: ParserLimits = .init()) {
    var warnings: [String] = []
    var partCount = 0
    root = Self.parsePart(bytes[...], depth: 0, limits: limits, partCount: &partCount, warnings: &warnings)
    self.warnings = warnings
  }

  public init(parsing text: String, limits: ParserLimits = .init()) {
    self.init(parsing: Array(text.utf8), limits: limits)
  }

  // MARK: Header accessors

  public var subject: String? { headers.text("Subject") }
  public var from: MailAddress? { headers["From"].flatMap { MailAddress.parseList($0).first } }
  public var replyTo: [MailAddress] { headers["Reply-To"].map(MailAddress.parseList) ?? [] }
  public var to: [MailAddress] { headers.all("To").flatMap(MailAddress.parseList) }
  public var cc: [MailAddress] { headers.all("Cc").flatMap(MailAddress.parseList) }
  public var messageID: String? { headers["Message-ID"].flatMap { Self.messageIDs(in: $0).first } }
  public var inReplyTo: [String] { headers["In-Reply-To"].map(Self.messageIDs(in:)) ?? [] }
  public var references: [String] { headers["References"].map(Self.messageIDs(in:)) ?? [] }

  /// Where a reply goes: Reply-To if given, else From.
  public var replyAddress: MailAddress? { replyTo.first ?? from }

  /// The `<…>` identifiers in a Message-ID, In-Reply-To or References value.
  /// A lone identifier without brackets (seen from broken clients) is taken whole.
  public static func messageIDs(in value: String) -> [String] {
    var ids: [String] = []
    var rest = Substring(value)
    while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
      let id = rest[open...close]
      if id.count > 2, !id.contains(where: { $0.isWhitespace }) { ids.append(String(id)) }
      rest = rest[rest.index(after: close)...]
    }
    if ids.isEmpty {
      let bare = value.trimmingWhitespace()
      if bare.contains("@"), !bare.contains(where: { $0.isWhitespace }) { ids.append("<\(bare)>") }
    }
    return ids
  }

  // MARK: Body

  /// The readable text: the first text/plain part that is not an attachment,
  /// else the first text/html part turned into plain text.
  public var text: String {
    if let plain = firstPart(where: { $0.contentType.value == "text/plain" && !$0.isAttachment }) {
      return plain.decodedText
    }
    if let html = firstPart(where: { $0.contentType.value == "text/html" && !$0.isAttachment }) {
      return HTMLText.plainText(html.decodedText)
    }
    return ""
  }

  /// Depth-first search over the leaf parts.
  public func firstPart(where predicate: (MIMEPart) -> Bool) -> MIMEPart? {
    var stack = [root]
    while let part = stack.popLast() {
      if part.parts.isEmpty {
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
    guard type.type == "multipart", let boundary = type.parameters["boundary"], !boundary.isEmpty else {
      return part
    }
    guard depth < limits.maxDepth else {
      warnings.append("MIME nesting deeper than \(limits.maxDepth); inner parts were not parsed")
      return part
    }
    let (pieces, closed) = split(body, boundary: Array(boundary.utf8))
    if !closed { warnings.append("multipart without its closing boundary") }
    for piece in pieces {
      guard partCount < limits.maxParts else {
        warnings.append("more than \(limits.maxParts) MIME parts; the rest were not parsed")
        break
      }
      part.parts.append(parsePart(piece, depth: depth + 1, limits: limits, partCount: &partCount, warnings: &warnings))
    }
    part.rawBody = []
    return part
  }

  /// The bodies between `--boundary` lines; whether the closing `--boundary--` was seen.
  private static func split(_ body: ArraySlice<UInt8>, boundary: [UInt8]) -> ([ArraySlice<UInt8>], Bool) {
    let delimiter = [UInt8]("--".utf8) + boundary
    var pieces: [ArraySlice<UInt8>] = []
    var partStart: Int?
    var index = body.startIndex
    while index < body.endIndex {
      let lineEnd = body[index...].firstIndex(of: 0x0A) ?? body.endIndex
      let next = lineEnd < body.endIndex ? lineEnd + 1 : lineEnd
      let line = body[index..<lineEnd]
      if line.starts(with: delimiter) {
        let after = line.dropFirst(delimiter.count)
        let isClosing = after.starts(with: [UInt8]("--".utf8))
        let rest = isClosing ? after.dropFirst(2) : after
        if rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) {
          if let start = partStart {
            // The line break before the delimiter belongs to the delimiter.
            var end = index
            if end > start, body[end - 1] == 0x0A { end -= 1 }
            if end > start, body[end - 1] == 0x0D { end -= 1 }
            pieces.append(body[start..<end])
          }
          if isClosing { return (pieces, true) }
          partStart = next
        }
      }
      index = next
    }
    if let start = partStart, start < body.endIndex { pieces.append(body[start...]) }
    return (pieces, false)
  }
}
