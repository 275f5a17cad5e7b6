import Foundation
import Testing
import Triage

@testable import SupportPolicy

/// A moment given as Polish local time in ISO 8601 with its offset.
func moment(_ text: String) -> Date {
  let formatter = ISO8601DateFormatter()
  formatter.formatOptions = [.withInternetDateTime]
  return formatter.date(from: text)!
}

@Suite("The support calendar: working hours in Poland, holidays, DST")
struct SupportCalendarTests {
  let calendar = SupportCalendar(closedDays: [LocalDay(year: 2026, month: 12, day: 31)])

  @Test(
    "when a person looks at a mail",
    arguments: [
      // Friday 27 Nov 2026, 15:59: still open.
      ("2026-11-27T15:59:00+01:00", true, "2026-11-27", "dziś, do godziny 16:00"),
      // Friday 16:00: closed; Monday opening.
      ("2026-11-27T16:00:00+01:00", false, "2026-11-30", "w poniedziałek, 30 listopada 2026, od godziny 8:00"),
      ("2026-11-28T11:00:00+01:00", false, "2026-11-30", "w poniedziałek, 30 listopada 2026, od godziny 8:00"),
      // Before opening on a working day: today at 8:00.
      ("2026-11-25T06:30:00+01:00", false, "2026-11-25", "dziś od godziny 8:00"),
      // Tuesday evening: tomorrow.
      ("2026-11-24T18:00:00+01:00", false, "2026-11-25", "jutro (środa, 25 listopada 2026) od godziny 8:00"),
      // Easter Monday 2027 (29 March): Tuesday.
      ("2027-03-29T10:00:00+02:00", false, "2027-03-30", "jutro (wtorek, 30 marca 2027) od godziny 8:00"),
      // Corpus Christi 2026 (4 June, Thursday) and the Friday after it is a working day.
      ("2026-06-04T09:00:00+02:00", false, "2026-06-05", "jutro (piątek, 5 czerwca 2026) od godziny 8:00"),
      // 24 December 2026 (Thursday) is a holiday since 2025; 25 and 26 too; then the weekend.
      ("2026-12-23T16:30:00+01:00", false, "2026-12-28", "w poniedziałek, 28 grudnia 2026, od godziny 8:00"),
      // A closed day from the policy (31 Dec) and New Year: Monday 4 January.
      ("2026-12-30T17:00:00+01:00", false, "2027-01-04", "w poniedziałek, 4 stycznia 2027, od godziny 8:00"),
      // The night the clocks go back (25 Oct 2026, a Sunday): 02:30 exists twice; Monday opening either way.
      ("2026-10-25T02:30:00+02:00", false, "2026-10-26", "jutro (poniedziałek, 26 października 2026) od godziny 8:00"),
      ("2026-10-25T02:30:00+01:00", false, "2026-10-26", "jutro (poniedziałek, 26 października 2026) od godziny 8:00"),
      // The week after the change to summer time: Monday 30 March 2026, 15:30 CEST is open.
      ("2026-03-30T15:30:00+02:00", true, "2026-03-30", "dziś, do godziny 16:00"),
      ("2026-03-30T16:30:00+02:00", false, "2026-03-31", "jutro (wtorek, 31 marca 2026) od godziny 8:00"),
    ])
  func response(at text: String, open: Bool, day: String, phrase: String) {
    let now = moment(text)
    let response = calendar.response(at: now)
    #expect(response.isOpenNow == open)
    #expect(response.day.description == day)
    #expect(Wording.response(response, today: LocalDay(now, in: calendar.timeZone), calendar: calendar, .pl) == phrase)
  }

  @Test("the opening moment is 8:00 Polish time, in winter and in summer")
  func openingMoment() {
    #expect(calendar.response(at: moment("2026-11-28T12:00:00+01:00")).start == moment("2026-11-30T08:00:00+01:00"))
    #expect(calendar.response(at: moment("2026-06-06T12:00:00+02:00")).start == moment("2026-06-08T08:00:00+02:00"))
  }

  @Test(
    "Polish public holidays, including the movable ones",
    arguments: [
      ("2026-04-05", "Wielkanoc"), ("2026-04-06", "Poniedziałek Wielkanocny"), ("2027-03-28", "Wielkanoc"),
      ("2027-03-29", "Poniedziałek Wielkanocny"), ("2026-05-24", "Zielone Świątki"), ("2026-06-04", "Boże Ciało"),
      ("2027-05-27", "Boże Ciało"), ("2026-12-24", "Wigilia Bożego Narodzenia"),
      ("2026-11-11", "Narodowe Święto Niepodległości"),
    ])
  func holidays(day: String, name: String) {
    #expect(SupportCalendar.holiday(on: LocalDay(iso: day)!) == name)
  }

