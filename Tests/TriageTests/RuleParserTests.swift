import Foundation
import Testing

@testable import Triage

/// A category file with the required header lines and the given body.
func categoryFile(
  _ body: String, id: String = "devices", threshold: Int = 3, coverage: Coverage = .uncovered, path: String? = nil
) -> RuleFile {
  RuleFile(
    path: path ?? "rules/categories/\(id).rules",
    text: "category: \(id)\ntitle: Test\ncoverage: \(coverage.rawValue)\nthreshold: \(threshold)\n" + body,
    kind: .category)
}

func listsFile(_ text: String) -> RuleFile { RuleFile(path: "rules/lists.rules", text: text, kind: .lists) }

@Suite("Rule files: errors point at the line and say how to fix it")
struct RuleParserTests {
  @Test("a correct file parses into conditions with their locations")
  func parses() throws {
    let (rules, diagnostics) = RuleParser.parse([
      listsFile("list devices: drukar*, \"czytnik* kod*\"\n"),
      categoryFile(
        """
        subject +3: @devices
        body    +2: (drukar* OR skaner*) AND (podłącz* OR *instal*)
        exclude body: "wydruk* faktur*"
        example: "Jak podłączyć drukarkę?"
        """),
    ])
    #expect(diagnostics.filter { $0.severity == .error }.isEmpty, "\(diagnostics)")
    let category = try #require(rules?.categories.first)
    #expect(category.autoReply)  // without a reply line, mail of a category is answered
    #expect(category.conditions.map(\.weight) == [3, 2, 0])
    #expect(category.conditions.map(\.location.line) == [5, 6, 7])
    #expect(category.conditions[2].isExclusion)
    #expect(category.examples.map(\.text) == ["Jak podłączyć drukarkę?"])
    #expect(category.conditions[1].expression.terms.map(\.source) == ["drukar*", "skaner*", "podłącz*", "*instal*"])
  }

  @Test(
    "mistakes are reported as FILE:LINE:COL with a hint",
    arguments: [
      ("subjet +3: drukar*", "devices.rules:5:1: error: unknown key 'subjet'", "did you mean 'subject'?"),
      ("body 3: drukar*", "devices.rules:5:1: error: '3' is not a weight", "with a sign"),
      ("body +2: drukar* skaner*", "devices.rules:5:18: error: missing AND or OR before 'skaner*'", "in quotes"),
      ("body +2: (drukar* OR skaner*", "devices.rules:5:10: error: this '(' is not closed", nil),
      ("body +2: \"czytnik kod", "devices.rules:5:10: error: this quote is not closed", nil),
      ("body +2: dru*kar", "devices.rules:5:10: error: 'dru*kar': a '*' may only stand at the start or the end", nil),
      ("body +2: @urzadzenia", "devices.rules:5:10: error: there is no list '@urzadzenia'", nil),
      ("body +2: drukar* AND", "devices.rules:5:18: error: the condition ends too early", nil),
      ("exclude body +2: drukar*", "error: an exclusion has no weight", nil),
      ("margin: 2", "error: margin is a global setting", "settings.rules"),
      ("to nie jest reguła", "devices.rules:5:1: error: expected 'key: value'", nil),
      ("coverage: platne", "'coverage' is given twice", nil),
      ("reply: moze", "devices.rules:5:8: error: reply must be yes or no, not 'moze'", "no automatic reply"),
      ("replay: no", "devices.rules:5:1: error: unknown key 'replay'", "did you mean 'reply'?"),
    ] as [(String, String, String?)])
  func reportsMistakes(line: String, message: String, hint: String?) throws {
    let (rules, diagnostics) = RuleParser.parse([categoryFile("body +3: drukar*\n" + line)])
    #expect(rules == nil)
    // The body's first line is line 5; the mistake is on line 6 unless it is the header.
    let rendered = diagnostics.map(\.description).joined(separator: "\n")
    let expected = message.replacingOccurrences(of: ":5:", with: ":6:")
    #expect(rendered.contains(expected), "\(rendered)")
    if let hint { #expect(rendered.contains(hint), "\(rendered)") }
  }

  @Test("missing header lines, a wrong coverage and a duplicate category are errors")
  func headerProblems() {
    let (_, missing) = RuleParser.parse([
      RuleFile(path: "rules/categories/x.rules", text: "category: x\nbody +3: a\n", kind: .category)
    ])
    #expect(missing.contains { $0.message.contains("no 'title:' line") })
    let (_, coverage) = RuleParser.parse([
      RuleFile(
        path: "rules/categories/x.rules", text: "category: x\ntitle: X\ncoverage: darmowe\nthreshold: 3\nbody +3: a\n",
        kind: .category)
    ])
    #expect(
      coverage.contains { $0.description.contains("x.rules:3:11: error: coverage must be covered, uncovered or other") }
    )
    let (_, duplicate) = RuleParser.parse([
      categoryFile("body +3: a\n", id: "x"), categoryFile("body +3: b\n", id: "x", path: "rules/categories/y.rules"),
    ])
    #expect(duplicate.contains { $0.message.contains("category 'x' is defined twice") })
  }

