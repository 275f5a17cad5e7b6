import Testing

@testable import Triage

/// Rules with clause markers, as the shipped settings.rules has them (shortened):
/// devices and remote-desktop are paid, errors and license free.
func roleClassifier(settings extra: String = "", categories: [RuleFile] = []) throws -> Classifier {
  let settings = """
    margin: 2
    request-bonus: 1
    declined: "nie mamy", "nie potrzebujemy", "dziala poprawnie", "juz dziala", "zajmie sie nasz",
      "don t need", "works fine", "we don t have", rezygnujemy
    request: "prosze o", "czy mozecie", jak, please, "could you", how
    identification: "klucz* licencyj*", nip, "license key"
    clause-break: ale, but

    """ + extra
  let (rules, diagnostics) = RuleParser.parse(
    [
      RuleFile(path: "rules/settings.rules", text: settings, kind: .settings),
      categoryFile(
        """
        subject +3: drukar*, printer*
        body +3: drukar*, printer*, zebra
        example: "Drukarka"
        """, id: "devices", threshold: 3),
      categoryFile(
        """
        body +4: anydesk*, teamviewer*
        example: "AnyDesk"
        """, id: "remote-desktop", threshold: 3),
      categoryFile(
        """
        body +3: błąd*, błęd*, error*
        example: "Błąd"
        """, id: "errors", threshold: 3, coverage: .covered),
      categoryFile(
        """
        body +3: klucz*, licencj*, "license key"
        example: "klucz"
        """, id: "license", threshold: 3, coverage: .covered),
      categoryFile(
        """
        body mentioned +4: rezygnuj*
        example: "rezygnujemy"
        """, id: "sales", threshold: 3, coverage: .other),
    ] + categories)
  guard let rules else {
    Issue.record("rules do not parse: \(diagnostics)")
    throw CancellationError()
  }
  return Classifier(rules)
}

struct RoleCase: Sendable, CustomTestStringConvertible {
  var body: String
  var subject = ""
  /// The category expected, nil for unclassified.
  var category: String?
  /// Categories that must score nothing.
  var silent: [String] = []
  var testDescription: String { body }
}

@Suite("Evidence by role: declined mentions, identification lines and requests")
struct EvidenceRoleTests {
  @Test(
    "what a clause does decides whether its words count",
    arguments: [
      // Polish declines: the declined clause does not count, the clause after "ale" does.
      RoleCase(body: "Nie mamy AnyDeska, ale mamy błąd przy zapisie.", category: "errors", silent: ["remote-desktop"]),
      RoleCase(body: "AnyDeska nie mamy. Wyskakuje błąd 1045.", category: "errors", silent: ["remote-desktop"]),
      RoleCase(body: "Drukarka działa poprawnie, ale przy zapisie jest błąd", category: "errors", silent: ["devices"]),
      RoleCase(
        body: "Drukarką zajmie się nasz serwisant.\nProgram pokazuje błąd przy starcie", category: "errors",
        silent: ["devices"]),
      // "nie" alone is a symptom, not a decline: the printer counts.
      RoleCase(body: "Drukarka nie drukuje etykiet", category: "devices"),
      // English.
      RoleCase(body: "We don't need a TeamViewer session, but there is an error on startup", category: "errors"),
      RoleCase(body: "The printer works fine. Error 17 when saving.", category: "errors", silent: ["devices"]),
      // An identification line: the key only says who writes.
      RoleCase(body: "Klucz licencyjny: 7Q2M-K81D-00X4-PWSK\nBłąd przy zapisie faktury", category: "errors"),
      RoleCase(body: "NIP 712-233-44-55, license key: A1B2-C3D4-E5F6-G7H8\nError 5 on start", category: "errors"),
      // A key in a clause that goes on asks about the key.
      RoleCase(body: "Klucz licencyjny 7Q2M-K81D-00X4-PWSK nie działa po formatowaniu", category: "license"),
      // A line of the rule that asks for every mention (sales: cancelling is declining).
      RoleCase(body: "Rezygnujemy z przedłużenia umowy.", category: "sales"),
    ])
  func roles(_ example: RoleCase) throws {
    let result = try roleClassifier().classify(TriageInput(subject: example.subject, body: example.body))
    #expect(result.category == example.category, "\(result.reason)")
    for id in example.silent {
      #expect(result.scores.first { $0.id == id }.map { $0.score } ?? 0 == 0, "\(id) scored")
    }
  }

