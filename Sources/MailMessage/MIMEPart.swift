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

  enum Coding { case quotedPrintable, base64, identity }

  /// The Content-Transfer-Encoding that needs undoing (7bit, 8bit, binary and unknown ones need none).
  var transferEncoding: Coding {
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
