import Testing

@testable import Triage

/// One condition line against one mail: what it matched, with the words shown
/// in the explanation. The cases pin down behaviour that the matcher's inner
/// workings (pattern trie, phrase matching word by word, lists tested as bit
/// masks) must keep: which occurrence a phrase reports, phrases that do not
/// span subject and body, lists longer than 64 patterns, the order of words.
struct MatchCase: Sendable, CustomTestStringConvertible {
  var rule: String
  var subject = ""
  var body = ""
  var quoted = ""
  var headers: [String: [String]] = [:]
  /// The words of the explanation, in order; nil when the line must not match.
  var words: [String]?

  var testDescription: String { "\(rule) | \(subject) | \(body)" }
}

/// A list of 70 whole words, w0 … w69: more atoms than one 64-bit mask word holds.
let longList = "list long: " + (0..<70).map { "w\($0)" }.joined(separator: ", ") + "\n"

@Suite("Matching: phrases, lists and targets report the same lines and words")
struct MatchingTests {
  @Test(
    "one line, one mail",
    arguments: [
      // Phrases: the first occurrence, found after false starts.
      MatchCase(rule: "body +1: \"nie drukuje\"", body: "Drukarka nie, nie drukuje", words: ["nie drukuje"]),
      MatchCase(rule: "body +1: \"nie nie\"", body: "nie nie nie", words: ["nie nie"]),
      MatchCase(rule: "body +1: \"jak to zrobić\"", body: "Jak to jest? Jak to zrobić?", words: ["Jak to zrobić"]),
      MatchCase(rule: "body +1: \"a* b* c*\"", body: "aa bb aa bb cc", words: ["aa bb cc"]),
      MatchCase(rule: "body +1: \"a* b* c*\"", body: "aa bb bb cc", words: nil),
      // One word hitting two patterns of the phrase (a stem and a whole word).
      MatchCase(rule: "body +1: \"kod* kodem\"", body: "kodem kodem", words: ["kodem kodem"]),
      MatchCase(rule: "body +1: \"kod* kodem\"", body: "kodem", words: nil),
      // A phrase stays inside one clause: a comma, a full stop or a line end between the words breaks it;
      // other punctuation does not, and the original text is shown.
      MatchCase(rule: "body +1: \"klucz aktywac*\"", body: "Podaj klucz, aktywacja nie działa", words: nil),
      MatchCase(rule: "body +1: \"klucz aktywac*\"", body: "Podaj klucz\naktywacja nie działa", words: nil),
      MatchCase(
        rule: "body +1: \"klucz aktywac*\"", body: "Podaj klucz (aktywacja) nie działa", words: ["klucz (aktywacja"]),
      MatchCase(rule: "body +1: \"sp z o o\"", body: "Firma sp. z o.o. z Lublina", words: ["sp. z o.o"]),
      // Suffix and infix patterns, alone and in phrases.
      MatchCase(
        rule: "body +1: *owanie, *instal*", body: "zainstalować drukowanie", words: ["drukowanie", "zainstalować"]),
      MatchCase(
        rule: "body +1: \"*instal* program*\"", body: "Reinstalacja programu", words: ["Reinstalacja programu"]),
      // Whole words are whole; stems and Polish letters.
      MatchCase(rule: "body +1: kolektor", body: "kolektora", words: nil),
      MatchCase(rule: "body +1: błąd*, błęd*", body: "BŁĘDY, Błąd", words: ["Błąd", "BŁĘDY"]),
      MatchCase(
        rule: "body +1: drukar*", body: "drukar" + String(repeating: "a", count: 300),
        words: ["drukar" + String(repeating: "a", count: 300)]),
      // `text` reads subject and body, but a phrase does not run from one into the other.
      MatchCase(rule: "text +1: \"drukarka nie\"", subject: "Drukarka", body: "nie drukuje", words: nil),
      MatchCase(rule: "text +1: \"nie drukuje\"", subject: "Pilne", body: "Nie drukuje", words: ["Nie drukuje"]),
      MatchCase(
        rule: "text +1: \"nie drukuje\"", subject: "Nie drukuje", body: "nadal nie drukuje", words: ["Nie drukuje"]),
      MatchCase(
        rule: "text +1: drukar*, skaner*", subject: "Skaner", body: "i drukarka", words: ["drukarka", "Skaner"]),
      MatchCase(rule: "subject +1: drukar*", subject: "Pytanie", body: "drukarka", words: nil),
      // Quoted text and headers are analysed like the body.
      MatchCase(
        rule: "quoted +1: \"pozdrawiam serdecznie\"", body: "Dziękuję", quoted: "Pozdrawiam serdecznie,\nJan",
        words: ["Pozdrawiam serdecznie"]),
      MatchCase(
        rule: "header X-Mailer +1: \"microsoft outlook\"", body: "x",
        headers: ["x-mailer": ["Microsoft Outlook 16.0"]], words: ["Microsoft Outlook"]),
      // AND, OR and NOT over lists and phrases.
      MatchCase(rule: "body +1: drukar* AND skaner*", body: "skaner i drukarka", words: ["drukarka", "skaner"]),
      MatchCase(rule: "body +1: drukar* AND skaner*", body: "skaner", words: nil),
      MatchCase(rule: "body +1: drukar* AND NOT (skaner*, zebra)", body: "drukarka Zebra", words: nil),
      MatchCase(rule: "body +1: drukar* AND NOT (skaner*, zebra)", body: "drukarka", words: ["drukarka"]),
      MatchCase(
        rule: "body +1: (\"nie drukuje\", zebra) AND (drukar*, \"kod* kreskow*\")", body: "Zebra: kody kreskowe",
        words: ["Zebra", "kody kreskowe"]),
      // A list longer than 64 patterns, hit at either end.
      MatchCase(rule: "body +1: @long", body: "to jest w69", words: ["w69"]),
      MatchCase(rule: "body +1: @long", body: "w0", words: ["w0"]),
      MatchCase(rule: "body +1: @long AND w64", body: "w64 w1", words: ["w1", "w64"]),
      MatchCase(rule: "body +1: @long", body: "w70 w", words: nil),
    ])
  func matches(_ example: MatchCase) throws {
    let (rules, diagnostics) = RuleParser.parse([
      listsFile(longList), categoryFile(example.rule + "\nexample: x\n", id: "probe", threshold: 1),
    ])
    let classifier = Classifier(try #require(rules, "\(diagnostics)"))
    let input = TriageInput(
      subject: example.subject, body: example.body, quoted: example.quoted, headers: example.headers)
    let explained = classifier.classify(input)
    let match = explained.scores.first { $0.id == "probe" }?.matches.first
    #expect(match?.words == example.words)
    #expect(match.map { $0.line } == (example.words == nil ? nil : 5))
    // Deciding without explanations finds the same lines.
    let decided = classifier.classify(input, explain: false)
    #expect(decided.category == explained.category)
    #expect(decided.scores.map(\.score) == explained.scores.map(\.score))
  }
}
