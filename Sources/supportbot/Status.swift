import ArgumentParser
import Foundation
import SupportDesk
import SupportPolicy

struct Status: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show what the state database knows: where each mailbox stands and the mails by outcome."
  )

  @Option(
    help: "The state database (default: SUPPORTBOT_STATE or the config's 'state', else as `supportbot run` finds it).")
  var state: String?

  @OptionGroup var configuration: ConfigOptions

  func run() async throws {
    try await reportingFailures(show)
  }

  private func show() async throws {
    var environment = try configuration.environment()
    if let state { environment[SettingVariable.state.name] = state }
    let path: String
    do {
      path = try Settings.statePath(in: environment)
    } catch {
      throw Failure(message: error.message, exitCode: .configuration)
    }
    guard FileManager.default.fileExists(atPath: path) else {
      throw Failure(
        message: "no state database at \(path): the bot has not run yet, or SUPPORTBOT_STATE points elsewhere")
    }
    let store = try SQLiteStateStore(path: path)
    print("state database: \(path)")
    switch try InstanceLock.acquire(beside: path) {
    case .acquired: print("no bot is working with it now")
    case .heldBy(let holder): print("in use by \(holder)")
    }
    for cursor in try await store.cursors() {
      print("mailbox \(cursor.mailbox): UIDVALIDITY \(cursor.uidValidity), last UID handled \(cursor.lastUID)")
    }
    let counts = try await store.counts()
    for status in MailStatus.allCases {
      print("  \(status.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0)) \(counts[status] ?? 0)")
    }
    for status in [MailStatus.sending, .retry, .failed] {
      for record in try await store.records(withStatus: status) {
        print(
          "\(status.rawValue): UID \(record.uid) from \(record.sender ?? "?") — \(record.subject ?? "")"
            + (record.lastError.map { " (\($0))" } ?? ""))
      }
    }
  }
}