  @Test("a clause's role shows in the explanation, word by word")
  func explained() throws {
    let result = try roleClassifier().classify(TriageInput(body: "Nie mamy AnyDeska, ale jest błąd przy zapisie"))
    let remote = try #require(result.scores.first { $0.id == "remote-desktop" })
    #expect(remote.score == 0)
    let ignored = try #require(remote.matches.first)
    #expect(ignored.ignored)
    #expect(ignored.words == ["AnyDeska"])
    #expect(ignored.notes == ["„AnyDeska” stands in a declined or denied clause: it does not count"])
    #expect(RuleTestRunner.explanation(result).contains("  0  rules/categories/remote-desktop.rules:5  \"AnyDeska\""))
    // Deciding without the explanation gives the same scores, and no ignored lines.
    let plain = try roleClassifier().classify(
      TriageInput(body: "Nie mamy AnyDeska, ale jest błąd przy zapisie"), explain: false)
    #expect(plain.scores.first { $0.id == "remote-desktop" } == nil)
  }

  @Test(
    "a line whose words stand in a request gets the request bonus",
    arguments: [
      ("Proszę o konfigurację drukarki Zebra", 4),
      ("Czy możecie podłączyć drukarkę", 4),
      ("Jak podłączyć drukarkę?", 4),
      ("Drukarka stoi w magazynie", 3),
      ("drukarka stoi w magazynie?", 4),  // a question mark makes a request
    ])
  func requestBonus(body: String, points: Int) throws {
    let result = try roleClassifier().classify(TriageInput(body: body))
    let devices = try #require(result.scores.first { $0.id == "devices" })
    #expect(devices.score == points)
    if points == 4 { #expect(devices.matches[0].notes == ["+1: the words stand in a request"]) }
  }

  @Test(
    "the shape of an identification line: a code at the end, few other words",
    arguments: [
      ("klucz licencyjny: 7Q2M-K81D-00X4-PWSK", true),
      ("Nasz klucz licencyjny do programu to 7Q2M-K81D-00X4-PWSK", true),
      ("NIP 712-233-44-55", true),
      ("nr klienta K-0001", true),
      ("klucz licencyjny 7Q2M-K81D-00X4-PWSK nie działa", false),
      ("proszę o ponowne przesłanie klucza licencyjnego", false),
      ("klucz licencyjny: ABCD", false),
    ])
  func identificationShape(_ text: String, identifies: Bool) {
    var text = text
    let result = text.withUTF8 { ClauseShape.isIdentification($0) }
    #expect(result == identifies)
  }
}

@Suite("Replies, forwards and two topics")
struct ThreadAndTopicTests {
  @Test(
    "subject prefixes of replies and forwards, as clients write them",
    arguments: [
      ("Re: drukarka", SubjectPrefix.Kind.reply), ("RE[2]: drukarka", .reply), ("ODP: klucz", .reply),
      ("Odp.: klucz", .reply), ("AW: Frage", .reply), ("Fwd: błąd", .forward), ("PD: błąd", .forward),
      ("FW: error", .forward), ("WG: Fehler", .forward),
    ])
  func prefixes(_ subject: String, kind: SubjectPrefix.Kind) {
    #expect(SubjectPrefix.kind(of: subject) == kind)
  }

  @Test("no prefix", arguments: ["Drukarka", "Reinstalacja: pomoc", "Fwdx: coś", "", "Re drukarka"])
  func noPrefix(_ subject: String) {
    #expect(SubjectPrefix.kind(of: subject) == nil)
  }

  @Test("a reply's subject counts by reply-subject; a fresh subject counts in full")
  func replySubject() throws {
    let classifier = try roleClassifier(settings: "reply-subject: 0\n")
    let reply = classifier.classify(TriageInput(subject: "Re: Drukarka Zebra", body: "Mamy błąd 17 przy zapisie"))
    #expect(reply.category == "errors")
    let devices = try #require(reply.scores.first { $0.id == "devices" })
    #expect(devices.score == 0)
    #expect(devices.matches.first?.notes == ["the subject of a reply or forward counts 0 %"])
    #expect(reply.notes.contains("a reply: its subject counts 0 % (reply-subject in settings.rules)"))
    let fresh = classifier.classify(TriageInput(subject: "Drukarka Zebra", body: "Mamy błąd 17 przy zapisie"))
    #expect(fresh.scores.first { $0.id == "devices" }?.score == 3)
  }

