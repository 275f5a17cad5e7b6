import Foundation
import Logging
import Synchronization
import Triage

/// The rules the running bot classifies with. Before each pass it looks at
/// the rule files' modification times; when they changed, it loads them
/// again. A change that does not pass the check is refused: its errors are
/// logged and the previous rules keep working.
public final class RuleBook: Sendable {
  public let directory: String
  private struct State {
    var classifier: Classifier?
    var fingerprint: [String: UInt64]?
  }
  private let state = Mutex(State())

  public init(directory: String) {
    self.directory = directory
  }

  /// The classifier to use now, reloading first if the files changed; nil
  /// when no valid rules were ever loaded (every mail is then unclassified).
  public func current(logger: Logger) -> Classifier? {
    let fingerprint = RuleLoader.fingerprint(directory: directory)
    let known = state.withLock { $0.fingerprint }
    if fingerprint == known { return state.withLock { $0.classifier } }

    let (rules, diagnostics) = RuleLoader.load(directory: directory)
    return state.withLock { state in
      state.fingerprint = fingerprint
      guard let rules else {
        let errors = diagnostics.filter { $0.severity == .error }
        let keeping =
          state.classifier == nil
          ? "no rules are in force: every mail is unclassified" : "the previous rules stay in force"
        logger.error(
          "the rules in \(directory) have \(errors.count) error(s); \(keeping)",
          metadata: ["errors": "\(errors.prefix(10).map(\.description).joined(separator: " | "))"])
        return state.classifier
      }
      for warning in diagnostics where warning.severity == .warning {
        logger.notice("rules: \(warning)")
      }
      let reloaded = state.classifier != nil
      state.classifier = Classifier(rules)
      logger.info(
        "\(reloaded ? "reloaded" : "loaded") the rules from \(directory)",
        metadata: ["categories": "\(rules.categories.count)"])
      return state.classifier
    }
  }
}
