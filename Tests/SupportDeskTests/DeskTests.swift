import Foundation
import MailMessage
import Testing
import Triage

@testable import SupportDesk
@testable import SupportPolicy

/// The repository's rules folder and example customer list.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()
let shippedRules = repositoryRoot.appendingPathComponent("rules").path
let exampleCustomers = repositoryRoot.appendingPathComponent("customers.example.csv").path

func shippedDesk() throws -> Desk {
  let setup = try #require(DeskSetup.load(rulesDirectory: shippedRules).0)
  let list = try #require(CustomerList.load(path: exampleCustomers).0)
  return Desk(
    setup: setup, customers: CustomerDirectory(list), loopGuard: LoopGuard(ownAddresses: ["pomoc@pwsk.pl"]),
    categoryTitles: ["devices": "Drukarki, kolektory danych i skanery", "errors": "Komunikaty i błędy"])
}

/// A moment given as Polish local time in ISO 8601 with its offset.
func moment(_ text: String) -> Date {
  let formatter = ISO8601DateFormatter()
  formatter.formatOptions = [.withInternetDateTime]
  return formatter.date(from: text)!
}

func mail(from: String, subject: String = "Pytanie", body: String) -> Message {
  Message(
    parsing:
      "From: \(from)\r\nTo: pomoc@pwsk.pl\r\nSubject: \(subject)\r\nMessage-ID: <t-\(abs(body.hashValue))@x.pl>\r\n"
      + "Content-Type: text/plain; charset=utf-8\r\n\r\n\(body)\r\n")
}

@Suite("The customer list: checked on load, errors by line")
struct CustomerListTests {
  @Test("the shipped example loads")
  func example() throws {
    let list = try #require(CustomerList.load(path: exampleCustomers).0)
    #expect(list.customers.count == 7)
    #expect(list.customers[3].company == "Drukpol sp. z o.o., oddział Radom")
    #expect(list.customers[1].contractUntil == LocalDay(year: 2027, month: 6, day: 30))
  }

  @Test(
    "mistakes name the line",
    arguments: [
      ("K-1,A,gmail.com,,1,2026-01-01,,pl", "customers.csv:2:1: error: gmail.com is a free-mail domain"),
      ("K-1,A,jan@firma.pl,ABC,1,2026-01-01,,pl", "customers.csv:2:1: error: 'ABC' is not a licence key"),
      ("K-1,A,jan@firma.pl,,zero,2026-01-01,,pl", "seats must be a whole number"),
      ("K-1,A,jan@firma.pl,,1,2026-02-30,,pl", "updated must be a date like 2026-03-15"),
      ("K-1,A,jan@firma.pl,,1,2026-01-01,jutro,pl", "contract_until must be a date"),
      ("K-1,A,jan@firma.pl,,1,2026-01-01,,de", "language must be pl, en or empty"),
      ("K-1,A,,,1,2026-01-01,,pl", "no contact and no licence key"),
      (
        "K-1,A,jan@firma.pl,,1,2026-01-01,,pl\nK-2,B,jan@firma.pl,,1,2026-01-01,,pl",
        "customers.csv:3:1: error: jan@firma.pl also belongs to K-1 (line 2)"
      ),
      ("K-1,A,jan@firma.pl,,1,2026-01-01,,pl\nK-1,B,ewa@firma.pl,,1,2026-01-01,,pl", "the id K-1 is used twice"),
    ])
  func mistakes(row: String, message: String) {
    let (list, diagnostics) = CustomerList.parse(
      "id,company,contacts,license_keys,seats,updated,contract_until,language\n\(row)\n", file: "customers.csv")
    #expect(list == nil)
    #expect(diagnostics.map(\.description).joined(separator: "\n").contains(message), "\(diagnostics)")
  }

