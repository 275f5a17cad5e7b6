import Foundation

/// A minimal RFC 4180 reader: quoted fields with "" inside, line breaks in
/// quotes, CRLF or LF, ',' or ';' as the separator (from the header line).
enum CSV {
  struct Row {
    var fields: [String]
    /// The line the row starts on, 1-based.
    var line: Int
    var separator: Character
  }

  static func rows(_ text: String) -> [Row] {
    let firstLine = text.prefix { !$0.isNewline }
    let separator: Character = firstLine.contains(";") && !firstLine.contains(",") ? ";" : ","
    var rows: [Row] = []
    var fields: [String] = []
    var field = ""
    var inQuotes = false
    var line = 1
    var rowStart = 1
    var iterator = Array(text).makeIterator()
    var pending: Character?
    while let character = pending ?? iterator.next() {
      pending = nil
      if inQuotes {
        if character == "\"" {
          let next = iterator.next()
          if next == "\"" {
            field.append("\"")
          } else {
            inQuotes = false
            pending = next
          }
        } else {
          if character.isNewline { line += 1 }
          field.append(character)
        }
        continue
      }
      switch character {
      case "\"" where field.isEmpty: inQuotes = true
      case separator:
        fields.append(field)
        field = ""
      case _ where character.isNewline:
        fields.append(field)
        rows.append(Row(fields: fields, line: rowStart, separator: separator))
        fields = []
        field = ""
        line += 1
        rowStart = line
      default: field.append(character)
      }
    }
    if !field.isEmpty || !fields.isEmpty {
      fields.append(field)
      rows.append(Row(fields: fields, line: rowStart, separator: separator))
    }
    return rows
  }
}