  @Test("warnings: short stems alone, unused lists, missing examples; a category that can never win is an error")
  func warnings() {
    let (rules, diagnostics) = RuleParser.parse([
      listsFile("list nieuzywana: cokolwiek\n"), categoryFile("body +3: lic*, \"baz* danych\"\n"),
    ])
    #expect(rules != nil)
    let text = diagnostics.map(\.description).joined(separator: "\n")
    #expect(text.contains("'lic*' is a short stem"))
    #expect(!text.contains("'baz*' is a short stem"), "a short stem inside a phrase is narrowed by its neighbours")
    #expect(text.contains("list '@nieuzywana' is not used"))
    #expect(text.contains("has no 'example:' line"))
    let (none, errors) = RuleParser.parse([categoryFile("exclude body: drukar*\nbody -2: skaner*\n")])
    #expect(none == nil)
    #expect(errors.contains { $0.message.contains("can never be chosen") })
  }

  @Test("continuation lines, comments and Polish keys")
  func continuationsAndAliases() throws {
    let (rules, diagnostics) = RuleParser.parse([
      RuleFile(
        path: "rules/categories/urzadzenia.rules",
        text: """
          # komentarz
          kategoria: urzadzenia
          tytuł: Urządzenia   # komentarz na końcu
          zakres: płatne
          próg: 3
          treść +2: drukar*,
             skaner*,   # dalszy ciąg
             "czytnik# kod*"
          temat +1: kolektor* LUB czytnik*
          przykład: "Drukarka nie drukuje"
          odpowiedź: nie
          """, kind: .category)
    ])
    #expect(diagnostics.filter { $0.severity == .error }.isEmpty, "\(diagnostics)")
    let category = try #require(rules?.categories.first)
    #expect(category.coverage == .uncovered)
    #expect(!category.autoReply)
    #expect(rules?.silentCategories == ["urzadzenia"])
    #expect(category.title == "Urządzenia")
    #expect(category.conditions[0].expression.terms.map(\.source) == ["drukar*", "skaner*", "\"czytnik# kod*\""])
    #expect(category.conditions[1].target == .subject)
  }

  @Test("pathological rules are refused with a clear message, quickly")
  func pathological() {
    let thousand = (0..<1000).map { "slowo\($0)" }.joined(separator: " OR ")
    let (_, many) = RuleParser.parse([categoryFile("body +1: \(thousand)\n")])
    #expect(many.contains { $0.message.contains("at most") })
    let huge = String(repeating: "a", count: 1 << 20)
    let (_, long) = RuleParser.parse([categoryFile("body +1: \(huge)\n")])
    #expect(long.contains { $0.message.contains("characters long") })
    let deep = String(repeating: "(", count: 100) + "a" + String(repeating: ")", count: 100)
    let (_, nested) = RuleParser.parse([categoryFile("body +1: \(deep)\n")])
    #expect(nested.contains { $0.message.contains("nested") })
  }
}
