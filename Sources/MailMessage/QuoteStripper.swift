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
    var text = text
    return text.withUTF8 { newText(utf8: $0) }
  }

  private static func newText(utf8 bytes: UnsafeBufferPointer<UInt8>) -> String {
    // The folded copy lives only while the text is searched: a temporary
    // buffer (on the stack when small), and lines are slices of it without reference counting.
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(bytes.count, 1)) { buffer in
      newText(utf8: bytes, folding: buffer)
    }
  }

  private static func newText(
    utf8 bytes: UnsafeBufferPointer<UInt8>, folding buffer: UnsafeMutableBufferPointer<UInt8>
  )
    -> String
  {
    var lines = FoldedLines(bytes, into: buffer)
    let count = lines.count
    var end = count
    var index = 0
    var hasContentBefore = false
    search: while index < count {
      lines.fold(through: index + 5)  // the checks look at most five lines ahead
      let line = lines[index]
      if line.isEmpty || line.first == UInt8(ascii: ">") {
        index += 1
        continue
      }
      if isAttribution(lines, at: index) || isSeparator(line) || isHeaderBlock(lines, at: index)
        || line.elementsEqual("--".utf8)
        || (line.count < 60 && mobileSignatures.contains(where: { line.starts(with: $0) }))
      {
        end = index
        break search
      }
      if hasContentBefore, containsFooterMarker(line) {
        var start = index
        while start > 0, !lines[start - 1].isEmpty { start -= 1 }
        end = start
        break search
      }
      if hasContentBefore, isClosingFormula(line) {
        end = index + 1
        break search
      }
      hasContentBefore = true
      index += 1
    }
    // The kept lines as they were written, without '>' lines and blank lines at either end.
    func isKept(_ line: Int) -> Bool { lines.original(line).first != UInt8(ascii: ">") }
    var last = end - 1
    while last >= 0, !isKept(last) || lines.isBlank(last) { last -= 1 }
    var first = 0
    while first < last, !isKept(first) || lines.isBlank(first) { first += 1 }
    guard last >= 0 else { return "" }
    let capacity = lines.original(last).endIndex - lines.original(first).startIndex
    return String(unsafeUninitializedCapacity: capacity) { output in
      var written = 0
      for line in first...last where isKept(line) {
        if line > first {
          output[written] = 0x0A
          written += 1
        }
        for byte in lines.original(line) {
          output[written] = byte
          written += 1
        }
      }
      return written
    }
  }

  private static let attributionEndings = [
    "napisal(a):", "napisal:", "napisala:", "pisze:", "wrote:", "napisal(a) :", "napisal/a:", "schrieb:",
  ].map { [UInt8](ascii: $0) }
  private static let attributionStarts = ["w dniu ", "dnia ", "on ", "am "].map { [UInt8](ascii: $0) }

  private static func isAttribution(_ lines: FoldedLines, at index: Int) -> Bool {
    for offset in 0..<3 where index + offset < lines.count {
      let line = lines[index + offset]
      if line.isEmpty || line.first == UInt8(ascii: ">") { break }
      // Every ending is a colon: the lines are joined only when one ends in it.
      guard line.last == UInt8(ascii: ":") else { continue }
      var joined: [UInt8] = []
      for previous in 0...offset {
        if previous > 0 { joined.append(0x20) }
        joined += lines[index + previous]
      }
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

  private static func isSeparator(_ bytes: FoldedLines.Line) -> Bool {
    guard bytes.starts(with: "---".utf8) || bytes.starts(with: "___".utf8) else { return false }
    let words = FoldedLines.trimmed(
      bytes.filter { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || $0 == 0x20 }[...])
    if words.isEmpty { return bytes.starts(with: "___".utf8) && bytes.count >= 20 }  // Outlook's rule
    return separatorWords.contains { $0.elementsEqual(words) }
  }

  private static let fromLabels = ["od:", "from:", "nadawca:"].map { [UInt8](ascii: $0) }
  private static let headerLabels = [
    "wyslano:", "sent:", "data:", "date:", "do:", "to:", "temat:", "subject:", "dw:", "cc:",
  ].map { [UInt8](ascii: $0) }

  /// "Od: … / Wysłano: … / Do: … / Temat: …" of a quoted Outlook mail.
  private static func isHeaderBlock(_ lines: FoldedLines, at index: Int) -> Bool {
    guard fromLabels.contains(where: { lines[index].starts(with: $0) }) else { return false }
    var labels = 0
    for offset in 1..<6 where index + offset < lines.count {
      let line = lines[index + offset]
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

  /// Whether a footer marker starts a word of the line ("rodo" in "(RODO)",
  /// not in "Narodowy"). The first two bytes of the markers are kept in a
  /// table, so most word starts are passed over with one look.
  private static func containsFooterMarker(_ line: FoldedLines.Line) -> Bool {
    guard line.count >= 2 else { return false }
    var index = line.startIndex
    var previous: UInt8 = 0x20
    while index + 1 < line.endIndex {
      let byte = line[index]
      if !isWordByte(previous) {
        let group = footerPairs[Int(byte) << 8 | Int(line[index + 1])]
        if group != 0 {
          let rest = line[index...]
          if footerGroups[Int(group) - 1].contains(where: { rest.starts(with: $0) }) { return true }
        }
      }
      previous = byte
      index += 1
    }
    return false
  }

  /// Letters, digits and the bytes of non-ASCII characters (which the folded text keeps as UTF-8).
  private static func isWordByte(_ byte: UInt8) -> Bool {
    (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
      || byte >= 0x80
  }

  /// The markers grouped by their first two bytes, and for every pair of
  /// bytes the number of its group (0: no marker starts so).
  private static let (footerPairs, footerGroups): ([UInt8], [[[UInt8]]]) = {
    var pairs = [UInt8](repeating: 0, count: 1 << 16)
    var groups: [[[UInt8]]] = []
    for marker in footerMarkers {
      let pair = Int(marker[0]) << 8 | Int(marker[1])
      if pairs[pair] == 0 {
        groups.append([])
        pairs[pair] = UInt8(groups.count)
      }
      groups[Int(pairs[pair]) - 1].append(marker)
    }
    return (pairs, groups)
  }()

  /// "Pozdrawiam," and the like on a line of its own.
  private static func isClosingFormula(_ line: FoldedLines.Line) -> Bool {
    var view = line
    while let last = view.last,
      last == 0x20 || last == UInt8(ascii: ",") || last == UInt8(ascii: ".")
        || last == UInt8(ascii: "!") || last == UInt8(ascii: "-")
    {
      view.removeLast()
    }
    return view.count <= longestClosingFormula && closingFormulas.contains(Array(view))
  }

  private static let closingFormulas: Set<[UInt8]> = Set(
    [
      "pozdrawiam", "pozdrawiam serdecznie", "serdecznie pozdrawiam", "z powazaniem", "z wyrazami szacunku",
      "pozdrowienia", "serdeczne pozdrowienia", "lacze pozdrowienia", "pozdr", "dziekuje i pozdrawiam",
      "dziekuje, pozdrawiam", "dziekuje pozdrawiam", "z gory dziekuje, pozdrawiam", "z gory dziekuje i pozdrawiam",
      "best regards", "kind regards", "regards", "best wishes", "cheers", "sincerely", "yours sincerely",
      "thanks and regards", "many thanks", "mit freundlichen grussen",
    ].map { [UInt8](ascii: $0) })
  private static let longestClosingFormula = closingFormulas.map(\.count).max() ?? 0
}

/// The lines of a text folded for matching, in one buffer: lower case,
/// Polish letters without their marks (ł as l), no-break spaces as spaces,
/// trimmed, Outlook's `*bold*` asterisks removed. Other non-ASCII characters
/// stay as their UTF-8 bytes. Lines are folded as the search reaches them
/// (`fold(through:)`), so the quoted history after a cut point costs only
/// the search for its line ends. The original lines stay reachable for the output.
struct FoldedLines {
  typealias Line = Slice<UnsafeBufferPointer<UInt8>>

  private let text: UnsafeBufferPointer<UInt8>
  /// The original lines (line end and the CR before it excluded).
  private var originals: [Range<Int>] = []
  /// The folded, trimmed lines, for the first `folds.count` lines.
  private var folds: [Range<Int>] = []
  /// Where the folded lines are written: at least as long as `text`, owned by the caller.
  private let folded: UnsafeMutableBufferPointer<UInt8>

  init(_ text: UnsafeBufferPointer<UInt8>, into buffer: UnsafeMutableBufferPointer<UInt8>) {
    self.text = text
    folded = buffer
    originals.reserveCapacity(text.count / 32 + 1)
    var lineStart = 0
    while let lineEnd = text.index(of: 0x0A, from: lineStart) {
      originals.append(lineStart..<(lineEnd > lineStart && text[lineEnd - 1] == 0x0D ? lineEnd - 1 : lineEnd))
      lineStart = lineEnd + 1
    }
    originals.append(lineStart..<text.count)
  }

  /// Folds the lines up to `index` (or the last line), if not folded yet.
  mutating func fold(through index: Int) {
    let last = min(index, originals.count - 1)
    guard folds.count <= last else { return }
    var written = folds.last?.upperBound ?? 0
    let output = folded
    for line in folds.count...last {
      let start = written
      var position = originals[line].lowerBound
      let end = originals[line].upperBound
      while position < end {
        let byte = text[position]
        if byte < 0x80 {
          if byte != UInt8(ascii: "*") {
            output[written] = byte.asciiLowercased
            written += 1
          }
        } else if position + 1 < end, let plain = Self.polish(byte, text[position + 1]) {
          output[written] = plain
          written += 1
          position += 1
        } else {
          output[written] = byte
          written += 1
        }
        position += 1
      }
      var trimmedStart = start
      var trimmedEnd = written
      while trimmedStart < trimmedEnd, Self.isTrimmed(output[trimmedStart]) { trimmedStart += 1 }
      while trimmedEnd > trimmedStart, Self.isTrimmed(output[trimmedEnd - 1]) { trimmedEnd -= 1 }
      folds.append(trimmedStart..<trimmedEnd)
      written = max(trimmedEnd, start)
    }
  }

  /// The plain lower-case letter of a Polish letter's two UTF-8 bytes (either case); a space for a no-break space.
  private static func polish(_ first: UInt8, _ second: UInt8) -> UInt8? {
    switch (first, second) {
    case (0xC2, 0xA0): 0x20
    case (0xC3, 0xB3), (0xC3, 0x93): UInt8(ascii: "o")
    case (0xC4, 0x84), (0xC4, 0x85): UInt8(ascii: "a")
    case (0xC4, 0x86), (0xC4, 0x87): UInt8(ascii: "c")
    case (0xC4, 0x98), (0xC4, 0x99): UInt8(ascii: "e")
    case (0xC5, 0x81), (0xC5, 0x82): UInt8(ascii: "l")
    case (0xC5, 0x83), (0xC5, 0x84): UInt8(ascii: "n")
    case (0xC5, 0x9A), (0xC5, 0x9B): UInt8(ascii: "s")
    case (0xC5, 0xB9), (0xC5, 0xBA), (0xC5, 0xBB), (0xC5, 0xBC): UInt8(ascii: "z")
    default: nil
    }
  }

  private static func isTrimmed(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D }

  var count: Int { originals.count }

  /// The folded line; it must have been folded (`fold(through:)`).
  subscript(_ index: Int) -> Line { UnsafeBufferPointer(folded)[folds[index]] }

  /// The line as written.
  func original(_ index: Int) -> UnsafeBufferPointer<UInt8>.SubSequence { text[originals[index]] }

  /// Whether the line as written holds nothing but whitespace.
  func isBlank(_ index: Int) -> Bool {
    let line = original(index)
    if line.allSatisfy({ $0 == 0x20 || (0x09...0x0D).contains($0) }) { return true }
    return line.contains { $0 >= 0x80 } && String(decoding: line, as: UTF8.self).allSatisfy(\.isWhitespace)
  }

  static func trimmed(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
    var view = bytes
    while let first = view.first, isTrimmed(first) { view.removeFirst() }
    while let last = view.last, isTrimmed(last) { view.removeLast() }
    return view
  }
}

extension Array where Element == UInt8 {
  /// The bytes of an ASCII literal.
  init(ascii text: String) { self = Array(text.utf8) }

  func ends(with suffix: [UInt8]) -> Bool {
    count >= suffix.count && self[(count - suffix.count)...].elementsEqual(suffix)
  }
}
