/// RFC 3676 `format=flowed` text: lines ending in a space continue on the
/// next line (Thunderbird, Apple Mail). Joined back into paragraphs, quote
/// depth respected, space-stuffing undone, `delsp=yes` honoured.
enum FlowedText {
  static func unflow(_ text: String, deleteSpace: Bool) -> String {
    var text = text
    return text.withUTF8 { String(decoding: unflow(utf8: $0, deleteSpace: deleteSpace), as: UTF8.self) }
  }

  private static func unflow(utf8 text: UnsafeBufferPointer<UInt8>, deleteSpace: Bool) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(text.count)
    var lines = 0  // lines written to output so far, the open paragraph included
    var paragraphDepth: Int?  // the quote depth of the open paragraph, nil when none is open
    var lineStart = 0
    while lineStart <= text.count {
      let (lineEnd, next) = lineBreak(in: text, from: lineStart)
      var start = lineStart
      var depth = 0
      while start < lineEnd, text[start] == UInt8(ascii: ">") {
        depth += 1
        start += 1
      }
      if start < lineEnd, text[start] == 0x20 { start += 1 }  // space-stuffing (after the quote marks)
      var end = lineEnd
      let isSignature = text[start..<end].elementsEqual("-- ".utf8)
      let isSoft = end > start && text[end - 1] == 0x20 && !isSignature
      if let open = paragraphDepth, depth != open { paragraphDepth = nil }
      if isSoft, deleteSpace { end -= 1 }
      if paragraphDepth == nil {
        if lines > 0 { output.append(0x0A) }
        lines += 1
        if depth > 0 {
          output.append(contentsOf: repeatElement(UInt8(ascii: ">"), count: depth))
          output.append(0x20)
        }
        paragraphDepth = depth
      }
      output.append(contentsOf: text[start..<end])
      if !isSoft { paragraphDepth = nil }
      lineStart = next
    }
    return output
  }

  /// The end of the line that starts at `start`, and where the next one starts
  /// (past `text.count` for the last line). Every line end a Swift string knows
  /// counts: LF, CR, CR LF, VT, FF, NEL, LS and PS.
  private static func lineBreak(in text: UnsafeBufferPointer<UInt8>, from start: Int) -> (end: Int, next: Int) {
    var index = start
    while index < text.count {
      switch text[index] {
      case 0x0A, 0x0B, 0x0C: return (index, index + 1)
      case 0x0D: return (index, index + 1 < text.count && text[index + 1] == 0x0A ? index + 2 : index + 1)
      case 0xC2 where index + 1 < text.count && text[index + 1] == 0x85: return (index, index + 2)
      case 0xE2 where index + 2 < text.count && text[index + 1] == 0x80 && (text[index + 2] | 1) == 0xA9:
        return (index, index + 3)
      default: index += 1
      }
    }
    return (text.count, text.count + 1)
  }
}
