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
  public func text(_ name: String) -> String? {
    self[name].map { EncodedWords.decode($0).trimmingWhitespace() }
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

    func finish() {
      guard let line = current else { return }
      current = nil
      guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else {
        warnings.append("skipped a header line without a colon")
        return
      }
      let name = String(decoding: line[..<colon], as: UTF8.self).trimmingWhitespace()
      guard !name.isEmpty, !name.contains(" ") else {
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
    return String(String.UnicodeScalarView(scalars[start..<end]))
  }

  private static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C: true
    case 0..<0x80: false
    default: scalar.properties.isWhitespace
    }
  }
}
