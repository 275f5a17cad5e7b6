import Foundation

/// Walks a MIME tree once, collecting the readable text, the new text and the attachments.
struct BodyText {
  var textPieces: [String] = []
  var newPieces: [String] = []
  var attachments: [Attachment] = []
  var recovered = false
  var warnings: [ParserWarning] = []

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
        .damagedEncoding(
          contentType: part.contentType.value,
          encoding: part.headers["Content-Transfer-Encoding"]?.trimmingWhitespace() ?? ""))
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
