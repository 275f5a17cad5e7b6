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

  /// One row: the facts, and what the gate says.
  struct Row: Sendable, CustomStringConvertible {
    var name: String
    var facts: MailFacts
    var expected: Decision

    var description: String { name }
  }

  /// An ordinary new mail with every fact known, changed by `change`.
  static func facts(_ change: (inout MailFacts) -> Void = { _ in }) -> MailFacts {
    var facts = MailFacts.alone(customer, category: "errors", now: now)
    facts.arrivedAt = now.addingTimeInterval(-3600)
    change(&facts)
    return facts
  }

  static func replies(_ toSender: Int, _ lastHour: Int) -> MailFacts.Replies {
    MailFacts.Replies(toSender: toSender, lastHour: lastHour)
  }

  static let rows: [Row] = [
    Row(name: "an ordinary new mail is answered", facts: facts(), expected: .reply),
    Row(name: "first start: unread and recent is answered", facts: facts { $0.isFirstStart = true }, expected: .reply),
    Row(
      name: "first start: read is history",
      facts: facts {
        $0.isFirstStart = true
        $0.isSeen = true
      }, expected: .history),
    Row(
      name: "first start: older than the window",
      facts: facts {
        $0.isFirstStart = true
        $0.arrivedAt = now.addingTimeInterval(-25 * 3600)
      }, expected: .history),
    Row(
      name: "first start: no arrival date",
      facts: facts {
        $0.isFirstStart = true
        $0.arrivedAt = nil
      }, expected: .history),
    Row(
      name: "not a first start: old and read is answered",
      facts: facts {
        $0.isSeen = true
        $0.arrivedAt = now.addingTimeInterval(-99 * 3600)
      }, expected: .reply),
    Row(
      name: "history is decided before anything is looked up",
      facts: MailFacts(now: now, isFirstStart: true, isSeen: true), expected: .history),
    Row(name: "then the record is looked up", facts: MailFacts(now: now), expected: .needs(.isRecorded)),
    Row(name: "a record: handled before", facts: facts { $0.isRecorded = true }, expected: .alreadyHandled),
    Row(
      name: "a record comes before the attempts",
      facts: facts {
        $0.isRecorded = true
        $0.attempt = 9
      }, expected: .alreadyHandled),
    Row(
      name: "flagged by the bot but no record (a new state file): history, never answered again",
      facts: MailFacts(now: now, isFlaggedByBot: true, isRecorded: false), expected: .history),
    Row(
      name: "flagged and recorded: the record wins",
      facts: facts {
        $0.isFlaggedByBot = true
        $0.isRecorded = true
      }, expected: .alreadyHandled),
    Row(name: "then the attempt is counted", facts: MailFacts(now: now, isRecorded: false), expected: .needs(.attempt)),
    Row(name: "the third attempt is still made", facts: facts { $0.attempt = 3 }, expected: .reply),
    Row(name: "the fourth is not", facts: facts { $0.attempt = 4 }, expected: .giveUp(unfinishedAttempts: 3)),
    Row(
      name: "attempts come before reading", facts: MailFacts(now: now, isRecorded: false, attempt: 4),
      expected: .giveUp(unfinishedAttempts: 3)),
    Row(
      name: "then the mail is read", facts: MailFacts(now: now, isRecorded: false, attempt: 1),
      expected: .needs(.content)),
    Row(name: "vanished", facts: facts { $0.content = .vanished }, expected: .skip(.vanished)),
    Row(
      name: "the loop guard", facts: facts { $0.content = .read(autoReply, category: nil) },
      expected: .skip(.autoSubmitted)),
    Row(
      name: "the loop guard comes before anything the state store knows",
      facts: MailFacts(now: now, isRecorded: false, attempt: 1, content: .read(autoReply, category: "thanks")),
      expected: .skip(.autoSubmitted)),
    Row(
      name: "then whether it was answered before",
      facts: MailFacts(now: now, isRecorded: false, attempt: 1, content: .read(customer, category: nil)),
      expected: .needs(.answeredBefore)),
    Row(name: "a duplicate", facts: facts { $0.answeredBefore = true }, expected: .skip(.duplicate)),
    Row(
      name: "a duplicate comes before a follow-up",
      facts: facts {
        $0.answeredBefore = true
        $0.thread = .ticket("PWSK-2026-000001")
      }, expected: .skip(.duplicate)),
    Row(name: "then its thread", facts: facts { $0.thread = nil }, expected: .needs(.thread)),
    Row(name: "a follow-up", facts: facts { $0.thread = .ticket("PWSK-2026-000001") }, expected: .skip(.followUp)),
    Row(
      name: "a follow-up comes before the category",
      facts: facts {
        $0.content = .read(customer, category: "thanks")
        $0.thread = .ticket("PWSK-2026-000001")
      }, expected: .skip(.followUp)),
    Row(
      name: "a silent category", facts: facts { $0.content = .read(customer, category: "thanks") },
      expected: .skip(.noReplyCategory)),
    Row(name: "another category", facts: facts { $0.content = .read(customer, category: "sales") }, expected: .reply),
    Row(name: "unclassified", facts: facts { $0.content = .read(customer, category: nil) }, expected: .reply),
    Row(
      name: "the category comes before the rate limits (which are not even counted)",
      facts: facts {
        $0.content = .read(customer, category: "thanks")
        $0.replies = nil
      }, expected: .skip(.noReplyCategory)),
    Row(name: "then the replies are counted", facts: facts { $0.replies = nil }, expected: .needs(.replies)),
    Row(name: "the sender window", facts: facts { $0.replies = replies(1, 0) }, expected: .skip(.rateLimited)),
    Row(
      name: "the sender window comes before the cap", facts: facts { $0.replies = replies(1, 100) },
      expected: .skip(.rateLimited)),
    Row(name: "the hourly cap", facts: facts { $0.replies = replies(0, 100) }, expected: .skip(.hourlyCap)),
    Row(name: "below the cap", facts: facts { $0.replies = replies(0, 99) }, expected: .reply),
  ]

  @Test("each step, the facts it asks for, and the earlier of two steps wins", arguments: rows)
  func decide(row: Row) {
    #expect(Self.gate.decide(row.facts) == row.expected)
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
