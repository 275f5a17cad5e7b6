import Testing

@testable import Triage

/// Rules for the tests: two uncovered categories that compete, one covered, one vetoing.
func testClassifier(margin: Int = 2, extra: [RuleFile] = []) throws -> Classifier {
  let (rules, diagnostics) = RuleParser.parse(
    [
      RuleFile(path: "rules/settings.rules", text: "margin: \(margin)\n", kind: .settings),
      RuleFile(path: "rules/lists.rules", text: "list devices: drukar*, skaner*, \"czytnik* kod*\"\n", kind: .lists),
      categoryFile(
        """
        subject +3: @devices
        body +2: @devices AND (podłącz* OR *instal* OR "nie drukuje")
        exclude body: "wydruk* faktur*" AND NOT @devices
        example: "Drukarka nie drukuje"
        """, id: "devices"),
      categoryFile(
        """
        body +3: błąd*, błęd*, error*
        body +1: "nie działa"
        example: "Błąd 1045"
        """, id: "errors", coverage: .covered),
      categoryFile(
        """
        body +3: teamviewer*, anydesk*
        from +2: *@vip.example.pl
        attachment +1: *.png
        header X-Priority +1: "1"
        example: "TeamViewer"
        """, id: "remote"),
    ] + extra)
  guard let rules else {
    Issue.record("rules do not parse: \(diagnostics)")
    throw CancellationError()
  }
  return Classifier(rules)
}

@Suite("Classifying with rules: scores, thresholds, margin, exclusions, explanations")
struct ClassifierTests {
  @Test(
    "decisions",
    arguments: [
      ("Drukarka", "Jak podłączyć drukarkę Zebra?", "devices"),
      ("", "Błąd 1045 przy zapisie", "errors"),
      ("", "blad przy zapisie, nie dziala", "errors"),  // without Polish letters
      ("Pytanie", "Proszę o połączenie przez TeamViewer", "remote"),
      ("", "Dzień dobry, mam pytanie.", nil),  // nothing matched
      ("", "Drukarka", nil),  // devices scores 0 in the body, the subject is empty: below threshold
      ("Drukarka", "Błąd, nie działa", nil),  // errors 4, devices 3: the margin of 2 is not reached
      ("Drukarka", "Błąd przy wydruku, drukarka nie drukuje", "devices"),  // devices 5, errors 3: margin reached
    ] as [(String, String, String?)])
  func decides(subject: String, body: String, expected: String?) throws {
    let result = try testClassifier().classify(TriageInput(subject: subject, body: body))
    #expect(result.category == expected, "\(result.reason)")
    #expect(result.coverage == (expected == nil ? .unclassified : expected == "errors" ? .covered : .uncovered))
  }

  @Test("the explanation names the file, the line, the points and the original words")
  func explanation() throws {
    let result = try testClassifier().classify(
      TriageInput(subject: "Drukarka Zebra", body: "Nie umiem podłączyć drukarki do komputera"))
    #expect(result.category == "devices")
    let matched = result.matched
    #expect(matched.map(\.line) == [5, 6])
    #expect(matched.map(\.weight) == [3, 2])
    #expect(matched[0].file == "rules/categories/devices.rules")
    #expect(matched[0].words == ["Drukarka"])
    #expect(matched[1].words == ["drukarki", "podłączyć"])
    #expect(result.reason.contains("devices has 5 points"))
  }

  @Test("an exclusion vetoes the category, whatever its score")
  func exclusion() throws {
    let classifier = try testClassifier()
    let vetoed = classifier.classify(TriageInput(subject: "Skaner", body: "Błąd wydruku faktury"))
    #expect(vetoed.category == "errors" || vetoed.category == nil)
    #expect(vetoed.scores.first { $0.id == "devices" }?.vetoedBy?.line == 7)
    let notVetoed = classifier.classify(TriageInput(subject: "Skaner", body: "wydruk faktury na drukarce"))
    #expect(notVetoed.scores.first { $0.id == "devices" }?.vetoedBy == nil)
  }

  @Test("a phrase needs its words next to each other, in order")
  func phrases() throws {
    let classifier = try testClassifier()
    let adjacent = classifier.classify(TriageInput(subject: "Czytnika kodów nie widać", body: ""))
    #expect(adjacent.scores.first { $0.id == "devices" }?.matches.first?.words == ["Czytnika kodów"])
    let apart = classifier.classify(TriageInput(subject: "czytnik nie czyta kodów", body: ""))
    #expect(apart.scores.first { $0.id == "devices" } == nil)
  }

  @Test("a stem is a word prefix, never a substring of another word")
  func wordsNotSubstrings() throws {
    let (rules, _) = RuleParser.parse([categoryFile("body +3: lic*\nexample: licencja\n", id: "license")])
    let classifier = Classifier(try #require(rules))
    #expect(classifier.classify(TriageInput(body: "licencja wygasła")).category == "license")
    #expect(classifier.classify(TriageInput(body: "dane publicznie dostępne")).category == nil)
  }

  @Test("sender, attachment and header conditions")
  func otherTargets() throws {
    let classifier = try testClassifier()
    let result = classifier.classify(
      TriageInput(
        body: "Proszę o AnyDesk", from: "szef@vip.example.pl", headers: ["x-priority": ["1 (Highest)"]],
        attachmentNames: ["ekran.PNG"]))
    let remote = try #require(result.scores.first { $0.id == "remote" })
    #expect(remote.score == 3 + 2 + 1 + 1)
    #expect(remote.matches.map(\.words) == [["AnyDesk"], ["szef@vip.example.pl"], ["ekran.PNG"], ["1"]])
  }

  @Test("a tie is broken by priority only; otherwise a person decides")
  func ties() throws {
    func rules(priority: Int) -> [RuleFile] {
      [categoryFile("body +3: teamviewer*\npriority: \(priority)\nexample: teamviewer\n", id: "remote-two")]
    }
    let tie = try testClassifier(extra: rules(priority: 0)).classify(TriageInput(body: "TeamViewer"))
    #expect(tie.category == nil)
    #expect(tie.reason.contains("tie"))
    let preferred = try testClassifier(extra: rules(priority: 5)).classify(TriageInput(body: "TeamViewer"))
    #expect(preferred.category == "remote-two")
    #expect(preferred.reason.contains("priority"))
  }

  @Test("quoted history and signatures are not searched by body rules")
  func quotedIgnored() throws {
    let classifier = try testClassifier()
    let result = classifier.classify(
      TriageInput(subject: "", body: "Proszę o TeamViewer", quoted: "> Drukarka nie drukuje\nDrukpol sp. z o.o."))
    #expect(result.category == "remote")
    #expect(result.scores.first { $0.id == "devices" } == nil)
  }
}
