import ArgumentParser
import Foundation
import MailMessage
import SupportDesk
import SupportPolicy
import Triage

/// What the offline commands need to decide like the service: the rules, the
/// policy and templates, the customer list and the moment.
struct DeskOptions: ParsableArguments {
  @OptionGroup var rules: RulesLocation

  @Option(help: "The customer list, CSV (default: SUPPORTBOT_CUSTOMERS; none: every sender is unknown).")
  var customers: String?

  @Option(help: "Decide as at this moment, ISO 8601 like 2026-11-27T15:59:00+01:00 (default: now).")
  var at: String?

  func moment() throws -> Date {
    guard let at else { return Date() }
    let formatter = ISO8601DateFormatter()
    for options: ISO8601DateFormatter.Options in [
      [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds], [.withFullDate],
    ] {
      formatter.formatOptions = options
      if let date = formatter.date(from: at) { return date }
    }
    throw Failure(message: "--at '\(at)' is not an ISO 8601 moment; write it like 2026-11-27T15:59:00+01:00")
  }

  /// The classifier and the desk, or a failure listing every file error.
  func load() throws -> (Classifier, Desk) {
    let classifier = try rules.loadClassifier()
    let (setup, problems) = DeskSetup.load(rulesDirectory: rules.resolved)
    for problem in problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
    guard let setup else {
      throw Failure(message: "the policy or templates in \(rules.resolved) have errors (listed above)")
    }
    let environment = ProcessInfo.processInfo.environment
    var directory: CustomerDirectory?
    if let path = customers ?? SettingVariable.customers.value(in: environment) {
      let (loaded, problems) = CustomerDirectory.load(path: path, keyPattern: setup.policy.keyPattern)
      for problem in problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
      guard let loaded else { throw Failure(message: "the customer list \(path) has errors (listed above)") }
      directory = loaded
    }
    // The engine's way: the same gate, the same desk, the bot's addresses as the service has them.
    let decider = Decider(classifier: classifier, ownAddresses: Settings.ownAddresses(in: environment))
    return (classifier, Desk(setup: setup, customers: directory, decider: decider))
  }
}

/// Reads a saved mail or fails naming it.
func readMail(_ file: String) throws -> Message {
  guard let data = FileManager.default.contents(atPath: file) else {
    throw Failure(message: "cannot read \(file): no such file or not readable")
  }
  return Message(parsing: [UInt8](data))
}