  @Test("Excel's semicolon CSV, quoted fields with commas and line breaks, a BOM")
  func excel() throws {
    let text =
      "\u{FEFF}id;company;contacts;license_keys;seats;updated;contract_until;language\r\n"
      + "K-9;\"Firma \"\"Ala\"\", Kraków\";ala@firma.pl, firma.pl;;2;2026-01-01;;\r\n"
    let list = try #require(CustomerList.parse(text, file: "c.csv").0)
    #expect(list.customers.first?.company == "Firma \"Ala\", Kraków")
    #expect(list.customers.first?.addresses == ["ala@firma.pl"])
    #expect(list.customers.first?.domains == ["firma.pl"])
  }

  @Test("a missing column is named")
  func header() {
    let (_, diagnostics) = CustomerList.parse("id,company,contacts\nK-1,A,a@b.pl\n", file: "c.csv")
    #expect(diagnostics.contains { $0.description.contains("c.csv:1:1: error: the column 'seats' is missing") })
  }
}

@Suite("Who wrote, and what the reply may say")
struct IdentificationTests {
  @Test(
    "address, company domain, licence key; never a free-mail domain",
    arguments: [
      ("klient@example.test", "", "K-0001", Identification.Match.address, true),
      ("ktos@hurtownia-lublin.pl", "", "K-0001", .domain, true),
      ("KLIENT@EXAMPLE.TEST", "", "K-0001", .address, true),
      ("tomasz.zielinski.firma@gmail.com", "", "K-0007", .address, true),
      // Another gmail.com user is not K-0007, whatever K-0007 registered.
      ("ktos.inny@gmail.com", "", nil, nil, false),
      // A key quoted from an unknown address: found, but not on the record.
      ("obcy@gmail.com", "Mój klucz to a1b2-c3d4-e5f6-g7h8, proszę o pomoc", "K-0002", .licenseKey, false),
      // A key inside a longer code does not count.
      ("obcy@gmail.com", "numer XA1B2-C3D4-E5F6-G7H8X", nil, nil, false),
    ] as [(String, String, String?, Identification.Match?, Bool)])
  func identify(sender: String, text: String, customer: String?, match: Identification.Match?, onRecord: Bool) throws {
    let desk = try shippedDesk()
    let identification = try #require(desk.customers).identify(sender: sender, subject: "", text: text)
    #expect(identification.customer?.id == customer)
    #expect(identification.match == match)
    #expect(identification.senderIsOnRecord == onRecord)
  }

  @Test("the shipped rules answer no thank-you note (thanks says reply: no) and every other category")
  func shippedSilentCategories() throws {
    let (rules, diagnostics) = RuleLoader.load(directory: shippedRules)
    let ruleSet = try #require(rules, "\(diagnostics)")
    #expect(ruleSet.silentCategories == ["thanks"])
    let setup = try #require(DeskSetup.load(rulesDirectory: shippedRules).0)
    let desk = Desk(setup: setup, customers: nil, loopGuard: LoopGuard(ownAddresses: ["pomoc@pwsk.pl"]), rules: ruleSet)
    let message = mail(from: "jan@firma.pl", body: "Dziękuję, już działa.")
    let now = moment("2026-11-25T10:00:00+01:00")
    let thanks = TriageResult(category: "thanks", coverage: .other, scores: [], reason: "")
    #expect(desk.assess(message, triage: thanks, now: now).skip == .noReplyCategory)
    let sales = TriageResult(category: "sales", coverage: .other, scores: [], reason: "")
    #expect(desk.assess(message, triage: sales, now: now).skip == nil)
  }

  @Test("a key quoted from a stranger's address gets a neutral answer that names nothing of the customer")
  func unverified() throws {
    let desk = try shippedDesk()
    let message = mail(from: "obcy@gmail.com", body: "Zgubiłem klucz, mam tylko A1B2-C3D4-E5F6-G7H8. Błąd aktywacji.")
    let triage = TriageResult(category: "license", coverage: .covered, scores: [], reason: "")
    let assessment = desk.assess(message, triage: triage, now: moment("2026-11-25T10:00:00+01:00"))
    #expect(assessment.reply.template == "unverified")
    let text = try desk.reply(
      to: message, assessment: assessment, ticket: "PWSK-2026-000001", from: MailAddress(address: "pomoc@pwsk.pl"),
      date: Date(), identity: "x"
    ).text
    for secret in ["Magazyny Polska", "K-0002", "klient2@example.test", "2027", "12 stanowisk"] {
      #expect(!text.contains(secret), "the reply reveals \(secret)")
    }
  }
}

