/// RFC 3676 `format=flowed` text: lines ending in a space continue on the
/// next line (Thunderbird, Apple Mail). Joined back into paragraphs, quote
/// depth respected, space-stuffing undone, `delsp=yes` honoured.
enum FlowedText {
  static func unflow(_ text: String, deleteSpace: Bool) -> String {
    var output: [String] = []
    var paragraph: String?
    var paragraphDepth = 0
    // Split on any line end: in a Swift string "\r\n" is one character, not two.
    for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
      var line = Substring(rawLine)
      var depth = 0
      while line.first == ">" {
        depth += 1
        line.removeFirst()
      }
      if line.first == " " { line.removeFirst() }  // space-stuffing (after the quote marks)
      let isSignature = line == "-- "
      let isSoft = line.last == " " && !isSignature
      if let open = paragraph, depth != paragraphDepth {
        output.append(open)
        paragraph = nil
      }
      var content = String(line)
      if isSoft, deleteSpace { content.removeLast() }
      if let open = paragraph {
        paragraph = open + content
      } else {
        paragraph = (depth > 0 ? String(repeating: ">", count: depth) + " " : "") + content
        paragraphDepth = depth
      }
      if !isSoft, let open = paragraph {
        output.append(open)
        paragraph = nil
      }
    }
    if let open = paragraph { output.append(open) }
    return output.joined(separator: "\n")
  }
}
