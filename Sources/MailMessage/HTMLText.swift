/// A small HTML-to-text conversion for HTML-only mail: tags dropped, block
/// elements become line breaks, script and style vanish, common entities decoded.
public enum HTMLText {
  public static func plainText(_ html: String) -> String {
    var output = ""
    var index = html.startIndex
    var skipUntil: String?
    while index < html.endIndex {
      let character = html[index]
      if character == "<", let close = html[index...].firstIndex(of: ">") {
        let tag = html[html.index(after: index)..<close].lowercased()
        let name = String(tag.prefix { $0.isLetter || $0.isNumber || $0 == "/" })
        if let skip = skipUntil {
          if name == "/" + skip { skipUntil = nil }
        } else if name == "script" || name == "style" || name == "head" {
          skipUntil = name
        } else if [
          "br", "p", "/p", "div", "/div", "tr", "/tr", "li", "h1", "h2", "h3", "/h1", "/h2", "/h3", "blockquote",
          "/blockquote",
        ].contains(name) {
          output += "\n"
          if name == "li" { output += "- " }
        } else if name == "td" || name == "th" {
          output += " "
        }
        index = html.index(after: close)
        continue
      }
      if skipUntil == nil {
        if character == "&", let semicolon = html[index...].prefix(10).firstIndex(of: ";") {
          let entity = String(html[html.index(after: index)..<semicolon])
          if let decoded = decodeEntity(entity) {
            output += decoded
            index = html.index(after: semicolon)
            continue
          }
        }
        output.append(character.isNewline ? " " : character)
      }
      index = html.index(after: index)
    }
    // Collapse the runs of spaces and blank lines HTML layout leaves behind.
    let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map {
      $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }
    var result: [String] = []
    for line in lines where !(line.isEmpty && (result.last?.isEmpty ?? true)) {
      result.append(line)
    }
    while result.last?.isEmpty == true { result.removeLast() }
    return result.joined(separator: "\n")
  }

  private static let named: [String: String] = [
    "nbsp": " ", "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "ndash": "–", "mdash": "—",
    "oacute": "ó", "Oacute": "Ó", "bdquo": "„", "rdquo": "”", "ldquo": "“", "hellip": "…",
  ]

  private static func decodeEntity(_ entity: String) -> String? {
    if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
      return UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init).map { String($0) }
    }
    if entity.hasPrefix("#") {
      return UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init).map { String($0) }
    }
    return named[entity]
  }
}
