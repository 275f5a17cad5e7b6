/// A parsed `Content-Type` (or `Content-Disposition`): the value and its parameters.
public struct HeaderParameters: Sendable, Equatable {
  /// The lower-cased main value, e.g. "text/plain" or "attachment".
  public var value: String
  /// Parameters with lower-cased names, values unquoted and decoded: RFC 2231
  /// continuations (`name*0*=…; name*1*=…`) are joined and their
  /// `charset'language'` prefix and %-escapes decoded; RFC 2047 encoded words
  /// in quoted values (which Outlook and Gmail write) are decoded too.
  public var parameters: [String: String]

  public init(value: String, parameters: [String: String] = [:]) {
    self.value = value
    self.parameters = parameters
  }

  /// Parses `text/plain; charset="utf-8"; format=flowed`.
  public init(parsing text: String) {
    let segments = Self.splitSegments(text.utf8).map(Substring.init)
    value = (segments.first ?? "").trimmingWhitespace().lowercased()

    // name → (is extended, value) for plain and `name*` parameters;
    // name → [index: (is extended, value)] for continuations.
    var simple: [String: (extended: Bool, value: String)] = [:]
    var continued: [String: [Int: (extended: Bool, value: String)]] = [:]
    for segment in segments.dropFirst() {
      guard let equals = segment.firstIndex(of: "=") else { continue }
      var name = segment[..<equals].trimmingWhitespace().lowercased()
      var raw = segment[segment.index(after: equals)...].trimmingWhitespace()
      if raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 {
        raw = Self.unescape(String(raw.dropFirst().dropLast()))
      }
      guard !name.isEmpty else { continue }
      let extended = name.hasSuffix("*")
      if extended { name.removeLast() }
      if let star = name.lastIndex(of: "*"), let index = Int(name[name.index(after: star)...]) {
        continued[String(name[..<star]), default: [:]][index] = (extended, raw)
      } else if simple[name] == nil || extended {
        simple[name] = (extended, raw)  // an extended value wins over the plain fallback
      }
    }

    parameters = [:]
    for (name, entry) in simple {
      parameters[name] = entry.extended ? Self.decodeExtended(entry.value) : EncodedWords.decode(entry.value)
    }
    for (name, pieces) in continued {
      let ordered = pieces.keys.sorted().compactMap { pieces[$0] }
      // The charset is named once, in the first extended piece; later pieces only carry %-escapes.
      var charset: String?
      var bytes: [UInt8] = []
      for (position, piece) in ordered.enumerated() {
        if piece.extended {
          var text = Substring(piece.value)
          if position == 0, let first = text.firstIndex(of: "'"),
            let second = text[text.index(after: first)...].firstIndex(of: "'")
          {
            charset = String(text[..<first])
            text = text[text.index(after: second)...]
          }
          bytes += Self.percentDecoded(text)
        } else {
          bytes += Array(piece.value.utf8)
        }
      }
      let joined = Charset.decode(bytes, charset: charset)
      parameters[name] = charset == nil ? EncodedWords.decode(joined) : joined
    }
  }

  /// Parses the raw bytes of a header value. Plain ASCII values without
  /// escapes, encoded words or RFC 2231 stars (nearly all of them) are read
  /// here byte by byte; anything else goes through `init(parsing:)` for text.
  init(parsing bytes: ArraySlice<UInt8>) {
    let needsFullParser = bytes.contains { byte in
      byte >= 0x80 || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "?")
    }
    guard !needsFullParser else {
      self.init(parsing: String(decoding: bytes, as: UTF8.self))
      return
    }
    let segments = Self.splitSegments(bytes)
    var parameters: [String: String] = [:]
    for segment in segments.dropFirst() {
      guard let equals = segment.firstIndex(of: UInt8(ascii: "=")) else { continue }
      let name = Self.lowercased(HeaderField.trimmedASCII(segment[..<equals]))
      var raw = HeaderField.trimmedASCII(segment[(equals + 1)...])
      if raw.count >= 2, raw.first == UInt8(ascii: "\""), raw.last == UInt8(ascii: "\"") {
        raw = raw.dropFirst().dropLast()
      }
      guard !name.isEmpty, parameters[name] == nil else { continue }
      parameters[name] = String(decoding: raw, as: UTF8.self)
    }
    let value = segments.first.map { Self.lowercased(HeaderField.trimmedASCII($0)) }
    self.init(value: value ?? "", parameters: parameters)
  }

  private static func lowercased(_ bytes: ArraySlice<UInt8>) -> String {
    String(unsafeUninitializedCapacity: bytes.count) { output in
      for (offset, byte) in bytes.enumerated() {
        output[offset] = byte.asciiLowercased
      }
      return bytes.count
    }
  }

  /// "text" of "text/plain".
  public var type: String {
    guard let slash = value.utf8.firstIndex(of: UInt8(ascii: "/")), slash > value.startIndex else {
      return String(value.split(separator: "/").first ?? "")
    }
    return String(value[..<slash])
  }
  /// "plain" of "text/plain".
  public var subtype: String {
    guard let slash = value.utf8.firstIndex(of: UInt8(ascii: "/")) else { return "" }
    return String(value[value.utf8.index(after: slash)...]).split(separator: "/").first.map(String.init) ?? ""
  }

  /// Splits at semicolons outside quoted strings; quotes and escapes are kept.
  /// The delimiters are ASCII, so the UTF-8 bytes are scanned.
  private static func splitSegments<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> [Bytes.SubSequence] {
    var segments: [Bytes.SubSequence] = []
    var inQuotes = false
    var escaped = false
    var start = bytes.startIndex
    for index in bytes.indices {
      let byte = bytes[index]
      if escaped {
        escaped = false
      } else if byte == UInt8(ascii: "\\") && inQuotes {
        escaped = true
      } else if byte == UInt8(ascii: "\"") {
        inQuotes.toggle()
      } else if byte == UInt8(ascii: ";") && !inQuotes {
        segments.append(bytes[start..<index])
        start = bytes.index(after: index)
      }
    }
    segments.append(bytes[start...])
    return segments
  }

  /// `charset'language'%-encoded` (RFC 2231 section 4).
  private static func decodeExtended(_ value: String) -> String {
    let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3 else { return Charset.decode(percentDecoded(Substring(value)), charset: nil) }
    return Charset.decode(percentDecoded(parts[2]), charset: parts[0].isEmpty ? nil : String(parts[0]))
  }

  private static func percentDecoded(_ text: Substring) -> [UInt8] {
    let bytes = Array(text.utf8)
    var output: [UInt8] = []
    var index = 0
    while index < bytes.count {
      if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
        let high = TransferEncoding.hexValue(bytes[index + 1]), let low = TransferEncoding.hexValue(bytes[index + 2])
      {
        output.append(high << 4 | low)
        index += 3
      } else {
        output.append(bytes[index])
        index += 1
      }
    }
    return output
  }

  private static func unescape(_ text: String) -> String {
    guard text.utf8.contains(UInt8(ascii: "\\")) else { return text }
    var output: [UInt8] = []
    var escaped = false
    for byte in text.utf8 {
      if !escaped, byte == UInt8(ascii: "\\") {
        escaped = true
        continue
      }
      escaped = false
      output.append(byte)
    }
    return String(decoding: output, as: UTF8.self)
  }
}
