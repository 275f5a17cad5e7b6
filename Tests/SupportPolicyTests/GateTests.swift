import Foundation
import MailMessage
import Testing

@testable import SupportPolicy

/// The gate's order, one row per step and per pair of steps that could both
/// say no: the earlier one must win.
@Suite("The gate: when the bot answers, and in which order it says no")
struct GateTests {
  static let now = Date(timeIntervalSince1970: 1_795_608_000)
  static let gate = Gate(
    loopGuard: LoopGuard(ownAddresses: ["pomoc@pwsk.pl"]), rateLimits: RateLimits(senderWindow: 3600, hourlyCap: 100),
    firstStartWindow: 24 * 3600, attemptsPerMail: 3, silentCategories: ["thanks"])

  static let customer = Message(
    parsing: "From: Jan <jan@firma.pl>\r\nSubject: Błąd\r\nMessage-ID: <a@firma.pl>\r\n\r\nBłąd 1045.\r\n")
  static let autoReply = Message(
    parsing: "From: Jan <jan@firma.pl>\r\nAuto-Submitted: auto-replied\r\nSubject: Urlop\r\n\r\nNa urlopie.\r\n")

  /// One row: what differs from an ordinary new mail, and what the gate says.
  struct Row: Sendable, CustomStringConvertible {
    var name: String
    var arrival = MailFacts.Arrival.alone
    var content: MailFacts.Content = .read(MailFacts.Mail(message: GateTests.customer, category: "errors"))
    var expected: Decision

    var description: String { name }
  }

  static func mail(
    _ message: Message = customer, category: String? = "errors", answered: Bool = false, ticket: String? = nil,
    toSender: Int = 0, lastHour: Int = 0
  ) -> MailFacts.Content {
    .read(
      MailFacts.Mail(
        message: message, category: category, answeredBefore: answered, ticket: ticket, repliesToSender: toSender,
        repliesLastHour: lastHour))
  }

  static func arrival(
    firstStart: Bool = false, seen: Bool = false, hoursAgo: Double? = 1, recorded: Bool = false, attempt: Int = 1
  ) -> MailFacts.Arrival {
    MailFacts.Arrival(
      isFirstStart: firstStart, isSeen: seen, arrivedAt: hoursAgo.map { now.addingTimeInterval(-$0 * 3600) },
      isRecorded: recorded, attempt: attempt)
  }

  static let rows: [Row] = [
    Row(name: "an ordinary new mail is answered", expected: .reply),
    Row(name: "first start: unread and recent is answered", arrival: arrival(firstStart: true), expected: .reply),
    Row(name: "first start: read is history", arrival: arrival(firstStart: true, seen: true), expected: .history),
    Row(
      name: "first start: older than the window", arrival: arrival(firstStart: true, hoursAgo: 25), expected: .history),
    Row(name: "first start: no arrival date", arrival: arrival(firstStart: true, hoursAgo: nil), expected: .history),
    Row(
      name: "not a first start: old and read is answered", arrival: arrival(seen: true, hoursAgo: 99), expected: .reply),
    Row(
      name: "history comes before a record", arrival: arrival(firstStart: true, seen: true, recorded: true),
      expected: .history),
    Row(name: "a record: handled before", arrival: arrival(recorded: true), expected: .alreadyHandled),
    Row(
      name: "a record comes before the attempts", arrival: arrival(recorded: true, attempt: 9),
      expected: .alreadyHandled),
    Row(name: "the third attempt is still made", arrival: arrival(attempt: 3), expected: .reply),
    Row(name: "the fourth is not", arrival: arrival(attempt: 4), expected: .giveUp(unfinishedAttempts: 3)),
    Row(
      name: "attempts come before reading", arrival: arrival(attempt: 4), content: .notRead,
      expected: .giveUp(unfinishedAttempts: 3)),
    Row(name: "not read yet: read it", content: .notRead, expected: .read),
    Row(name: "vanished", content: .vanished, expected: .skip(.vanished)),
    Row(name: "the loop guard", content: mail(autoReply), expected: .skip(.autoSubmitted)),
    Row(
      name: "the loop guard comes before a duplicate",
      content: mail(autoReply, answered: true, ticket: "PWSK-2026-000001", toSender: 5, lastHour: 500),
      expected: .skip(.autoSubmitted)),
    Row(name: "a duplicate", content: mail(answered: true), expected: .skip(.duplicate)),
    Row(
      name: "a duplicate comes before a follow-up", content: mail(answered: true, ticket: "PWSK-2026-000001"),
      expected: .skip(.duplicate)),
    Row(name: "a follow-up", content: mail(ticket: "PWSK-2026-000001"), expected: .skip(.followUp)),
    Row(
      name: "a follow-up comes before the category", content: mail(category: "thanks", ticket: "PWSK-2026-000001"),
      expected: .skip(.followUp)),
    Row(name: "a silent category", content: mail(category: "thanks"), expected: .skip(.noReplyCategory)),
    Row(name: "another category", content: mail(category: "sales"), expected: .reply),
    Row(name: "unclassified", content: mail(category: nil), expected: .reply),
    Row(
      name: "the category comes before the rate limits", content: mail(category: "thanks", toSender: 1, lastHour: 100),
      expected: .skip(.noReplyCategory)),
    Row(name: "the sender window", content: mail(toSender: 1), expected: .skip(.rateLimited)),
    Row(
      name: "the sender window comes before the cap", content: mail(toSender: 1, lastHour: 100),
      expected: .skip(.rateLimited)),
    Row(name: "the hourly cap", content: mail(lastHour: 100), expected: .skip(.hourlyCap)),
    Row(name: "below the cap", content: mail(lastHour: 99), expected: .reply),
  ]

  @Test("each step, and the earlier of two steps wins", arguments: rows)
  func decide(row: Row) {
    #expect(Self.gate.decide(MailFacts(arrival: row.arrival, content: row.content, now: Self.now)) == row.expected)
  }

  @Test("a mail on its own (the offline commands) is judged by its headers and category only")
  func alone() {
    #expect(Self.gate.decide(.alone(Self.customer, category: "errors", now: Self.now)) == .reply)
    #expect(Self.gate.decide(.alone(Self.customer, category: "thanks", now: Self.now)) == .skip(.noReplyCategory))
    #expect(Self.gate.decide(.alone(Self.autoReply, category: "thanks", now: Self.now)) == .skip(.autoSubmitted))
  }

  @Test("a failed attempt gives up at the last one")
  func givingUp() {
    #expect(!Self.gate.givesUp(afterFailedAttempt: 2))
    #expect(Self.gate.givesUp(afterFailedAttempt: 3))
  }
}
