import Foundation
import MailMessage
import Triage

/// Everything decided about a mail before a ticket number is given: whether
/// to answer, who wrote, the plan, the template and its language.
public struct Assessment: Sendable {
  public var skip: SkipReason?
  public var identification: Identification
  public var reply: ReplyPlan
  /// Ticket ids quoted in the subject (`[PWSK-2026-000123]`).
  public var quotedTickets: [String]
}

/// Decides and writes replies: pure, given the message, the triage result,
/// the loaded policy, templates and customers, and the moment. Whether a mail
/// is answered at all is the `gate`'s to say.
public struct Desk: Sendable {
  public var setup: DeskSetup
  public var customers: CustomerDirectory?
  public var gate: Gate
  /// Category titles by id, for the templates.
  public var categoryTitles: [String: String]

  public init(setup: DeskSetup, customers: CustomerDirectory?, gate: Gate, categoryTitles: [String: String]) {
    self.setup = setup
    self.customers = customers
    self.gate = gate
    self.categoryTitles = categoryTitles
  }

  /// With the titles of the categories in `rules`.
  public init(setup: DeskSetup, customers: CustomerDirectory?, gate: Gate, rules: RuleSet?) {
    let categories = rules?.categories ?? []
    self.init(
      setup: setup, customers: customers, gate: gate,
      categoryTitles: Dictionary(categories.map { ($0.id, $0.title) }, uniquingKeysWith: { first, _ in first }))
  }

  public init(
    setup: DeskSetup, customers: CustomerDirectory?, loopGuard: LoopGuard, categoryTitles: [String: String],
    silentCategories: Set<String> = []
  ) {
    self.init(
      setup: setup, customers: customers, gate: Gate(loopGuard: loopGuard, silentCategories: silentCategories),
      categoryTitles: categoryTitles)
  }

  /// With the titles and reply switches of the categories in `rules`.
  public init(setup: DeskSetup, customers: CustomerDirectory?, loopGuard: LoopGuard, rules: RuleSet?) {
    self.init(
      setup: setup, customers: customers,
      gate: Gate(loopGuard: loopGuard, silentCategories: rules?.silentCategories ?? []), rules: rules)
  }

  public var loopGuard: LoopGuard { gate.loopGuard }

  /// Why a mail of this category gets no reply, if its category says so.
  public func categorySkip(_ category: String?) -> SkipReason? { gate.categorySkip(category) }

  public var planner: ReplyPlanner { ReplyPlanner(policy: setup.policy) }

  public func assess(_ message: Message, triage: TriageResult?, now: Date) -> Assessment {
    let sender = message.from?.address ?? ""
    let identification =
      customers?.identify(sender: sender, subject: message.subject ?? "", text: message.newText) ?? .unknown
    let language =
      (identification.senderIsOnRecord ? identification.customer?.language : nil)
      ?? Wording.detectLanguage(Normalizer.tokens((message.subject ?? "") + "\n" + message.newText).map(\.text))
    let category = triage?.category
    let reply = planner.plan(
      coverage: triage?.coverage ?? .unclassified, category: category,
      categoryTitle: category.flatMap { categoryTitles[$0] }, identification: identification, language: language,
      now: now, ticket: "", subject: message.subject ?? "")
    return Assessment(
      skip: gate.decide(.alone(message, category: category, now: now)).skipReason, identification: identification,
      reply: reply,
      quotedTickets: Self.ticketTags(in: message.subject ?? "", prefix: setup.policy.ticketPrefix))
  }

  /// The reply text and message for an assessed mail with its ticket.
  public func reply(
    to message: Message, assessment: Assessment, ticket: String, from bot: MailAddress, date: Date, identity: String
  ) throws(SupportPolicyError) -> OutgoingMessage {
    var context = assessment.reply.context
    context["ticket"] = ticket
    guard let text = setup.templates.render(assessment.reply.template, assessment.reply.language, context) else {
      throw .missingTemplate(assessment.reply.template, assessment.reply.language)
    }
    guard let recipient = message.replyAddress else { throw .noRecipient }
    var reply = AutoReply.compose(
      to: message, recipient: recipient, from: bot, text: text, date: date, identity: identity)
    reply.subject = Self.taggedSubject(reply.subject, ticket: ticket)
    return reply
  }

  /// `Re: subject [PWSK-2026-000123]`, the tag added once.
  static func taggedSubject(_ subject: String, ticket: String) -> String {
    subject.contains("[\(ticket)]") ? subject : "\(subject) [\(ticket)]"
  }

  /// `PWSK-2026-000123` ids in `[…]` in a subject.
  public static func ticketTags(in subject: String, prefix: String) -> [String] {
    var found: [String] = []
    var rest = Substring(subject)
    while let open = rest.firstIndex(of: "["), let close = rest[open...].firstIndex(of: "]") {
      let inside = rest[rest.index(after: open)..<close].uppercased()
      let parts = inside.split(separator: "-")
      if parts.count == 3, parts[0] == prefix.uppercased(), parts[1].count == 4, parts[1].allSatisfy(\.isNumber),
        parts[2].count == 6, parts[2].allSatisfy(\.isNumber)
      {
        found.append(inside)
      }
      rest = rest[rest.index(after: close)...]
    }
    return found
  }

  /// The year a ticket opened at `moment` is numbered in (Polish time).
  public func ticketYear(at moment: Date) -> Int { LocalDay(moment, in: planner.calendar.timeZone).year }

  /// What stands for the ticket where none is given out (a dry run, a preview): `PWSK-2026-??????`.
  public func placeholderTicket(at moment: Date) -> String {
    "\(setup.policy.ticketPrefix)-\(ticketYear(at: moment))-??????"
  }

  /// `PWSK-2026-000123`.
  public static func ticketID(prefix: String, year: Int, number: Int) -> String {
    "\(prefix)-\(year)-" + String(format: "%06d", number)
  }
}
