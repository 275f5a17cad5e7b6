/// One header field as it arrived. The bytes are kept as they came (a slice
/// of the message, no copy); `name` and `value` are made on demand, so a
/// field nobody asks about costs nothing. `value` is the raw text, unfolded
/// and trimmed (encoded words not yet decoded): use `Headers` accessors for meaning.
public struct HeaderField: Sendable, Equatable {
  /// The name as written, without blanks before the colon (validated printable ASCII).
  let nameBytes: ArraySlice<UInt8>
  /// Everything after the colon up to the field's last line end, folds included.
  let rawValue: ArraySlice<UInt8>

  public init(name: String, value: String) {
    nameBytes = ArraySlice(name.utf8)
    rawValue = ArraySlice(value.utf8)
  }

  init(nameBytes: ArraySlice<UInt8>, rawValue: ArraySlice<UInt8>) {
    self.nameBytes = nameBytes
    self.rawValue = rawValue
  }

  public var name: String { String(decoding: nameBytes, as: UTF8.self) }

  /// The value unfolded (line breaks removed, the whitespace after them kept),
  /// as UTF-8 when it is valid UTF-8 and ISO-8859-1 otherwise, trimmed.
  public var value: String { Charset.decodeUTF8OrLatin1(valueBytes).trimmingWhitespace() }

  /// The value's bytes unfolded and trimmed of ASCII blanks, in UTF-8 (8-bit
  /// bytes that are not UTF-8 are read as ISO-8859-1 and re-encoded, as `value` does).
  /// No copy unless the field was folded or not UTF-8.
  var valueBytes: ArraySlice<UInt8> {
    var bytes = Self.trimmedASCII(rawValue)
    // One look at every byte decides whether anything more is needed.
    var seen: UInt8 = 0
    for byte in bytes { seen |= byte == 0x0A || byte == 0x0D ? 1 : byte & 0x80 }
    guard seen != 0 else { return bytes }
    if seen & 1 != 0 {
      var unfolded: [UInt8] = []
      unfolded.reserveCapacity(bytes.count)
      var index = bytes.startIndex
      while index < bytes.endIndex {
        let byte = bytes[index]
        let isLineEnd = byte == 0x0A || (byte == 0x0D && index + 1 < bytes.endIndex && bytes[index + 1] == 0x0A)
        if !isLineEnd { unfolded.append(byte) }
        index += 1
      }
      bytes = Self.trimmedASCII(unfolded[...])
    }
    if seen & 0x80 != 0, String(validating: bytes, as: UTF8.self) == nil {
      bytes = ArraySlice(Charset.decodeUTF8OrLatin1(bytes).utf8)
    }
    return bytes
  }

  static func trimmedASCII(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var start = bytes.startIndex
    var end = bytes.endIndex
    while start < end, isBlank(bytes[start]) { start += 1 }
    while end > start, isBlank(bytes[end - 1]) { end -= 1 }
    return bytes[start..<end]
  }

  static func isBlank(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0B || byte == 0x0C
  }

  /// Whether the name is `name`, ignoring ASCII case.
  func hasName(_ name: String) -> Bool {
    nameBytes.equalsIgnoringASCIICase(name.utf8)
  }

  public static func == (lhs: HeaderField, rhs: HeaderField) -> Bool {
    lhs.nameBytes.elementsEqual(rhs.nameBytes) && lhs.value == rhs.value
  }
}

/// The header section of a message or MIME part, in order, with
/// case-insensitive lookup.
public struct Headers: Sendable, Equatable {
  public private(set) var fields: [HeaderField]

  public init(_ fields: [HeaderField] = []) { self.fields = fields }

  /// The first field with that name.
  func field(_ name: String) -> HeaderField? {
    // By index: no copy of a field (and of its two slices) for each one passed over.
    let length = name.utf8.count
    for index in fields.indices where fields[index].nameBytes.count == length && fields[index].hasName(name) {
      return fields[index]
    }
    return nil
  }

  /// Every field with that name, in order.
  func fields(named name: String) -> [HeaderField] {
    fields.filter { $0.hasName(name) }
  }

