import Foundation

/// HTML mail turned into readable plain text: tags dropped, block elements
/// and `<br>` become line breaks, list items get a dash (or their number),
/// table cells a space, `<script>`, `<style>`, `<head>` and comments vanish,
/// entities are decoded, whitespace collapses as a browser would collapse it.
///
/// With `stopAtQuote`, the text ends where the quoted history of a reply
/// begins: Gmail's `gmail_quote`, Thunderbird's `moz-cite-prefix`, any
/// `<blockquote>`, Outlook's `divRplyFwdMsg` / `appendonsend` / the grey
/// border-top line, and Gmail's signature block.
public enum HTMLText {
  public static func plainText(_ html: String, stopAtQuote: Bool = false) -> String {
    var converter = Converter(html: Array(html.utf8), stopAtQuote: stopAtQuote)
    converter.run()
    return Converter.tidy(converter.output[...])
  }

  /// Both texts in one pass: all of it, and what comes before the quoted history
  /// (`plainText(html)` and `plainText(html, stopAtQuote: true)`).
  static func plainTextAndNewText(_ html: String) -> (text: String, beforeQuote: String) {
    var converter = Converter(html: Array(html.utf8), stopAtQuote: false)
    converter.run()
    let text = Converter.tidy(converter.output[...])
    guard let quoteStart = converter.quoteStart else { return (text, text) }
    return (text, Converter.tidy(converter.output[..<quoteStart]))
  }

  private struct Converter {
    let html: [UInt8]
    let stopAtQuote: Bool
    var output: [UInt8] = []
    /// Where in `output` the quoted history began, if it did.
    var quoteStart: Int?
    var index = 0
    var pendingSpace = false
    var preDepth = 0
    var listCounters: [Int?] = []  // nil: <ul>, a number: <ol>

    init(html: [UInt8], stopAtQuote: Bool) {
      self.html = html
      self.stopAtQuote = stopAtQuote
      output.reserveCapacity(html.count / 2)
    }

    mutating func run() {
      scan: while index < html.count {
        let byte = html[index]
        switch byte {
        case UInt8(ascii: "<"):
          if !handleTag() { break scan }
        case UInt8(ascii: "&"):
          emitEntity()
        case 0x20, 0x09, 0x0A, 0x0D, 0x0C:
          if preDepth > 0 {
            if byte != 0x0D { output.append(byte == 0x0A ? 0x0A : byte) }
          } else {
            pendingSpace = true
          }
          index += 1
        default:
          emitText(byte)
          index += 1
        }
      }
    }

    private mutating func emitText(_ byte: UInt8) {
      if pendingSpace {
        if let last = output.last, last != 0x0A, last != 0x20 { output.append(0x20) }
        pendingSpace = false
      }
      output.append(byte)
    }

    private mutating func emit(_ text: String) {
      for byte in text.utf8 { emitText(byte) }
    }

    private mutating func newline() {
      pendingSpace = false
      output.append(0x0A)
    }

    /// Handles the tag at `index`; false when the text must end here (a quote starts).
    private mutating func handleTag() -> Bool {
      // Comments, including Outlook's <!--[if mso]>…<![endif]--> blocks.
      if starts(with: "<!--") {
        index = find("-->", from: index + 4).map { $0 + 3 } ?? html.count
        return true
      }
      if starts(with: "<![CDATA[") {
        let end = find("]]>", from: index + 9) ?? html.count
        for byte in html[(index + 9)..<end] { emitText(byte) }
        index = min(end + 3, html.count)
        return true
      }
      var cursor = index + 1
      let closing = cursor < html.count && html[cursor] == UInt8(ascii: "/")
      if closing { cursor += 1 }
      let nameStart = cursor
      while cursor < html.count, isNameByte(html[cursor]) { cursor += 1 }
      if cursor == nameStart,
        !(cursor < html.count && (html[cursor] == UInt8(ascii: "!") || html[cursor] == UInt8(ascii: "?")))
      {
        emitText(UInt8(ascii: "<"))  // a lone "<" in text
        index += 1
        return true
      }
      let nameBytes = html[nameStart..<cursor]
      let tag = Self.tag(nameBytes)
      // Attributes up to the closing ">", honouring quoted values.
      let attributesStart = cursor
      var quote: UInt8?
      while cursor < html.count {
        let byte = html[cursor]
        if let open = quote {
          if byte == open { quote = nil }
        } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
          quote = byte
        } else if byte == UInt8(ascii: ">") {
          break
        }
        cursor += 1
      }
      let attributes = html[attributesStart..<min(cursor, html.count)]
      index = min(cursor + 1, html.count)

