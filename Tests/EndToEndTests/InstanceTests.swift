import Foundation
import MailMessage
import MailStackTestSupport
import Testing

/// Two bots on one state database, and a bot on a new state database, over
/// the real stack: neither answers a mail twice.
extension CrashTests {
  /// A folder of `count` mails, a fresh state folder, and the log file.
  func scene(
    _ kind: String, mails count: Int
  ) async throws -> (
    tag: String, folder: String, ids: [String], directory: URL
  ) {
    let tag = "\(kind)-\(UUID().uuidString.prefix(8).lowercased())"
    let folder = "\(kind.capitalized)-\(tag)"
    let ids = try await fill(folder, with: count, tag: tag)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(tag)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return (tag, folder, ids, directory)
  }

  /// Waits until `log` contains `text`; false after `timeout`.
  func wait(for text: String, in log: URL, timeout: Duration = .seconds(60)) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if (try? String(contentsOf: log, encoding: .utf8))?.contains(text) == true { return true }
      try await Task.sleep(for: .milliseconds(50))
    }
    return false
  }

  /// The replies to senders tagged `tag`, after room for a wrong extra one to arrive.
  func replies(tag: String, expected: Int) async throws -> [String] {
    _ = try await stack.waitForMessages(
      MailStack.catchall, header: "To", contains: tag, count: expected, timeout: .seconds(90))
    try await Task.sleep(for: .seconds(3))
    return try await stack.waitForMessages(
      MailStack.catchall, header: "To", contains: tag, count: expected + 1, timeout: .zero
    ).map { Message(parsing: $0).inReplyTo.first ?? "?" }
  }

  @Test("a second service on the same state waits as a standby, a --once run refuses, and the standby takes over")
  func secondInstance() async throws {
    let (tag, folder, ids, directory) = try await scene("twice", mails: 12)
    let state = directory.appendingPathComponent("state.sqlite").path
    let slow = environment(folder: folder, state: state, smtp: stack.slowSubmissionURL)
    let firstLog = directory.appendingPathComponent("first.log")
    let secondLog = directory.appendingPathComponent("second.log")
    let first = try start(slow, log: firstLog)
    defer { if first.isRunning { first.terminate() } }
    #expect(try await wait(for: " replied ", in: firstLog), "the first bot answers")

    let second = try start(environment(folder: folder, state: state, smtp: stack.submissionURL), log: secondLog)
    defer { if second.isRunning { second.terminate() } }
    #expect(try await wait(for: "standby: pid \(first.processIdentifier) on ", in: secondLog))
    let once = try runSupportbot(["run", "--once"], environment: slow)
    #expect(once.status != 0)
    #expect(once.errors.contains("pid \(first.processIdentifier) on"), "\(once.errors)")
    #expect(once.errors.contains("this run does nothing"), "\(once.errors)")

    // The first dies without a word; the standby finishes the work.
    kill(first.processIdentifier, SIGKILL)
    first.waitUntilExit()
    #expect(try await wait(for: "taking over: the other instance stopped", in: secondLog))
    let answered = try await replies(tag: tag, expected: ids.count)
    #expect(answered.count == ids.count, "logs in \(directory.path)")
    #expect(Set(answered) == Set(ids))
  }

  @Test("a new state database answers nothing the mailbox says was answered, wherever the bot is started")
  func newStateFile() async throws {
    let (tag, folder, ids, directory) = try await scene("newstate", mails: 5)
    // No filing folders: the answered mails stay in the mailbox, flagged.
    var settings = environment(
      folder: folder, state: directory.appendingPathComponent("first.sqlite").path, smtp: stack.submissionURL)
    for name in settings.keys where name.hasPrefix("SUPPORTBOT_FOLDER_") { settings[name] = nil }
    let first = try runSupportbot(["run", "--once"], environment: settings)
    #expect(first.status == 0, "\(first.errors)")
    #expect(first.errors.contains("a new state database: \(directory.path)/first.sqlite"), "\(first.errors)")
    #expect(try await replies(tag: tag, expected: ids.count).count == ids.count)

    settings["SUPPORTBOT_STATE"] = directory.appendingPathComponent("moved.sqlite").path
    let again = try runSupportbot(["run", "--once"], environment: settings)
    #expect(again.status == 0, "\(again.errors)")
    #expect(again.errors.contains("0 replied"), "\(again.errors)")
    #expect(again.errors.components(separatedBy: "this state database has no record of it").count - 1 == ids.count)
    #expect(try await replies(tag: tag, expected: ids.count).count == ids.count, "no second reply")
  }
}
