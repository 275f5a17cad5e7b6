import Foundation
import MailMessage

/// The reply and forward prefixes of a subject, as mail clients write them:
/// `Re:`, `RE[2]:`, `Odp:`, `ODP:`, `AW:`, `SV:` for replies; `Fwd:`, `FW:`,
/// `PD:`, `WG:`, `TR:` for forwards.
public enum SubjectPrefix {
  public enum Kind: String, Sendable, Hashable {
    case reply, forward
  }

  private static let replies: Set<String> = ["re", "odp", "aw", "sv", "vs", "antw", "ynt", "res"]
  private static let forwards: Set<String> = ["fw", "fwd", "pd", "wg", "tr", "rv", "doorst", "przek"]

  /// The kind of the subject's first prefix, or nil when it has none.
  public static func kind(of subject: String) -> Kind? {
    var rest = Substring(subject).drop { $0.isWhitespace || $0 == "*" }
    let word = rest.prefix { $0.isLetter }
    guard !word.isEmpty, word.count <= 6 else { return nil }
    rest = rest.dropFirst(word.count)
    // "RE[2]:", "Odp.:", "RE :"
    if rest.first == "[" || rest.first == "(" {
      rest = rest.dropFirst().drop { $0.isNumber }
      guard rest.first == "]" || rest.first == ")" else { return nil }
      rest = rest.dropFirst()
    }
    if rest.first == "." { rest = rest.dropFirst() }
    rest = rest.drop { $0 == " " }
    guard rest.first == ":" || rest.first == "：" else { return nil }
    let folded = word.lowercased()
    if replies.contains(folded) { return .reply }
    if forwards.contains(folded) { return .forward }
    return nil
  }
}

/// The forwarded mail inside a forward: its subject and its own text.
public enum Forwarded {
  /// Lines that announce a forwarded mail (folded: lower case, no Polish letters).
  private static let markers = [
    "forwarded message", "przekazana wiadomosc", "wiadomosc przekazana", "begin forwarded message",
    "original message", "oryginalna wiadomosc", "wiadomosc oryginalna", "weitergeleitete nachricht",
  ]
  private static let headerLabels: Set<String> = [
    "od", "from", "nadawca", "wyslano", "wyslane", "sent", "data", "date", "do", "to", "dw", "cc", "temat",
    "subject", "reply to", "odpowiedz do", "priorytet", "importance", "von", "an", "betreff", "gesendet",
  ]
  private static let subjectLabels: Set<String> = ["temat", "subject", "betreff"]

  /// The forwarded mail, when the subject says forward (`Fwd:`, `PD:`) or the
  /// new text ends with a forward marker line; nil otherwise.
  /// - Parameters:
  ///   - newText: what the sender wrote above it.
  ///   - quoted: the rest of the text, where the forwarded mail is.
  public static func extract(subject: String, newText: String, quoted: String) -> (subject: String, body: String)? {
    let lastLine = newText.split(whereSeparator: \.isNewline).last.map { fold($0) } ?? ""
    let announced = markers.contains { lastLine.contains($0) }
    guard SubjectPrefix.kind(of: subject) == .forward || announced else { return nil }
    var forwardedSubject = ""
    var lines = quoted.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)[...]
    // The marker and the header block of the forwarded mail.
    while let line = lines.first {
      let folded = fold(line)
      if folded.isEmpty || markers.contains(where: folded.contains) || line.allSatisfy({ "-_= ".contains($0) }) {
        lines.removeFirst()
        continue
      }
      guard let colon = line.firstIndex(of: ":") else { break }
      let label = fold(line[..<colon])
      guard headerLabels.contains(label) else { break }
      if subjectLabels.contains(label), forwardedSubject.isEmpty {
        forwardedSubject = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      }
      lines.removeFirst()
    }
    let body = QuoteStripper.newText(lines.joined(separator: "\n"))
    guard !body.isEmpty else { return nil }
    return (forwardedSubject, body)
  }

  private static func fold<S: StringProtocol>(_ text: S) -> String {
    Normalizer.normalize(String(text).replacingOccurrences(of: "*", with: ""))
  }
}
