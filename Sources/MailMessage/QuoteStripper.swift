/// Finds the customer's own words in a reply: the text before the quoted
/// history, the signature and the legal footer. What the bot classifies and
/// what staff are shown as "new".
///
/// Cut points, in the order they occur in the text (the first one wins):
/// - an attribution line: "W dniu … napisał(a):", "Dnia … pisze:", "On … wrote:"
///   (also wrapped over up to three lines, as Gmail does);
/// - "-----Oryginalna wiadomość-----", "-----Original Message-----" and the
///   Outlook header block "Od: / Wysłano: / Do: / Temat:" (or From/Sent/To/Subject);
/// - the signature delimiter "-- " and "sent from my phone" lines;
/// - the paragraph where a RODO or confidentiality footer starts;
/// - the lines after a closing formula ("Pozdrawiam", "Z poważaniem",
///   "Best regards" …), which are the sender's name, company and phone.
/// Lines quoted with ">" before the cut point are dropped as well.
public enum QuoteStripper {
  public static func newText(_ text: String) -> String {
    // Lines split on the LF byte (cheaper than by Character); a CR before it is dropped.
    var lines: [Substring] = []
    var lineStart = text.utf8.startIndex
    for index in text.utf8.indices where text.utf8[index] == 0x0A {
      var line = text[lineStart..<index]
      if line.utf8.last == 0x0D { line = text[lineStart..<text.utf8.index(before: index)] }
      lines.append(line)
      lineStart = text.utf8.index(after: index)
    }
    lines.append(text[lineStart...])
    let folded = lines.map(FoldedLine.init)
    var end = lines.count
    var index = 0
    var hasContentBefore = false
    search: while index < lines.count {
      let line = folded[index]
      if line.isEmpty || line.isQuoted {
        index += 1
        continue
      }
      if isAttribution(folded, at: index) || isSeparator(line) || isHeaderBlock(folded, at: index)
        || line.bytes == [UInt8](ascii: "--")
        || (line.bytes.count < 60 && mobileSignatures.contains(where: { line.bytes.starts(with: $0) }))
      {
        end = index
        break search
      }
      if hasContentBefore, footerMarkers.contains(where: { line.contains($0) }) {
        var start = index
        while start > 0, !folded[start - 1].isEmpty { start -= 1 }
        end = start
        break search
      }
      if hasContentBefore, closingFormulas.contains(line.withoutPunctuation) {
        end = index + 1
        break search
      }
      hasContentBefore = true
      index += 1
    }
    var kept = lines[..<end].filter { !$0.hasPrefix(">") }
    while let last = kept.last, last.allSatisfy(\.isWhitespace) { kept.removeLast() }
    while let first = kept.first, first.allSatisfy(\.isWhitespace) { kept.removeFirst() }
    return kept.joined(separator: "\n")
  }

  private static let attributionEndings = [
    "napisal(a):", "napisal:", "napisala:", "pisze:", "wrote:", "napisal(a) :", "napisal/a:", "schrieb:",
  ].map { [UInt8](ascii: $0) }
  private static let attributionStarts = ["w dniu ", "dnia ", "on ", "am "].map { [UInt8](ascii: $0) }

