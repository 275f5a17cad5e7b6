import Foundation

/// Content-Transfer-Encoding: quoted-printable and base64, both ways.
public enum TransferEncoding {
  /// Decodes quoted-printable (RFC 2045 section 6.7). Soft line breaks are
  /// removed; a malformed escape is kept as it stands rather than dropped.
  public static func decodeQuotedPrintable<Bytes: Collection<UInt8>>(_ input: Bytes) -> [UInt8] {
    var damaged = false
    return decodeQuotedPrintable(input, damaged: &damaged)
  }

  /// Like `decodeQuotedPrintable(_:)`; `damaged` is set when an escape was malformed.
  public static func decodeQuotedPrintable<Bytes: Collection<UInt8>>(_ input: Bytes, damaged: inout Bool) -> [UInt8] {
    let decode = { (bytes: UnsafeBufferPointer<UInt8>, damaged: inout Bool) -> [UInt8] in
      // The output is never longer than the input: written in place, no appends.
      var wasDamaged = false
      let output = [UInt8](unsafeUninitializedCapacity: bytes.count) { output, written in
        written = 0
        var index = 0
        while index < bytes.count {
          // The text up to the next '=' is copied as it is, in one run.
          let equals = bytes.index(of: UInt8(ascii: "="), from: index) ?? bytes.count
          if equals > index {
            (output.baseAddress! + written).initialize(from: bytes.baseAddress! + index, count: equals - index)
            written += equals - index
            index = equals
            if index == bytes.count { break }
          }
          let byte = bytes[index]
          // Soft line break: '=' followed by optional whitespace and a line end.
          var look = index + 1
          while look < bytes.count, bytes[look] == 0x20 || bytes[look] == 0x09 { look += 1 }
          if look < bytes.count, bytes[look] == 0x0A {
            index = look + 1
            continue
          }
          if look + 1 < bytes.count, bytes[look] == 0x0D, bytes[look + 1] == 0x0A {
            index = look + 2
            continue
          }
          if look == bytes.count {
            index = look
            continue
          }
          if index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
            output[written] = high << 4 | low
            index += 3
          } else {
            wasDamaged = true
            output[written] = byte
            index += 1
          }
          written += 1
        }
      }
      damaged = damaged || wasDamaged
      return output
    }
    if let result = input.withContiguousStorageIfAvailable({ decode($0, &damaged) }) { return result }
    return Array(input).withUnsafeBufferPointer { decode($0, &damaged) }
  }

  /// Encodes text as quoted-printable lines of at most 76 characters joined
  /// by CRLF. Line breaks of the text become hard CRLF breaks.
  public static func encodeQuotedPrintable(_ text: String) -> String {
    var lines: [String] = []
    for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
      lines.append(contentsOf: encodeQuotedPrintableLine(Array(line.utf8)))
    }
    return lines.joined(separator: "\r\n")
  }

  /// One text line as one or more encoded lines (soft breaks between them).
  private static func encodeQuotedPrintableLine(_ bytes: [UInt8]) -> [String] {
    var lines: [String] = []
    var current = ""
    for (position, byte) in bytes.enumerated() {
      let isLast = position == bytes.count - 1
      let token: String
      switch byte {
      case 0x20 where isLast, 0x09 where isLast:
        token = escape(byte)  // trailing whitespace would be stripped in transit
      case UInt8(ascii: ".") where current.isEmpty, UInt8(ascii: "F") where current.isEmpty:
        token = escape(byte)  // "." and "From " at a line start are mangled by some servers
      case 0x21...0x7E where byte != UInt8(ascii: "="), 0x20, 0x09:
        token = String(UnicodeScalar(byte))
      default:
        token = escape(byte)
      }
      // Leave room for the '=' of a soft break.
      if current.utf8.count + token.utf8.count > 75 {
        lines.append(current + "=")
        current = ""
      }
      current += token
    }
    lines.append(current)
    return lines
  }

  private static func escape(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return "=" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
  }

  /// Decodes base64, ignoring line breaks, whitespace and other stray
  /// characters, and tolerating missing padding.
  public static func decodeBase64<Bytes: Collection<UInt8>>(_ input: Bytes) -> [UInt8] {
    var damaged = false
    return decodeBase64(input, damaged: &damaged)
  }

  /// Like `decodeBase64(_:)`; `damaged` is set for characters outside the
  /// alphabet or a length that is not a whole number of groups.
  public static func decodeBase64<Bytes: Collection<UInt8>>(_ input: Bytes, damaged: inout Bool) -> [UInt8] {
    var characters = 0
    var output: [UInt8] = []
    output.reserveCapacity(input.count * 3 / 4)
    var accumulator: UInt32 = 0
    var bits = 0
    for byte in input {
      guard let value = base64Value(byte) else {
        if byte == UInt8(ascii: "=") {
          characters += 1
          // Padding: the bits left over are not data, and a group after it starts afresh.
          accumulator = 0
          bits = 0
          continue
        }
        if byte != 0x0D, byte != 0x0A, byte != 0x20, byte != 0x09 { damaged = true }
        continue
      }
      characters += 1
      accumulator = accumulator << 6 | UInt32(value)
      bits += 6
      if bits >= 8 {
        bits -= 8
        output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
      }
    }
    if characters % 4 != 0 { damaged = true }
    return output
  }

  /// Encodes bytes as base64 without line breaks.
  public static func encodeBase64<Bytes: Collection<UInt8>>(_ input: Bytes) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    let bytes = Array(input)
    var output: [UInt8] = []
    output.reserveCapacity((bytes.count + 2) / 3 * 4)
    var index = 0
    while index < bytes.count {
      let chunk = bytes[index..<min(index + 3, bytes.count)]
      let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << UInt32(16 - 8 * $1.offset) }
      for position in 0..<4 {
        output.append(
          position <= chunk.count ? alphabet[Int(value >> UInt32(18 - 6 * position) & 0x3F)] : UInt8(ascii: "="))
      }
      index += 3
    }
    return String(decoding: output, as: UTF8.self)
  }

  static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    default: nil
    }
  }

  private static func base64Value(_ byte: UInt8) -> UInt8? {
    let value = base64Values[Int(byte)]
    return value == 0xFF ? nil : value
  }

  /// The six bits of every base64 character (both alphabets: `+/` and the URL-safe `-_`), 0xFF for the rest.
  private static let base64Values: [UInt8] = {
    var table = [UInt8](repeating: 0xFF, count: 256)
    for (value, character) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
      table[Int(character)] = UInt8(value)
    }
    table[Int(UInt8(ascii: "-"))] = 62
    table[Int(UInt8(ascii: "_"))] = 63
    return table
  }()

  /// How many bytes base64 text decodes to, without decoding it: six bits per
  /// character of the standard alphabet; padding, line breaks and the rest carry none.
  static func base64DecodedCount(_ input: some Collection<UInt8>) -> Int {
    var characters = 0
    for byte in input where byte != UInt8(ascii: "-") && byte != UInt8(ascii: "_") {
      characters += base64Values[Int(byte)] == 0xFF ? 0 : 1
    }
    return characters * 3 / 4
  }
}

extension UnsafeBufferPointer<UInt8> {
  /// The index of the first `byte` at or after `start`, or nil (found with `memchr`).
  func index(of byte: UInt8, from start: Int) -> Int? {
    guard start < count, let base = baseAddress, let found = memchr(base + start, Int32(byte), count - start) else {
      return nil
    }
    return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
  }
}

extension ArraySlice<UInt8> {
  /// The index of the first `byte` at or after `start`, or `endIndex` (found with `memchr`).
  func firstIndex(of byte: UInt8, from start: Int) -> Int {
    withUnsafeBufferPointer { buffer in
      buffer.index(of: byte, from: start - startIndex).map { startIndex + $0 } ?? endIndex
    }
  }
}