@Suite("The decision and the replies customers read")
struct ReplyTests {
  static let now = moment("2026-11-25T10:00:00+01:00")

  @Test(
    "coverage × plan → template",
    arguments: [
      ("klient@example.test", Coverage.covered, "covered"), ("klient@example.test", .uncovered, "uncovered"),
      ("klient@example.test", .unclassified, "unclassified"), ("klient@example.test", .other, "other"),
      ("klient2@example.test", .uncovered, "contract"), ("klient2@example.test", .covered, "contract"),
      ("biuro@drukpol.pl", .covered, "expired"), ("biuro@drukpol.pl", .uncovered, "expired"),
      ("nikt@nieznana.pl", .covered, "unknown"), ("nikt@nieznana.pl", .other, "other"),
    ])
  func decision(sender: String, coverage: Coverage, template: String) throws {
    let desk = try shippedDesk()
    let triage = TriageResult(category: nil, coverage: coverage, scores: [], reason: "")
    #expect(
      desk.assess(mail(from: sender, body: "Dzień dobry"), triage: triage, now: Self.now).reply.template == template)
  }

  @Test(
    "every template renders in both languages with the right plural forms",
    arguments: TemplateBook.names, [1, 2, 5, 12, 22])
  func rendering(template: String, seats: Int) throws {
    let desk = try shippedDesk()
    for language in Language.allCases {
      var plan = desk.planner.plan(
        coverage: .uncovered, category: "devices", categoryTitle: "Drukarki", identification: .unknown,
        language: language, now: Self.now, ticket: "PWSK-2026-000042", subject: "Drukarka")
      plan.context["company"] = "Firma Testowa"
      plan.context["seats"] = Wording.seats(seats, language)
      plan.context["priceTotal"] = Wording.money(400 * seats, language)
      plan.context["planUntil"] = Wording.date(LocalDay(year: 2027, month: 1, day: 31), language)
      plan.context["expiredSince"] = Wording.date(LocalDay(year: 2026, month: 3, day: 1), language)
      let text = try #require(desk.setup.templates.render(template, language, plan.context))
      #expect(text.contains("PWSK-2026-000042"))
      #expect(!text.contains("{{"))
      if ["uncovered", "expired"].contains(template) {
        #expect(text.contains(Wording.seats(seats, language)))
        #expect(text.contains(Wording.money(400 * seats, language)))
      }
      #expect(text.hasPrefix(language == .pl ? "Dzień dobry," : "Hello,"))
    }
  }

  /// Complete replies as customers get them, in Tests/SupportDeskTests/Snapshots.
  /// SUPPORTBOT_RECORD_SNAPSHOTS=1 writes them anew (then read the diff).
  @Test(
    "snapshots of complete replies",
    arguments: [
      ("covered-basic-open", "klient@example.test", "Błąd 1045 przy zamykaniu miesiąca", "2026-11-25T10:00:00+01:00"),
      (
        "uncovered-basic-friday-evening", "marta.zielinska@customers.example.test", "Podłączenie drukarki fiskalnej",
        "2026-11-27T16:00:00+01:00"
      ),
      ("contract-christmas", "klient2@example.test", "Klucz licencyjny – zmiana serwera", "2026-12-23T17:00:00+01:00"),
      ("expired", "biuro@drukpol.pl", "Błąd przy wydruku", "2026-11-25T10:00:00+01:00"),
      ("unknown-english", "john@nowhere.example", "Requirements", "2026-11-25T10:00:00+01:00"),
      ("english-customer", "support@nordic-warehouse.se", "Printer setup", "2026-11-25T07:00:00+01:00"),
    ])
  func snapshots(name: String, sender: String, subject: String, at text: String) throws {
    let desk = try shippedDesk()
    let body =
      sender.hasSuffix(".se") || sender.hasSuffix(".example")
      ? "Hello, we would like to know more. Could you please help us? Thanks" : "Dzień dobry, proszę o pomoc."
    let message = Message(
      parsing: "From: Klient <\(sender)>\r\nTo: pomoc@pwsk.pl\r\nSubject: \(subject)\r\n"
        + "Message-ID: <\(name)@klient.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\(body)\r\n")
    let coverage: Coverage = subject.contains("drukark") || subject.contains("Printer") ? .uncovered : .covered
    let triage = TriageResult(
      category: coverage == .covered ? "errors" : "devices", coverage: coverage, scores: [], reason: "")
    let now = moment(text)
    let assessment = desk.assess(message, triage: triage, now: now)
    let reply = try desk.reply(
      to: message, assessment: assessment, ticket: "PWSK-2026-000123",
      from: MailAddress(name: "Pomoc techniczna PWSK", address: "pomoc@pwsk.pl"), date: now, identity: name)
    let rendered = String(decoding: try reply.render(timeZone: TimeZone(identifier: "Europe/Warsaw")!), as: UTF8.self)
    let snapshot =
      "template: \(assessment.reply.template) (\(assessment.reply.language.rawValue))\n"
      + "Subject: \(reply.subject)\n\n\(Message(parsing: Array(rendered.utf8)).text)\n"
    let url = repositoryRoot.appendingPathComponent("Tests/SupportDeskTests/Snapshots/\(name).txt")
    if ProcessInfo.processInfo.environment["SUPPORTBOT_RECORD_SNAPSHOTS"] == "1" {
      try snapshot.write(to: url, atomically: true, encoding: .utf8)
    }
    let expected = try String(contentsOf: url, encoding: .utf8)
    #expect(snapshot == expected, "the reply changed; if that is intended, record the snapshots again")
  }
}

