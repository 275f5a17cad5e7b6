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
    let classifier = Classifier(try rules.load())
    let (setup, problems) = DeskSetup.load(rulesDirectory: rules.resolved)
    for problem in problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
    guard let setup else {
      throw Failure(message: "the policy or templates in \(rules.resolved) have errors (listed above)")
    }
    var directory: CustomerDirectory?
    if let path = customers ?? ProcessInfo.processInfo.environment["SUPPORTBOT_CUSTOMERS"] {
      let (list, problems) = CustomerList.load(path: path, keyPattern: setup.policy.keyPattern)
      for problem in problems { FileHandle.standardError.write(Data("\(problem)\n".utf8)) }
      guard let list else { throw Failure(message: "the customer list \(path) has errors (listed above)") }
      directory = CustomerDirectory(list, keyPattern: setup.policy.keyPattern)
    }
    let environment = ProcessInfo.processInfo.environment
    let ownAddresses = [environment["SUPPORTBOT_ADDRESS"], environment["SUPPORTBOT_IMAP_USER"]].compactMap { $0 }
    let desk = Desk(
      setup: setup, customers: directory, loopGuard: LoopGuard(ownAddresses: ownAddresses), rules: classifier.rules)
    return (classifier, desk)
  }
}

/// Reads a saved mail or fails naming it.
func readMail(_ file: String) throws -> Message {
  guard let data = FileManager.default.contents(atPath: file) else {
    throw Failure(message: "cannot read \(file): no such file or not readable")
  }
  return Message(parsing: [UInt8](data))
}