      if closing {
        closeTag(tag)
        return true
      }
      if quoteStart == nil, tag == .blockquote || Self.startsQuote(attributes: attributes) {
        if stopAtQuote { return false }
        quoteStart = output.count
      }
      switch tag {
      case .hidden:
        if attributes.last != UInt8(ascii: "/") { skipElement(nameBytes) }
      case .br:
        newline()
      case .block, .blockquote:
        if output.last != 0x0A, !output.isEmpty { newline() }
      case .pre:
        if output.last != 0x0A, !output.isEmpty { newline() }
        preDepth += 1
      case .hr:
        newline()
        emit("----")
        newline()
      case .ul:
        listCounters.append(nil)
        if output.last != 0x0A, !output.isEmpty { newline() }
      case .ol:
        listCounters.append(1)
        if output.last != 0x0A, !output.isEmpty { newline() }
      case .li:
        if output.last != 0x0A, !output.isEmpty { newline() }
        if let counter = listCounters.last, let number = counter {
          emit("\(number). ")
          listCounters[listCounters.count - 1] = number + 1
        } else {
          emit("- ")
        }
        pendingSpace = false
      case .cell:
        if let last = output.last, last != 0x0A { pendingSpace = true }
      case .img:
        let attributes = String(decoding: attributes, as: UTF8.self).lowercased()
        if let alt = Self.attribute("alt", in: attributes), !alt.isEmpty, !alt.hasPrefix("cid:") { emit("[\(alt)]") }
      case .other:
        break
      }
      return true
    }

    private mutating func closeTag(_ tag: Tag) {
      switch tag {
      case .block, .blockquote, .li:
        if output.last != 0x0A, !output.isEmpty { newline() }
      case .pre:
        preDepth = max(0, preDepth - 1)
        if output.last != 0x0A { newline() }
      case .ul, .ol:
        if !listCounters.isEmpty { listCounters.removeLast() }
        if output.last != 0x0A, !output.isEmpty { newline() }
      default:
        break
      }
    }

    /// What a tag does to the text.
    enum Tag {
      /// Its content is not text (`<script>`, `<style>`, `<head>` …).
      case hidden
      case br, block, blockquote, pre, hr, ul, ol, li, cell, img, other
    }

    /// A tag name of up to 16 bytes, lower-cased and packed into two numbers (no allocation).
    struct TagName: Hashable {
      var low: UInt64 = 0
      var high: UInt64 = 0

