/// One header field as it arrived, unfolded. `value` is the raw text
/// (encoded words not yet decoded): use `Headers` accessors for meaning.
public struct HeaderField: Sendable, Equatable {
  public var name: String
  public var value: String

  public init(name: String, value: String) {
    self.name = name
    self.value = value
  }
}

/// The header section of a message or MIME part, in order, with
/// case-insensitive lookup.
public struct Headers: Sendable, Equatable {
  public var fields: [HeaderField]

  public init(_ fields: [HeaderField] = []) { self.fields = fields }

  /// The first field with that name, raw.
  public subscript(_ name: String) -> String? {
    fields.first { $0.name.caseInsensitiveEquals(name) }?.value
  }

  /// Every field with that name, raw, in order.
  public func all(_ name: String) -> [String] {
    fields.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
  }

  public func contains(_ name: String) -> Bool { self[name] != nil }

  /// The field's text with encoded words decoded and surrounding whitespace trimmed.
  /// Control characters that encoded words smuggle in (a CR LF in a subject)
  /// become single spaces: a decoded value is always one line.
  public func text(_ name: String) -> String? {
    self[name].map { Self.oneLine(EncodedWords.decode($0)).trimmingWhitespace() }
  }

  static func oneLine(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else { return text }
    var output = String.UnicodeScalarView()
    var lastWasControl = false
    for scalar in text.unicodeScalars {
      if scalar.value < 0x20 || scalar.value == 0x7F {
        if !lastWasControl { output.append(" ") }
        lastWasControl = true
      } else {
        output.append(scalar)
        lastWasControl = false
      }
    }
    return String(output)
  }

  /// Parses a header section: fields until the first empty line, folded
  /// lines joined. Returns the fields and the offset where the body starts.
  /// Lines that are neither a field nor a continuation are skipped.
  static func parse(
    _ bytes: ArraySlice<UInt8>, limits: ParserLimits, warnings: inout [String]
  ) -> (
    Headers, bodyStart: Int
  ) {
    var fields: [HeaderField] = []
    var index = bytes.startIndex
    var current: [UInt8]?
    var warnedLongLine = false

    // An mbox "From " separator line is not a header.
    if bytes.starts(with: Array("From ".utf8)) {
      index = (bytes.firstIndex(of: 0x0A) ?? bytes.endIndex - 1) + 1
    }
    // Text that does not begin with a header field has no header section at all
    // (a body pasted from an export): all of it is body.
    if !Self.startsWithField(bytes[index...]) {
      if index < bytes.endIndex, bytes[index] != 0x0A, bytes[index] != 0x0D {
        warnings.append("the message has no header section; all of it was read as body")
      }
      return (Headers([]), index)
    }

    func finish() {
      guard let line = current else { return }
      current = nil
      guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else {
        warnings.append("skipped a header line without a colon")
        return
      }
      let name = String(decoding: line[..<colon], as: UTF8.self).trimmingWhitespace()
      guard !name.isEmpty, !name.contains(Character(" ")) else {
        warnings.append("skipped a header line with an invalid name")
        return
      }
      guard fields.count < limits.maxHeaderFields else {
        if fields.count == limits.maxHeaderFields {
          warnings.append("more than \(limits.maxHeaderFields) header fields; the rest were ignored")
        }
        return
      }
      let value = Charset.decodeUTF8OrLatin1(line[(colon + 1)...]).trimmingWhitespace()
      fields.append(HeaderField(name: name, value: value))
    }

    while index < bytes.endIndex {
      if index - bytes.startIndex > limits.maxHeaderBytes {
        warnings.append(
          "the header section is larger than \(limits.maxHeaderBytes) bytes; the rest was treated as body")
        break
      }
      let lineEnd = bytes[index...].firstIndex(of: 0x0A) ?? bytes.endIndex
      var contentEnd = lineEnd
      if contentEnd > index, bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
      let next = lineEnd < bytes.endIndex ? lineEnd + 1 : lineEnd
      let line = bytes[index..<contentEnd]
      if line.count > 998, !warnedLongLine {
        warnings.append("a header line is longer than 998 characters (RFC 5322's limit)")
        warnedLongLine = true
      }
      if line.isEmpty {
        finish()
        return (Headers(fields), next)
      }
      if let first = line.first, first == 0x20 || first == 0x09, current != nil {
        current! += line  // unfold: the line break goes, the whitespace stays
      } else {
        finish()
        current = Array(line)
      }
      index = next
    }
    finish()
    return (Headers(fields), index)
  }
}

extension Headers {
  /// Whether `line` starts with `Name:` — printable ASCII, optionally blanks before the colon.
  static func startsWithField(_ bytes: ArraySlice<UInt8>) -> Bool {
    var sawName = false
    var sawBlank = false
    for byte in bytes {
      switch byte {
      case UInt8(ascii: ":"): return sawName
      case 0x20, 0x09:
        guard sawName else { return false }
        sawBlank = true
      case 0x21...0x7E:
        if sawBlank { return false }
        sawName = true
      default: return false
      }
    }
    return false
  }
}

extension String {
  /// Header names are ASCII: compare them byte by byte, ignoring ASCII case.
  func caseInsensitiveEquals(_ other: String) -> Bool {
    guard utf8.count == other.utf8.count else { return false }
    return zip(utf8, other.utf8).allSatisfy { mine, theirs in
      mine == theirs
        || (mine | 0x20 == theirs | 0x20 && (mine | 0x20) >= UInt8(ascii: "a") && (mine | 0x20) <= UInt8(ascii: "z"))
    }
  }
}

extension StringProtocol {
  func trimmingWhitespace() -> String {
    let scalars = unicodeScalars
    var start = scalars.startIndex
    var end = scalars.endIndex
    while start < end, Self.isSpace(scalars[start]) { start = scalars.index(after: start) }
    while end > start, Self.isSpace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
    return String(self[start..<end])
  }

  private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: true
    case 0..<0x80: false
    default: scalar.properties.isWhitespace
    }
  }
}

extension String.UTF8View {
  /// Whether the bytes of `needle` occur in these bytes (no Foundation, no Unicode rules).
  func containsBytes(_ needle: String) -> Bool {
    let pattern = Array(needle.utf8)
    guard let first = pattern.first else { return true }
    var index = startIndex
    while let found = self[index...].firstIndex(of: first) {
      if self[found...].starts(with: pattern) { return true }
      index = self.index(after: found)
    }
    return false
  }
}
