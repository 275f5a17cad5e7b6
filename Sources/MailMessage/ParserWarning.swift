/// What the parser had to skip, cut or guess in a message. The parser never
/// fails: it reads as much as it can and says what it left out, so callers
/// decide by case (the engine ignores a missing closing boundary in a mail it
/// only read the beginning of) and people read the description in logs.
public enum ParserWarning: Sendable, Hashable, CustomStringConvertible {
  /// The message was longer than `ParserLimits.maxBytes`; only its beginning was read.
  case messageTooLarge(limit: Int)
  /// The text did not begin with a header field: all of it was read as body.
  case noHeaderSection
  /// A line in the header section had no colon.
  case headerLineWithoutColon
  /// A line in the header section had an empty name or one with a space.
  case invalidHeaderName
  /// More header fields than `ParserLimits.maxHeaderFields`; the rest were ignored.
  case tooManyHeaderFields(limit: Int)
  /// The header section was larger than `ParserLimits.maxHeaderBytes`; the rest became body.
  case headerSectionTooLarge(limit: Int)
  /// A header line longer than RFC 5322's 998 characters (reported once per header section).
  case headerLineTooLong
  /// MIME parts nested deeper than `ParserLimits.maxDepth`.
  case nestingTooDeep(limit: Int)
  /// A multipart body ended without its `--boundary--` line (often: a mail read only partly).
  case missingClosingBoundary
  /// A multipart body in which the boundary never occurs.
  case noParts
  /// More MIME parts than `ParserLimits.maxParts`; the rest were not parsed.
  case tooManyParts(limit: Int)
  /// A text part's quoted-printable or base64 was broken and repaired as well as possible.
  case damagedEncoding(contentType: String, encoding: String)
  /// Encoded words put line breaks into the subject (a header-injection attempt).
  case subjectLineBreaks

  public var description: String {
    switch self {
    case .messageTooLarge(let limit): "the message is larger than \(limit) bytes; only the beginning was read"
    case .noHeaderSection: "the message has no header section; all of it was read as body"
    case .headerLineWithoutColon: "skipped a header line without a colon"
    case .invalidHeaderName: "skipped a header line with an invalid name"
    case .tooManyHeaderFields(let limit): "more than \(limit) header fields; the rest were ignored"
    case .headerSectionTooLarge(let limit):
      "the header section is larger than \(limit) bytes; the rest was treated as body"
    case .headerLineTooLong: "a header line is longer than 998 characters (RFC 5322's limit)"
    case .nestingTooDeep(let limit): "MIME nesting deeper than \(limit); inner parts were not parsed"
    case .missingClosingBoundary: "multipart without its closing boundary"
    case .noParts: "multipart with no parts (boundary not found)"
    case .tooManyParts(let limit): "more than \(limit) MIME parts; the rest were not parsed"
    case .damagedEncoding(let type, let encoding):
      "the \(type) part's \(encoding) encoding is damaged; it was repaired as well as possible"
    case .subjectLineBreaks: "the subject contains encoded line breaks; they are shown as spaces"
    }
  }
}