      init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count <= 16 else { return nil }
        for (offset, byte) in bytes.enumerated() {
          let lower = UInt64(byte.asciiLowercased)
          if offset < 8 { low |= lower << (8 * offset) } else { high |= lower << (8 * (offset - 8)) }
        }
      }
    }

    /// The tags by their names.
    private static let tags: [TagName: Tag] = {
      var table: [TagName: Tag] = [:]
      for (names, tag) in [
        (["script", "style", "head", "title", "noscript", "template", "xml"], Tag.hidden),
        (
          [
            "p", "div", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article", "header", "footer",
            "address", "dl", "dt", "dd", "center",
          ], .block
        ),
        (["br"], .br), (["blockquote"], .blockquote), (["pre"], .pre), (["hr"], .hr), (["ul"], .ul), (["ol"], .ol),
        (["li"], .li), (["td", "th"], .cell), (["img"], .img),
      ] {
        for name in names { if let key = TagName(name.utf8) { table[key] = tag } }
      }
      return table
    }()

    static func tag(_ name: ArraySlice<UInt8>) -> Tag {
      TagName(name).flatMap { tags[$0] } ?? .other
    }

    /// Skips everything up to `</name>` (case-insensitive).
    private mutating func skipElement(_ name: ArraySlice<UInt8>) {
      let closing = Array("</".utf8) + name.map(\.asciiLowercased)
      var cursor = index
      while cursor + closing.count <= html.count {
        if html[cursor] == UInt8(ascii: "<"), matchesLowercased(closing, at: cursor) {
          index = (html[cursor...].firstIndex(of: UInt8(ascii: ">")) ?? html.count - 1) + 1
          return
        }
        cursor += 1
      }
      index = html.count
    }

    private mutating func emitEntity() {
      let start = index + 1
      var end = start
      while end < html.count, end - start < 32, html[end] != UInt8(ascii: ";"), isEntityByte(html[end]) { end += 1 }
      let name = String(decoding: html[start..<end], as: UTF8.self)
      let terminated = end < html.count && html[end] == UInt8(ascii: ";")
      if let decoded = Self.decodeEntity(name), terminated || Self.named[name] != nil {
        if decoded == " " {
          pendingSpace = false
          emitText(0x20)
        } else {
          emit(decoded)
        }
        index = terminated ? end + 1 : end
      } else {
        emitText(UInt8(ascii: "&"))
        index += 1
      }
    }

    private func starts(with text: String) -> Bool {
      let bytes = Array(text.utf8)
      return index + bytes.count <= html.count && matchesLowercased(bytes, at: index)
    }

    private func matchesLowercased(_ bytes: [UInt8], at position: Int) -> Bool {
      guard position + bytes.count <= html.count else { return false }
      for offset in 0..<bytes.count {
        if html[position + offset].asciiLowercased != bytes[offset] { return false }
      }
      return true
    }

    private func find(_ text: String, from start: Int) -> Int? {
      let bytes = Array(text.utf8)
      var cursor = start
      while cursor + bytes.count <= html.count {
        if html[cursor] == bytes[0], matchesLowercased(bytes, at: cursor) { return cursor }
        cursor += 1
      }
      return nil
    }

    private func isNameByte(_ byte: UInt8) -> Bool {
      (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
        || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
        || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: ":")
        || byte == UInt8(ascii: "-")
    }

    private func isEntityByte(_ byte: UInt8) -> Bool {
      isNameByte(byte) || byte == UInt8(ascii: "#")
    }

    /// Collapses spaces around line breaks and runs of blank lines.
    /// Spaces (and no-break spaces) trimmed from every line, runs of blank lines made one.
    static func tidy(_ text: ArraySlice<UInt8>) -> String {
      var output: [UInt8] = []
      output.reserveCapacity(text.count)
      var lastWasBlank = true  // no blank line at the start
      var lineStart = text.startIndex
      while lineStart <= text.endIndex {
        let lineEnd = text[lineStart...].firstIndex(of: 0x0A) ?? text.endIndex
        var start = lineStart
        var end = lineEnd
        while true {
          if start < end, text[start] == 0x20 {
            start += 1
          } else if start + 1 < end, text[start] == 0xC2, text[start + 1] == 0xA0 {
            start += 2
          } else {
            break
          }
        }
        while true {
          if end > start, text[end - 1] == 0x20 {
            end -= 1
          } else if end - 1 > start, text[end - 2] == 0xC2, text[end - 1] == 0xA0 {
            end -= 2
          } else {
            break
          }
        }
        let isBlank = start == end
        if !(isBlank && lastWasBlank) {
          output.append(contentsOf: text[start..<end])
          output.append(0x0A)
        }
        lastWasBlank = isBlank
        lineStart = lineEnd + 1
      }
      // No line break and no blank lines at the end.
      while output.last == 0x0A { output.removeLast() }
      return String(decoding: output, as: UTF8.self)
    }

    static let quoteMarkers = [
      "gmail_quote", "gmail_signature", "moz-cite-prefix", "yahoo_quoted", "divrplyfwdmsg", "appendonsend",
      "outlookmessageheader", "stopspelling", "border-top:solid #e1e1e1", "border-top: solid #e1e1e1",
      "border-top:solid #b5c4df", "border-top: solid #b5c4df",
    ].map { Array($0.utf8) }

    /// Whether a tag's attributes mark the quoted history (a marker in any case).
    static func startsQuote(attributes: ArraySlice<UInt8>) -> Bool {
      guard attributes.count >= 11 else { return false }  // the shortest marker
      var index = attributes.startIndex
      while index < attributes.endIndex {
        let byte = attributes[index] | 0x20
        if byte == UInt8(ascii: "g") || byte == UInt8(ascii: "m") || byte == UInt8(ascii: "y")
          || byte == UInt8(ascii: "d") || byte == UInt8(ascii: "a") || byte == UInt8(ascii: "o")
          || byte == UInt8(ascii: "s") || byte == UInt8(ascii: "b")
        {
          for marker in quoteMarkers where marker.count <= attributes.endIndex - index {
            if zip(marker, attributes[index...]).allSatisfy({ $1.asciiLowercased == $0 }) { return true }
          }
        }
        index += 1
      }
      return false
    }

    static func attribute(_ name: String, in attributes: String) -> String? {
      guard let range = attributes.range(of: name + "=") else { return nil }
      var rest = attributes[range.upperBound...]
      guard let quote = rest.first, quote == "\"" || quote == "'" else {
        return String(rest.prefix { $0 != " " })
      }
      rest.removeFirst()
      return String(rest.prefix { $0 != quote })
    }

    static let named: [String: String] = [
      "nbsp": " ", "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "ndash": "–", "mdash": "—",
      "hellip": "…", "bdquo": "„", "rdquo": "”", "ldquo": "“", "lsquo": "‘", "rsquo": "’", "sbquo": "‚",
      "laquo": "«", "raquo": "»", "bull": "•", "middot": "·", "copy": "©", "reg": "®", "trade": "™", "euro": "€",
      "deg": "°", "sect": "§", "para": "¶", "times": "×", "divide": "÷", "plusmn": "±", "shy": "", "zwnj": "",
      "zwj": "", "lrm": "", "rlm": "", "ensp": " ", "emsp": " ", "thinsp": " ", "oacute": "ó", "Oacute": "Ó",
      "eacute": "é", "Eacute": "É", "aacute": "á", "uuml": "ü", "ouml": "ö", "auml": "ä", "Uuml": "Ü", "Ouml": "Ö",
      "Auml": "Ä", "szlig": "ß", "ccedil": "ç", "iacute": "í", "uacute": "ú", "yacute": "ý", "aring": "å",
    ]

    static func decodeEntity(_ entity: String) -> String? {
      if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
        return UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
      }
      if entity.hasPrefix("#") {
        return UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) }
      }
      return named[entity]
    }
  }
}