  private static func isAttribution(_ lines: [FoldedLine], at index: Int) -> Bool {
    var joined: [UInt8] = []
    for offset in 0..<3 where index + offset < lines.count {
      let line = lines[index + offset]
      if line.isEmpty || line.isQuoted { break }
      if !joined.isEmpty { joined.append(0x20) }
      joined += line.bytes
      if attributionEndings.contains(where: { joined.ends(with: $0) }) {
        // "Dnia …", "W dniu …", "On …", or a Gmail line with a date or an address in it.
        return attributionStarts.contains { joined.starts(with: $0) } || joined.contains(UInt8(ascii: "@"))
          || joined.contains { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
      }
    }
    return false
  }

  private static let separatorWords = ["oryginalna wiadomosc", "wiadomosc oryginalna", "original message"].map {
    [UInt8](ascii: $0)
  }

  private static func isSeparator(_ line: FoldedLine) -> Bool {
    let bytes = line.bytes
    guard bytes.starts(with: [UInt8](ascii: "---")) || bytes.starts(with: [UInt8](ascii: "___")) else { return false }
    let words = FoldedLine.trimmed(bytes.filter { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == 0x20 })
    if words.isEmpty { return bytes.starts(with: [UInt8](ascii: "___")) && bytes.count >= 20 }  // Outlook's rule
    return separatorWords.contains(words)
  }

  private static let fromLabels = ["od:", "from:", "nadawca:"].map { [UInt8](ascii: $0) }
  private static let headerLabels = [
    "wyslano:", "sent:", "data:", "date:", "do:", "to:", "temat:", "subject:", "dw:", "cc:",
  ].map { [UInt8](ascii: $0) }

  /// "Od: … / Wysłano: … / Do: … / Temat: …" of a quoted Outlook mail.
  private static func isHeaderBlock(_ lines: [FoldedLine], at index: Int) -> Bool {
    guard fromLabels.contains(where: { lines[index].bytes.starts(with: $0) }) else { return false }
    var labels = 0
    for offset in 1..<6 where index + offset < lines.count {
      let line = lines[index + offset].bytes
      if headerLabels.contains(where: { line.starts(with: $0) }) { labels += 1 }
    }
    return labels >= 2
  }

  /// "Wysłane z mojego iPhone'a", "Wysłane z mojego Galaxy", "Sent from my iPhone", "Pobierz Outlook dla Android"…
  private static let mobileSignatures = [
    "wyslane z ", "wyslano z ", "wyslane przy uzyciu", "sent from my ", "sent from outlook", "sent from mail for",
    "get outlook for", "pobierz outlook",
  ].map { [UInt8](ascii: $0) }

  private static let footerMarkers = [
    "rodo", "przetwarzaniu danych osobowych", "przetwarzania danych osobowych", "administratorem danych",
    "administratorem pani", "administratorem pana", "ta wiadomosc jest poufna", "wiadomosc jest poufna",
    "wiadomosc moze zawierac informacje poufne", "tresc tej wiadomosci jest poufna", "klauzula poufnosci",
    "informacje zawarte w tej wiadomosci", "this e-mail is confidential", "this email is confidential",
    "this message is confidential", "the information contained in this", "confidentiality notice",
  ].map { [UInt8](ascii: $0) }

  private static let closingFormulas: Set<[UInt8]> = Set(
    [
      "pozdrawiam", "pozdrawiam serdecznie", "serdecznie pozdrawiam", "z powazaniem", "z wyrazami szacunku",
      "pozdrowienia", "serdeczne pozdrowienia", "lacze pozdrowienia", "pozdr", "dziekuje i pozdrawiam",
      "dziekuje, pozdrawiam", "dziekuje pozdrawiam", "z gory dziekuje, pozdrawiam", "z gory dziekuje i pozdrawiam",
      "best regards", "kind regards", "regards", "best wishes", "cheers", "sincerely", "yours sincerely",
      "thanks and regards", "many thanks", "mit freundlichen grussen",
    ].map { [UInt8](ascii: $0) })
}

/// A line folded for matching: lower case, Polish letters without their
/// marks (ł as l), trimmed, Outlook's `*bold*` asterisks removed. Other
/// non-ASCII characters stay as their UTF-8 bytes.
struct FoldedLine {
  let bytes: [UInt8]

  init(_ line: Substring) {
    var output: [UInt8] = []
    output.reserveCapacity(line.utf8.count)
    for scalar in line.unicodeScalars {
      let value = scalar.value
      if value < 0x80 {
        var byte = UInt8(value)
        if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte += 32 }
        if byte != UInt8(ascii: "*") { output.append(byte) }
      } else if let plain = Self.polish[value] {
        output.append(plain)
      } else {
        output.append(contentsOf: String(scalar).utf8)
      }
    }
    bytes = Self.trimmed(output)
  }

  var isEmpty: Bool { bytes.isEmpty }
  var isQuoted: Bool { bytes.first == UInt8(ascii: ">") }

  /// Without the punctuation a closing formula may carry: "Pozdrawiam," → "pozdrawiam".
  var withoutPunctuation: [UInt8] {
    var view = bytes[...]
    while let last = view.last,
      last == 0x20 || last == UInt8(ascii: ",") || last == UInt8(ascii: ".")
        || last == UInt8(ascii: "!") || last == UInt8(ascii: "-")
    {
      view.removeLast()
    }
    return Array(view)
  }

  func contains(_ needle: [UInt8]) -> Bool {
    guard let first = needle.first, needle.count <= bytes.count else { return false }
    var index = 0
    while index + needle.count <= bytes.count {
      if bytes[index] == first, bytes[index..<(index + needle.count)].elementsEqual(needle) { return true }
      index += 1
    }
    return false
  }

  static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
    var start = 0
    var end = bytes.count
    while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 || bytes[start] == 0x0D { start += 1 }
    while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 || bytes[end - 1] == 0x0D { end -= 1 }
    return start == 0 && end == bytes.count ? bytes : Array(bytes[start..<end])
  }

  /// Polish letters (both cases) to their plain lower-case ASCII letter.
  private static let polish: [UInt32: UInt8] = {
    var table: [UInt32: UInt8] = [:]
    for (letters, plain) in [
      ("ąĄ", "a"), ("ćĆ", "c"), ("ęĘ", "e"), ("łŁ", "l"), ("ńŃ", "n"), ("óÓ", "o"), ("śŚ", "s"), ("źŹżŻ", "z"),
    ] {
      for scalar in letters.unicodeScalars { table[scalar.value] = UInt8(ascii: plain.unicodeScalars.first!) }
    }
    table[0xA0] = 0x20  // no-break space
    return table
  }()
}

extension Array where Element == UInt8 {
  /// The bytes of an ASCII literal.
  init(ascii text: String) { self = Array(text.utf8) }

  func ends(with suffix: [UInt8]) -> Bool {
    count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
  }
}
