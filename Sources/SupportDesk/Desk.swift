import Foundation
import MailMessage
import Triage

/// The policy, the templates and the customer list, as loaded from the files staff keep.
public struct DeskSetup: Sendable {
  public var policy: Policy
  public var templates: TemplateBook

  /// `policy.rules` and `templates/` of a rules folder.
  public static func load(rulesDirectory: String) -> (DeskSetup?, [Diagnostic]) {
    let policyPath = "\(rulesDirectory)/policy.rules"
    var diagnostics: [Diagnostic] = []
    var policy = Policy()
    if let data = FileManager.default.contents(atPath: policyPath) {
      let (parsed, problems) = Policy.parse(String(decoding: data, as: UTF8.self), file: policyPath)
      diagnostics += problems
      policy = parsed ?? policy
    }
    let (templates, problems) = TemplateBook.load(directory: "\(rulesDirectory)/templates")
    diagnostics += problems
    guard let templates, !diagnostics.contains(where: { $0.severity == .error }) else { return (nil, diagnostics) }
    return (DeskSetup(policy: policy, templates: templates), diagnostics)
  }

  static func paths(rulesDirectory: String) -> [String] {
    ["\(rulesDirectory)/policy.rules"]
      + TemplateBook.names.flatMap { name in
        Language.allCases.map { "\(rulesDirectory)/templates/\(name).\($0.rawValue).mustache" }
      }
  }
}

extension Reloadable where Value == DeskSetup {
  /// The policy and templates of a rules folder, reloaded when they change.
  public convenience init(rulesDirectory: String) {
    self.init(
      name: "the policy and templates in \(rulesDirectory)",
      paths: { DeskSetup.paths(rulesDirectory: rulesDirectory) },
      load: { DeskSetup.load(rulesDirectory: rulesDirectory) })
  }
}

extension Reloadable where Value == CustomerDirectory {
  /// The customer list at `path`, reloaded when it changes.
  public convenience init(customersPath path: String, keyPattern: @escaping @Sendable () -> LicenseKeyPattern) {
    self.init(
      name: "the customer list \(path)", paths: { [path] },
      load: {
        let pattern = keyPattern()
        let (list, diagnostics) = CustomerList.load(path: path, keyPattern: pattern)
        return (list.map { CustomerDirectory($0, keyPattern: pattern) }, diagnostics)
      })
  }
}

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
/// the loaded policy, templates and customers, and the moment.
public struct Desk: Sendable {
  public var setup: DeskSetup
  public var customers: CustomerDirectory?
  public var loopGuard: LoopGuard
  /// Category titles by id, for the templates.
  public var categoryTitles: [String: String]
  /// Categories whose mail gets no automatic reply (`reply: no`).
  public var silentCategories: Set<String>

  public init(
    setup: DeskSetup, customers: CustomerDirectory?, loopGuard: LoopGuard, categoryTitles: [String: String],
    silentCategories: Set<String> = []
  ) {
    self.setup = setup
    self.customers = customers
    self.loopGuard = loopGuard
    self.categoryTitles = categoryTitles
    self.silentCategories = silentCategories
  }

  /// With the titles and reply switches of the categories in `rules`.
  public init(setup: DeskSetup, customers: CustomerDirectory?, loopGuard: LoopGuard, rules: RuleSet?) {
    let categories = rules?.categories ?? []
    self.init(
      setup: setup, customers: customers, loopGuard: loopGuard,
      categoryTitles: Dictionary(categories.map { ($0.id, $0.title) }, uniquingKeysWith: { first, _ in first }),
      silentCategories: rules?.silentCategories ?? [])
  }

  /// Why a mail of this category gets no reply, if its category says so.
  public func categorySkip(_ category: String?) -> SkipReason? {
    Self.categorySkip(category, silent: silentCategories)
  }

  /// Why a mail of this category gets no reply, if it is one of the `silent` ones (`reply: no`).
  public static func categorySkip(_ category: String?, silent: Set<String>) -> SkipReason? {
    category.map(silent.contains) == true ? .noReplyCategory : nil
  }

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
      skip: loopGuard.reasonToSkip(message) ?? categorySkip(category), identification: identification, reply: reply,
      quotedTickets: Self.ticketTags(in: message.subject ?? "", prefix: setup.policy.ticketPrefix))
  }

  /// The reply text and message for an assessed mail with its ticket.
  public func reply(
    to message: Message, assessment: Assessment, ticket: String, from bot: MailAddress, date: Date, identity: String
  ) throws(DeskError) -> OutgoingMessage {
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

  /// `PWSK-2026-000123`.
  public static func ticketID(prefix: String, year: Int, number: Int) -> String {
    "\(prefix)-\(year)-" + String(format: "%06d", number)
  }
}

public enum DeskError: Error, Sendable, CustomStringConvertible {
  case missingTemplate(String, Language)
  case noRecipient

  public var description: String {
    switch self {
    case .missingTemplate(let name, let language): "the template \(name).\(language.rawValue).mustache is not loaded"
    case .noRecipient: "the mail has no address to reply to"
    }
  }
}
