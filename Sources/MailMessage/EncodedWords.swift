import Foundation

/// RFC 2047 encoded words (`=?utf-8?Q?Zg=C5=82oszenie?=`) in header values.
public enum EncodedWords {
  /// Decodes every encoded word in an unfolded header value. Whitespace
  /// between two adjacent encoded words is dropped, as the RFC says; bytes
  /// of adjacent words in the same charset are joined before decoding, so a
  /// multibyte character split across two words comes out whole.
  public static func decode(_ value: String) -> String {
    guard value.utf8.containsBytes("=?") else { return value }
    var value = value
    return value.withUTF8 { String(decoding: decode(utf8: $0), as: UTF8.self) }
  }

  /// The decoding over UTF-8 bytes: text outside encoded words is copied as it is.
  private static func decode(utf8 input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(input.count)
    var pending: (charset: Slice<UnsafeBufferPointer<UInt8>>, bytes: [UInt8])?
    var gap = 0  // blanks seen since the last encoded word, not yet copied
    var index = 0
    // Where the next "?=" is, as found by the last search: every search
    // starts later than the one before, so the text is searched once in all,
    // however many "=?" without an end it holds.
    var terminator = Terminator()

    func flush() {
      if let run = pending {
        output += Charset.decode(run.bytes, charset: String(decoding: run.charset, as: UTF8.self)).utf8
        pending = nil
      }
    }

    while index < input.count {
      if input[index] == UInt8(ascii: "="),
        let (charset, bytes, after) = parseWord(input, at: index, terminator: &terminator)
      {
        if let run = pending, run.charset.equalsIgnoringASCIICase(charset) {
          pending!.bytes += bytes
        } else {
          flush()
          pending = (charset, bytes)
        }
        gap = 0
        index = after
        continue
      }
      let byte = input[index]
      index += 1
      if byte == 0x20 || byte == 0x09, pending != nil {
        gap += 1
        continue
      }
      flush()
      output += input[(index - 1 - gap)..<(index - 1)]
      gap = 0
      output.append(byte)
    }
    flush()
    output += input[(input.count - gap)...]
    return output
  }

  /// The position of the next "?=" at or after a place, remembered between searches.
  struct Terminator {
    var searchedFrom = Int.max
    var found: Int?

    /// The first "?=" at or after `start`; searches only past what the last search covered.
    mutating func next(in input: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
      // Known: the first "?=" at or after `searchedFrom` is at `found` (nil: there is none).
      if start >= searchedFrom, searchedFrom != Int.max {
        guard let found else { return nil }
        if found >= start { return found }
      }
      var cursor = start
      found = nil
      while cursor + 1 < input.count {
        if input[cursor] == UInt8(ascii: "?"), input[cursor + 1] == UInt8(ascii: "=") {
          found = cursor
          break
        }
        cursor += 1
      }
      searchedFrom = start
      return found
    }
  }

  /// The longest charset name looked for (real ones are under 20 characters).
  static let maxCharsetLength = 64

  /// One `=?charset?enc?text?=` at `start`: its charset, its decoded bytes, and where it ends.
  private static func parseWord(
    _ input: UnsafeBufferPointer<UInt8>, at start: Int, terminator: inout Terminator
  ) -> (Slice<UnsafeBufferPointer<UInt8>>, [UInt8], Int)? {
    guard start + 1 < input.count, input[start + 1] == UInt8(ascii: "?") else { return nil }
    let charsetStart = start + 2
    let charsetLimit = min(input.count, charsetStart + maxCharsetLength)
    guard let charsetEnd = input[charsetStart..<charsetLimit].firstIndex(of: UInt8(ascii: "?")) else { return nil }
    var charset = input[charsetStart..<charsetEnd]
    // RFC 2231 allows a language after the charset: "utf-8*pl".
    if let star = charset.firstIndex(of: UInt8(ascii: "*")) { charset = input[charsetStart..<star] }
    let encodingIndex = charsetEnd + 1
    guard encodingIndex + 1 < input.count, input[encodingIndex + 1] == UInt8(ascii: "?") else { return nil }
    let encoding = input[encodingIndex]
    let payloadStart = encodingIndex + 2
    guard let payloadEnd = terminator.next(in: input, from: payloadStart) else { return nil }
    let payload = input[payloadStart..<payloadEnd]
    guard !charset.isEmpty, !payload.contains(0x20) else { return nil }
    let bytes: [UInt8]
    switch encoding {
    case UInt8(ascii: "B"), UInt8(ascii: "b"):
      bytes = TransferEncoding.decodeBase64(payload)
    case UInt8(ascii: "Q"), UInt8(ascii: "q"):
      bytes = TransferEncoding.decodeQuotedPrintable(payload.lazy.map { $0 == UInt8(ascii: "_") ? 0x20 : $0 })
    default:
      return nil
    }
    return (charset, bytes, payloadEnd + 2)
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
