import Foundation

/// RFC 2047 encoded words (`=?utf-8?Q?Zg=C5=82oszenie?=`) in header values.
public enum EncodedWords {
  /// Decodes every encoded word in an unfolded header value. Whitespace
  /// between two adjacent encoded words is dropped, as the RFC says; bytes
  /// of adjacent words in the same charset are joined before decoding, so a
  /// multibyte character split across two words comes out whole.
  public static func decode(_ value: String) -> String {
    guard value.utf8.containsBytes("=?") else { return value }
    var output = ""
    var pending: (charset: String, bytes: [UInt8])?
    var gap = ""  // whitespace seen since the last encoded word
    var rest = Substring(value)

    func flush() {
      if let run = pending {
        output += Charset.decode(run.bytes, charset: run.charset)
        pending = nil
      }
    }

    while !rest.isEmpty {
      if rest.hasPrefix("=?"), let (word, after) = parseWord(rest) {
        if let run = pending, run.charset.lowercased() == word.charset.lowercased() {
          pending = (run.charset, run.bytes + word.bytes)
        } else {
          flush()
          pending = word
        }
        gap = ""
        rest = after
        continue
      }
      let character = rest.removeFirst()
      if character == " " || character == "\t", pending != nil {
        gap.append(character)
        continue
      }
      flush()
      output += gap
      gap = ""
      output.append(character)
    }
    flush()
    return output + gap
  }

  /// One `=?charset?enc?text?=` at the start of `text`, decoded to bytes.
  private static func parseWord(_ text: Substring) -> ((charset: String, bytes: [UInt8]), Substring)? {
    let parts = text.dropFirst(2)
    guard let charsetEnd = parts.firstIndex(of: "?") else { return nil }
    var charset = String(parts[..<charsetEnd])
    if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) }  // RFC 2231 language
    let afterCharset = parts[parts.index(after: charsetEnd)...]
    guard let encoding = afterCharset.first, afterCharset.dropFirst().first == "?" else { return nil }
    let payloadStart = afterCharset.dropFirst(2)
    var cursor = payloadStart.startIndex
    var payloadEnd: Substring.Index?
    while cursor < payloadStart.endIndex {
      let next = payloadStart.index(after: cursor)
      if payloadStart[cursor] == "?", next < payloadStart.endIndex, payloadStart[next] == "=" {
        payloadEnd = cursor
        break
      }
      cursor = next
    }
    guard let payloadEnd else { return nil }
    let payload = payloadStart[..<payloadEnd]
    guard !charset.isEmpty, !payload.contains(Character(" ")) else { return nil }
    let bytes: [UInt8]
    switch encoding {
    case "B", "b":
      bytes = TransferEncoding.decodeBase64(Array(payload.utf8))
    case "Q", "q":
      bytes = TransferEncoding.decodeQuotedPrintable(payload.utf8.map { $0 == UInt8(ascii: "_") ? 0x20 : $0 })
    default:
      return nil
    }
    return ((charset, bytes), payloadStart[payloadStart.index(payloadEnd, offsetBy: 2)...])
  }

  /// Encodes a header text as encoded words when it needs it (non-ASCII or
  /// something that looks like an encoded word); plain ASCII stays readable.
  /// Each word holds whole characters and is at most 75 characters long;
  /// the first at most `firstWordLimit`, to leave room for the header name on
  /// its line. Words are separated by a space; `HeaderWriter` folds between them.
  public static func encode(_ text: String, firstWordLimit: Int = 75) -> String {
    let needsEncoding = text.unicodeScalars.contains { !$0.isASCII || $0.value < 0x20 || $0 == "\u{7F}" }
    guard needsEncoding || text.utf8.containsBytes("=?") else { return text }
    let prefix = "=?UTF-8?B?"
    // Bytes that fit in a word of `limit` characters: base64 turns 3 bytes into 4.
    func maxBytes(_ limit: Int) -> Int { max(limit - prefix.count - 2, 4) / 4 * 3 }
    var words: [String] = []
    var chunk: [UInt8] = []
    for character in text {
      let bytes = Array(String(character).utf8)
      if chunk.count + bytes.count > maxBytes(words.isEmpty ? min(firstWordLimit, 75) : 75), !chunk.isEmpty {
        words.append(prefix + TransferEncoding.encodeBase64(chunk) + "?=")
        chunk = []
      }
      chunk += bytes
    }
    if !chunk.isEmpty { words.append(prefix + TransferEncoding.encodeBase64(chunk) + "?=") }
    return words.joined(separator: " ")
  }
}