  @Test("a forward that asks nothing itself is classified on the forwarded mail")
  func forward() throws {
    let quoted = """
      ---------- Forwarded message ---------
      Od: Magazyn <magazyn@firma.example.pl>
      Date: wt., 3 lis 2026 o 10:12
      Subject: Drukarka Zebra
      To: Szef <szef@firma.example.pl>

      Drukarka Zebra nie drukuje etykiet, proszę o pomoc.

      Pozdrawiam
      Magazyn
      """
    let forwarded = try #require(
      Forwarded.extract(subject: "Fwd: Drukarka Zebra", newText: "przekazuję", quoted: quoted))
    #expect(forwarded.subject == "Drukarka Zebra")
    #expect(forwarded.body == "Drukarka Zebra nie drukuje etykiet, proszę o pomoc.\n\nPozdrawiam")
    let input = TriageInput(
      subject: "Fwd: Drukarka Zebra", body: "przekazuję", quoted: quoted, forwardedSubject: forwarded.subject,
      forwardedBody: forwarded.body)
    let result = try roleClassifier(settings: "reply-subject: 0\n").classify(input)
    #expect(result.category == "devices")
    #expect(result.notes.first?.hasPrefix("a forward whose own text asks nothing") == true)
    // A forward with a request of its own is read on its own text.
    let own = try roleClassifier(settings: "reply-subject: 0\n").classify(
      TriageInput(
        subject: "Fwd: Drukarka Zebra", body: "Przy okazji: mamy błąd 17 przy zapisie", quoted: quoted,
        forwardedSubject: forwarded.subject, forwardedBody: forwarded.body))
    #expect(own.category == "errors")
  }

  @Test("a reply is not a forward: its quoted history is never the request")
  func replyIsNoForward() {
    #expect(Forwarded.extract(subject: "Re: Drukarka", newText: "dzięki", quoted: "> Drukarka nie drukuje") == nil)
  }

  @Test(
    "two topics: the policy of settings.rules decides",
    arguments: [
      (TwoTopicPolicy.uncovered, "devices", "errors"),
      (.stronger, "errors", "devices"),
      (.unclassified, nil, nil),
    ] as [(TwoTopicPolicy, String?, String?)])
  func twoTopics(policy: TwoTopicPolicy, category: String?, also: String?) throws {
    // errors 3 + 1 (asked in a question), devices 3: within the margin of 2.
    let classifier = try roleClassifier(settings: "two-topics: \(policy.rawValue)\n")
    let result = classifier.classify(
      TriageInput(body: "Czy błąd 17 przy zapisie jest groźny? Drukarka Zebra też czeka."))
    #expect(result.category == category, "\(result.reason)")
    #expect(result.also == also)
    if category != nil { #expect(result.reason.contains("two topics within the margin of 2")) }
  }
}

@Suite("The labelled examples' second opinion")
struct ExampleModelTests {
  func example(_ label: String, _ body: String, _ name: String) -> LabelledExample {
    LabelledExample(name: name, expected: label, input: TriageInput(subject: "", body: body))
  }

  @Test("the nearest examples vote when no rule is sure, and say why")
  func votes() {
    let model = ExampleModel(
      [
        example("devices", "kolektor danych nie wysyła dokumentów do programu", "a"),
        example("devices", "kolektor Zebra nie łączy się z programem, dokumenty nie przychodzą", "b"),
        example("devices", "skaner kodów kreskowych nie wpisuje kodów", "c"),
        example("errors", "komunikat o błędzie przy zapisie faktury", "d"),
        example("errors", "program pokazuje błąd przy starcie", "e"),
      ], categories: ["devices", "errors"])
    let opinion = model.opinion(
      on: TriageInput(body: "Nasz kolektor przestał wysyłać dokumenty do programu"), minimumShare: 0.6)
    #expect(opinion?.category == "devices")
    #expect(opinion?.neighbours.first?.name == "a")
    #expect(opinion?.words.contains("kolekt") == true)
    #expect(opinion?.explanation.hasPrefix("the labelled examples vote devices with ") == true)
    // Left out, an example cannot vote for itself.
    let alone = ExampleModel([example("devices", "kolektor danych", "a")], categories: ["devices"])
    #expect(alone.opinion(on: TriageInput(body: "kolektor danych"), minimumShare: 0.6, excluding: "a") == nil)
    // Nothing in common: no opinion.
    #expect(model.opinion(on: TriageInput(body: "zupełnie inna sprawa"), minimumShare: 0.6) == nil)
  }

  @Test("a split vote below the share settings.rules asks for decides nothing")
  func splitVote() {
    let model = ExampleModel(
      [
        example("devices", "drukarka w programie", "a"), example("errors", "drukarka w programie pokazuje błąd", "b"),
      ], categories: ["devices", "errors"])
    #expect(model.opinion(on: TriageInput(body: "drukarka w programie"), minimumShare: 0.9) == nil)
  }
}