@Suite("Templates and policy files: mistakes are caught when loading")
struct TemplateLoadingTests {
  @Test("an unknown variable, a partial and an unclosed section are errors with their place")
  func templateErrors() {
    let (book, diagnostics) = TemplateBook.parse([
      ("t/covered.pl.mustache", "Dzień dobry,\nfirma {{compny}} ma {{seats}}.\n"),
      ("t/other.pl.mustache", "{{> stopka}}\n"),
      ("t/unknown.pl.mustache", "{{#hotline}}Infolinia {{hotline}}\n"),
    ])
    #expect(book == nil)
    let text = diagnostics.map(\.description).joined(separator: "\n")
    #expect(
      text.contains("t/covered.pl.mustache:2:7: error: unknown variable 'compny' (did you mean 'company'?)"), "\(text)")
    #expect(text.contains("t/other.pl.mustache:1:1: error: '{{> stopka}}': partials"), "\(text)")
    #expect(text.contains("t/unknown.pl.mustache"), "\(text)")
  }

  @Test("policy.rules: values are checked, unknown keys get a suggestion")
  func policyErrors() {
    let (policy, diagnostics) = Policy.parse(
      "price-per-seat: czterysta\nmonthly-hour: 8\nclosed-days: 2026-12-31, 2026-13-01\n", file: "policy.rules")
    #expect(policy == nil)
    let text = diagnostics.map(\.description).joined(separator: "\n")
    #expect(text.contains("policy.rules:1:1: error: price-per-seat must be a whole number"))
    #expect(text.contains("policy.rules:2:1: error: unknown key 'monthly-hour' (did you mean 'monthly-hours'?)"))
    #expect(text.contains("policy.rules:3:1: error: '2026-13-01' is not a date"))
    let (good, _) = Policy.parse("price-per-seat: 450\nclosed-days: 2026-12-31\n", file: "policy.rules")
    #expect(good?.pricePerSeat == 450)
    #expect(good?.closedDays == [LocalDay(year: 2026, month: 12, day: 31)])
  }

  @Test("the shipped policy and all sixteen templates load without a word of complaint")
  func shipped() {
    let (setup, diagnostics) = DeskSetup.load(rulesDirectory: shippedRules)
    #expect(setup != nil)
    #expect(diagnostics.isEmpty, "\(diagnostics)")
  }
}
