import Foundation
import Triage

/// Which reply a mail gets and what fills it.
public struct ReplyPlan: Sendable {
  /// The template's name (`TemplateBook.names`).
  public var template: String
  public var language: Language
  public var plan: PlanStatus
  public var context: [String: any Sendable]
}

/// The decision (DESIGN.md section 1): coverage × plan × business hours →
/// a template and the facts it states.
///
/// | plan \ coverage | covered | uncovered | unclassified | other |
/// |---|---|---|---|---|
/// | contract | contract | contract | contract | other |
/// | basic | covered | uncovered | unclassified | other |
/// | expired | expired | expired | expired | other |
/// | unknown sender | unknown | unknown | unknown | other |
///
/// A licence key quoted from an address that is not on the customer's record
/// gets `unverified`: a neutral answer that names nothing about the customer.
public struct ReplyPlanner: Sendable {
  public var policy: Policy
  public var calendar: SupportCalendar

  public init(policy: Policy, calendar: SupportCalendar? = nil) {
    self.policy = policy
    self.calendar = calendar ?? SupportCalendar(closedDays: policy.closedDays)
  }

  public func plan(
    coverage: Coverage, category: String?, categoryTitle: String?, identification: Identification,
    language: Language, now: Date, ticket: String, subject: String
  ) -> ReplyPlan {
    let today = LocalDay(now, in: calendar.timeZone)
    let customer = identification.customer
    let plan = customer?.plan(on: today) ?? .unknown
    let template: String
    if coverage == .other {
      template = "other"
    } else if customer != nil, !identification.senderIsOnRecord {
      template = "unverified"
    } else {
      switch (plan, coverage) {
      case (.contract, _): template = "contract"
      case (.basic, .covered): template = "covered"
      case (.basic, .uncovered): template = "uncovered"
      case (.basic, _): template = "unclassified"
      case (.expired, _): template = "expired"
      case (.unknown, _): template = "unknown"
      }
    }

    let response = calendar.response(at: now)
    var context: [String: any Sendable] = [
      "ticket": ticket,
      "subject": subject,
      "category": category ?? "",
      // Category titles are written in Polish: English replies leave them out.
      "categoryTitle": language == .pl ? categoryTitle ?? "" : "",
      "nextResponse": Wording.response(response, today: today, calendar: calendar, language),
      "openNow": response.isOpenNow,
      "pricePerSeat": Wording.money(policy.pricePerSeat, language),
      "monthlyHours": Wording.hours(policy.monthlyHours, language),
      "hotline": policy.hotline,
      "salesAddress": policy.salesAddress,
      "supportHours": "\(calendar.opening):00–\(calendar.closing):00",
      "signature": language == .pl ? policy.signature : policy.signatureEnglish,
      "keyFormat": policy.keyPattern.pattern,
    ]
    // What the customer list says is shown only to addresses on the customer's record.
    if let customer, identification.senderIsOnRecord {
      context["company"] = customer.company
      context["customerId"] = customer.id
      context["seats"] = Wording.seats(customer.seats, language)
      context["priceTotal"] = Wording.money(policy.pricePerSeat * customer.seats, language)
      switch plan {
      case .contract(let until), .basic(let until): context["planUntil"] = Wording.date(until, language)
      case .expired(let since): context["expiredSince"] = Wording.date(since, language)
      case .unknown: break
      }
    }
    return ReplyPlan(template: template, language: language, plan: plan, context: context)
  }
}
