import Foundation
import MailMessage

/// A customer's support status on a given day.
public enum PlanStatus: Sendable, Equatable {
  /// Under the service contract ("stały nadzór"), up to and including `until`.
  case contract(until: LocalDay)
  /// Free basic support (12 months from purchase or update), up to and including `until`.
  case basic(until: LocalDay)
  /// Basic support ended; `since` is the first day without it.
  case expired(since: LocalDay)
  /// The sender is not a known customer.
  case unknown

  /// `contract`, `basic`, `expired` or `unknown`, as in logs and `classify --json`.
  public var name: String {
    switch self {
    case .contract: "contract"
    case .basic: "basic"
    case .expired: "expired"
    case .unknown: "unknown"
    }
  }
}

extension Customer {
  /// The first day basic support no longer covers: 12 months after the
  /// purchase or update (bought on 29 February, covered until 28 February).
  public var basicSupportEnds: LocalDay {
    let anniversary = updated.adding(months: 12)
    return anniversary.day < updated.day ? anniversary.next : anniversary
  }

  /// The plan on `day`. A contract covers everything, with or without a current version.
  public func plan(on day: LocalDay) -> PlanStatus {
    if let contractUntil, day <= contractUntil { return .contract(until: contractUntil) }
    let ends = basicSupportEnds
    if day < ends { return .basic(until: LocalDay(ordinal: ends.ordinal - 1)) }
    return .expired(since: ends)
  }
}
