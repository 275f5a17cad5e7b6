import Foundation
import Logging
import MailMessage
import SupportPolicy
import Synchronization
import Triage

/// Something staff keep in files that the running bot uses: the rules, the
/// policy and templates, the customer list. Before each pass the files'
/// contents are hashed; when they changed, they are loaded again. A change
/// that does not pass its checks is refused: its errors are logged and the
/// previous version stays in force.
public final class Reloadable<Value: Sendable>: Sendable {
  /// What it is, for the log: "the rules in rules".
  public let name: String
  private let paths: @Sendable () -> [String]
  private let loader: @Sendable () -> (Value?, [Diagnostic])
  private struct State {
    var value: Value?
    var fingerprint: [String: UInt64]?
  }
  private let state = Mutex(State())

  public init(
    name: String, paths: @escaping @Sendable () -> [String], load: @escaping @Sendable () -> (Value?, [Diagnostic])
  ) {
    self.name = name
    self.paths = paths
    self.loader = load
  }

  /// The value to use now, reloading first if the files changed; nil when no
  /// valid version was ever loaded.
  public func current(logger: Logger) -> Value? {
    var fingerprint: [String: UInt64] = [:]
    for path in paths() {
      fingerprint[path] = FNV1a.hash(FileManager.default.contents(atPath: path) ?? Data())
    }
    let known = state.withLock { $0.fingerprint }
    if fingerprint == known { return state.withLock { $0.value } }

    let (loaded, diagnostics) = loader()
    return state.withLock { state in
      state.fingerprint = fingerprint
      guard let loaded else {
        let errors = diagnostics.filter { $0.severity == .error }
        let keeping = state.value == nil ? "nothing is in force" : "the previous version stays in force"
        logger.error(
          "\(name) have \(errors.count) error(s); \(keeping)",
          metadata: ["errors": "\(errors.prefix(10).map(\.description).joined(separator: " | "))"])
        return state.value
      }
      for warning in diagnostics where warning.severity == .warning {
        logger.notice("\(warning)")
      }
      logger.info("\(state.value == nil ? "loaded" : "reloaded") \(name)")
      state.value = loaded
      return loaded
    }
  }
}
