import Foundation
import MailMessage
import Triage

/// Everything that decides about a mail at one moment: the rules, the gate
/// and the desk in force. The engine makes one for every pass from what its
/// loaders hold, the offline commands (`classify`, `preview`) make one from
/// the files; both make it here, the one way.
public struct Decider: Sendable {
  /// The classification rules; nil: every mail is unclassified.
  public var classifier: Classifier?
  public var gate: Gate
  /// The policy, templates and customers; nil (none loaded): the engine sends its fixed acknowledgement.
  public var desk: Desk?

  /// - Parameters:
  ///   - ownAddresses: the bot's addresses: never answered (the loop guard).
  public init(
    classifier: Classifier?, setup: DeskSetup?, customers: CustomerDirectory?, ownAddresses: [String],
    rateLimits: RateLimits = .init(), firstStartWindow: TimeInterval = 24 * 3600, attemptsPerMail: Int = 3
  ) {
    self.classifier = classifier
    let gate = Gate(
      ownAddresses: ownAddresses, rules: classifier?.rules, rateLimits: rateLimits,
      firstStartWindow: firstStartWindow, attemptsPerMail: attemptsPerMail)
    self.gate = gate
    desk = setup.map { Desk(setup: $0, customers: customers, gate: gate, rules: classifier?.rules) }
  }

  /// What the rules make of a mail; nil without rules.
  public func classify(_ message: Message, explain: Bool) -> TriageResult? {
    classifier?.classify(TriageInput(message), explain: explain)
  }
}