  /// The first field with that name, raw.
  public subscript(_ name: String) -> String? {
    field(name)?.value
  }

  /// Every field with that name, raw, in order.
  public func all(_ name: String) -> [String] {
    fields(named: name).map(\.value)
  }

  public func contains(_ name: String) -> Bool { field(name) != nil }

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
    _ bytes: ArraySlice<UInt8>, limits: ParserLimits, warnings: inout [ParserWarning]
  ) -> (
    Headers, bodyStart: Int
  ) {
    var fields: [HeaderField] = []
    fields.reserveCapacity(16)
    var index = bytes.startIndex
    var warnedLongLine = false

    // An mbox "From " separator line is not a header.
    if bytes.starts(with: "From ".utf8) {
      index = (bytes.firstIndex(of: 0x0A) ?? bytes.endIndex - 1) + 1
    }
    // Text that does not begin with a header field has no header section at all
    // (a body pasted from an export): all of it is body.
    if !Self.startsWithField(bytes[index...]) {
      if index < bytes.endIndex, bytes[index] != 0x0A, bytes[index] != 0x0D {
        warnings.append(.noHeaderSection)
      }
      return (Headers([]), index)
    }

    // The field being read: where its line starts, and where its last line ends.
    var current: (start: Int, end: Int)?
    func finish() {
      guard let (start, end) = current else { return }
      current = nil
      let line = bytes[start..<end]
      guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > start else {
        warnings.append(.headerLineWithoutColon)
        return
      }
      let name = HeaderField.trimmedASCII(bytes[start..<colon])
      guard !name.isEmpty, !name.contains(0x20) else {
        warnings.append(.invalidHeaderName)
        return
      }
      guard fields.count < limits.maxHeaderFields else {
        if fields.count == limits.maxHeaderFields {
          warnings.append(.tooManyHeaderFields(limit: limits.maxHeaderFields))
        }
        return
      }
      fields.append(HeaderField(nameBytes: name, rawValue: bytes[(colon + 1)..<end]))
    }

    while index < bytes.endIndex {
      if index - bytes.startIndex > limits.maxHeaderBytes {
        warnings.append(.headerSectionTooLarge(limit: limits.maxHeaderBytes))
        break
      }
      let lineEnd = bytes.firstIndex(of: 0x0A, from: index)
      var contentEnd = lineEnd
      if contentEnd > index, bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
      let next = lineEnd < bytes.endIndex ? lineEnd + 1 : lineEnd
      if contentEnd - index > 998, !warnedLongLine {
        warnings.append(.headerLineTooLong)
        warnedLongLine = true
      }
      if contentEnd == index {
        finish()
        return (Headers(fields), next)
      }
      let first = bytes[index]
      if first == 0x20 || first == 0x09, current != nil {
        current!.end = contentEnd  // unfold: the value spans this line too (HeaderField drops the line break)
      } else {
        finish()
        current = (index, contentEnd)
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
  /// Whether the text holds a character that `Character.isNewline` calls one
  /// (LF, VT, FF, CR, NEL, LS, PS), found without going through Characters.
  var containsLineBreak: Bool {
    var previous: (UInt8, UInt8) = (0, 0)
    for byte in self {
      switch byte {
      case 0x0A...0x0D: return true
      case 0x85 where previous.1 == 0xC2: return true
      case 0xA8, 0xA9: if previous == (0xE2, 0x80) { return true }
      default: break
      }
      previous = (previous.1, byte)
    }
    return false
  }

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

extension Collection<UInt8> {
  /// Whether both hold the same bytes, ASCII letters compared without case.
  func equalsIgnoringASCIICase(_ other: some Collection<UInt8>) -> Bool {
    guard count == other.count else { return false }
    return zip(self, other).allSatisfy { $0.asciiLowercased == $1.asciiLowercased }
  }
}

extension UInt8 {
  /// An ASCII capital letter in lower case; every other byte as it is.
  var asciiLowercased: UInt8 { self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self | 0x20 : self }
}