  @Test("24 December is a holiday only since 2025")
  func christmasEve() {
    #expect(SupportCalendar.holiday(on: LocalDay(year: 2024, month: 12, day: 24)) == nil)
    #expect(SupportCalendar.holiday(on: LocalDay(year: 2025, month: 12, day: 24)) != nil)
  }
}

@Suite("Plans on a given day")
struct PlanTests {
  func customer(updated: String, contract: String? = nil) -> Customer {
    Customer(
      id: "K-1", company: "Firma", addresses: ["a@firma.pl"], domains: [], licenseKeys: [], seats: 3,
      updated: LocalDay(iso: updated)!, contractUntil: contract.flatMap { LocalDay(iso: $0) }, language: nil,
      location: .init(file: "customers.csv", line: 2))
  }

  @Test(
    "contract, basic and expired at the edges",
    arguments: [
      // Contract ending today still counts today.
      ("2025-01-10", "2026-11-25", "2026-11-25", PlanStatus.contract(until: LocalDay(year: 2026, month: 11, day: 25))),
      ("2025-01-10", "2026-11-25", "2026-11-26", .expired(since: LocalDay(year: 2026, month: 1, day: 10))),
      // Bought 2025-11-26: basic support ends tomorrow (last day 2026-11-25).
      ("2025-11-26", nil, "2026-11-24", .basic(until: LocalDay(year: 2026, month: 11, day: 25))),
      ("2025-11-26", nil, "2026-11-25", .basic(until: LocalDay(year: 2026, month: 11, day: 25))),
      // …and ended yesterday for one bought on 2025-11-24.
      ("2025-11-24", nil, "2026-11-25", .expired(since: LocalDay(year: 2026, month: 11, day: 24))),
      // Bought on a leap day: covered until 28 February, expired from 1 March.
      ("2024-02-29", nil, "2025-02-28", .basic(until: LocalDay(year: 2025, month: 2, day: 28))),
      ("2024-02-29", nil, "2025-03-01", .expired(since: LocalDay(year: 2025, month: 3, day: 1))),
      // A contract without a current version covers everything.
      ("2020-05-05", "2027-06-30", "2026-11-25", .contract(until: LocalDay(year: 2027, month: 6, day: 30))),
    ] as [(String, String?, String, PlanStatus)])
  func plans(updated: String, contract: String?, day: String, expected: PlanStatus) {
    #expect(customer(updated: updated, contract: contract).plan(on: LocalDay(iso: day)!) == expected)
  }
}

@Suite("Polish and English wording")
struct WordingTests {
  @Test(
    "plural forms of seats and hours",
    arguments: [
      (1, "1 stanowisko", "1 godzina", "1 seat"), (2, "2 stanowiska", "2 godziny", "2 seats"),
      (5, "5 stanowisk", "5 godzin", "5 seats"), (12, "12 stanowisk", "12 godzin", "12 seats"),
      (22, "22 stanowiska", "22 godziny", "22 seats"), (112, "112 stanowisk", "112 godzin", "112 seats"),
    ])
  func plurals(count: Int, seats: String, hours: String, english: String) {
    #expect(Wording.seats(count, .pl) == seats)
    #expect(Wording.hours(count, .pl) == hours)
    #expect(Wording.seats(count, .en) == english)
  }

  @Test("dates and money")
  func datesAndMoney() {
    #expect(Wording.date(LocalDay(year: 2026, month: 11, day: 25), .pl) == "25 listopada 2026")
    #expect(Wording.date(LocalDay(year: 2027, month: 5, day: 3), .pl) == "3 maja 2027")
    #expect(Wording.date(LocalDay(year: 2026, month: 11, day: 25), .en) == "25 November 2026")
    #expect(Wording.money(400, .pl) == "400 zł netto")
    #expect(Wording.money(8_800, .pl) == "8 800 zł netto")
    #expect(Wording.money(1_200_000, .en) == "PLN 1,200,000 net")
  }

  @Test(
    "the language of a mail",
    arguments: [
      ("Dzień dobry, program nie działa i prosimy o pomoc.", Language.pl),
      ("Hello, the program does not work. Could you please help us with it?", .en),
      ("Dzien dobry, czy program dziala na Windows 11? Thanks", .pl),
      ("ok", .pl),
    ])
  func language(text: String, expected: Language) {
    #expect(
      Wording.detectLanguage(text.lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init)) == expected)
  }
}
