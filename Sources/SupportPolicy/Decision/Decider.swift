import Foundation
import MailMessage
import Triage

/// Everything that decides about a mail at one moment: the rules, the gate
/// and, once the policy and templates are loaded, the desk. The engine makes
/// one for every pass from what its loaders hold; the offline commands
/// (`classify`, `preview`) make one from the files. Both make it here, and
/// their desk with `Desk(setup:customers:decider:)`: the one way.
public struct Decider: Sendable {
  /// The classification rules; nil: every mail is unclassified.
  public var classifier: Classifier?
  public var gate: Gate
  /// The policy, templates and customers; nil (none loaded): the engine sends its fixed acknowledgement.
  public var desk: Desk?

  /// - Parameters:
  ///   - ownAddresses: the bot's addresses: never answered (the loop guard).
  public init(
    classifier: Classifier?, ownAddresses: [String], rateLimits: RateLimits = .init(),
    firstStartWindow: TimeInterval = 24 * 3600, attemptsPerMail: Int = 3
  ) {
    self.classifier = classifier
    gate = Gate(
      ownAddresses: ownAddresses, rules: classifier?.rules, rateLimits: rateLimits,
      firstStartWindow: firstStartWindow, attemptsPerMail: attemptsPerMail)
  }

  /// This decider with the desk of `setup` (none without one).
  public func with(setup: DeskSetup?, customers: CustomerDirectory?) -> Decider {
    var decider = self
    decider.desk = setup.map { Desk(setup: $0, customers: customers, decider: self) }
    return decider
  }

  /// What the rules make of a mail; nil without rules.
  public func classify(_ message: Message, explain: Bool) -> TriageResult? {
    classifier?.classify(TriageInput(message), explain: explain)
  }
}

extension Desk {
  /// The desk of `setup`, deciding with `decider`'s gate and naming the
  /// categories of its rules.
  public init(setup: DeskSetup, customers: CustomerDirectory?, decider: Decider) {
    self.init(setup: setup, customers: customers, gate: decider.gate, rules: decider.classifier?.rules)
  }
}
