import Foundation
import MailMessage
import MailStackTestSupport
import MailTransport
import Testing

/// `supportbot run` killed with SIGKILL at random moments: whatever it was
/// doing, every mail ends up with exactly one reply. The bot works in a folder
/// of klient@example.test of its own, so this runs beside the other suites.
@Suite("supportbot run survives SIGKILL", .enabled(if: MailStack.isAvailable))
struct CrashTests {
  let stack = MailStack.current!
  let account = MailStack.customer

  func environment(folder: String, state: String, smtp: String) -> [String: String] {
    [
      "PATH": "/usr/bin:/bin",
      "SUPPORTBOT_IMAP_URL": "\(stack.imapsURL)/\(folder)", "SUPPORTBOT_IMAP_USER": account,
      "SUPPORTBOT_IMAP_PASSWORD": stack.password, "SUPPORTBOT_SMTP_URL": smtp,
      "SUPPORTBOT_CA_FILE": stack.caFile, "SUPPORTBOT_STATE": state, "SUPPORTBOT_POLL_SECONDS": "5",
      // The stack files what the account submits in Sent, as Gmail does: the
      // bot can tell after a crash whether a reply went out.
      "SUPPORTBOT_SENT_COPY": "server", "SUPPORTBOT_SENT_GRACE_SECONDS": "2",
      "SUPPORTBOT_HOURLY_CAP": "1000",
      // Answered mails are moved out of the mailbox: kills also fall between a reply and its move.
      "SUPPORTBOT_FOLDER_COVERED": "\(folder)-Obsłużone", "SUPPORTBOT_FOLDER_UNCOVERED": "\(folder)-Obsłużone",
      "SUPPORTBOT_FOLDER_OTHER": "\(folder)-Obsłużone", "SUPPORTBOT_FOLDER_UNCLASSIFIED": "\(folder)-Obsłużone",
      "SUPPORTBOT_RULES": URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("rules").path,
    ]
  }

  /// Starts `supportbot run`, its log appended to `log`.
  func start(_ environment: [String: String], log: URL) throws -> Process {
    if !FileManager.default.fileExists(atPath: log.path) {
      _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    }
    let handle = try FileHandle(forWritingTo: log)
    handle.seekToEndOfFile()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: supportbotBinary)
    process.arguments = ["run"]
    process.environment = environment
    process.standardOutput = FileHandle.nullDevice
    process.standardError = handle
    try process.run()
    return process
  }

  /// The count on a line of `supportbot status` (`sent     12`).
  func statusCount(_ name: String, in output: String) throws -> Int? {
    output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix(name + " ") }
      .flatMap {
        Int($0.split(separator: " ").last ?? "")
      }
  }

  /// A new folder holding `count` unread customer mails from senders tagged `tag`; their Message-IDs.
  func fill(_ folder: String, with count: Int, tag: String) async throws -> [String] {
    let client = try stack.imap(account)
    try await client.createMailbox(folder)
    var ids: [String] = []
    for number in 0..<count {
      let id = uniqueMessageID()
      ids.append(id)
      let appended = try await client.append(
        customerMail(
          from: "\(tag)-\(number)@customers.example.test", to: account, subject: "Zgłoszenie \(number)",
          body: "Program pokazuje błąd \(number).", messageID: id), to: folder)
      // New mail is unread; libcurl's APPEND marks it read.
      let (validity, uid) = try #require(appended)
      try await client.store(in: folder, uidValidity: validity, uids: [uid], flags: ["\\Seen"], add: false)
    }
    return ids
  }

  @Test("SIGTERM in the middle of a batch: the mail in hand is finished, nothing is lost, nothing answered twice")
  func stoppedMidBatch() async throws {
    let tag = "term-\(UUID().uuidString.prefix(8).lowercased())"
    let folder = "Term-\(tag)"
    let ids = try await fill(folder, with: 20, tag: tag)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(tag)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let state = directory.appendingPathComponent("state.sqlite").path
    let log = directory.appendingPathComponent("supportbot.log")
    // The slow port takes a second per reply: the stop falls while a reply is in the server's hands.
    let process = try start(environment(folder: folder, state: state, smtp: stack.slowSubmissionURL), log: log)
    // Stop once the first reply is out: the second mail is in hand then.
    let deadline = ContinuousClock.now + .seconds(60)
    while (try? String(contentsOf: log, encoding: .utf8))?.contains(" replied ") != true, ContinuousClock.now < deadline
    {
      try await Task.sleep(for: .milliseconds(50))
    }
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let text = try String(contentsOf: log, encoding: .utf8)
    #expect(text.contains("stopping: the mail in hand is finished first"))
    #expect(text.contains("stopped"))
    // Finished, not interrupted: no reply is left half-way, and the batch was cut short.
    var status = try runSupportbot(["status"], environment: ["SUPPORTBOT_STATE": state])
    #expect(status.output.contains("sending  0"), "\(status.output)")
    let sentBefore = try #require(try statusCount("sent", in: status.output))
    #expect(sentBefore >= 1 && sentBefore < ids.count, "\(status.output)")

    // The next run answers the rest; each mail has exactly one reply.
    let next = try runSupportbot(
      ["run", "--once"], environment: environment(folder: folder, state: state, smtp: stack.submissionURL))
    #expect(next.status == 0, "\(next.errors)")
    _ = try await stack.waitForMessages(
      MailStack.catchall, header: "To", contains: tag, count: ids.count, timeout: .seconds(60))
    try await Task.sleep(for: .seconds(2))  // room for a wrong second reply
    let replies = try await stack.waitForMessages(
      MailStack.catchall, header: "To", contains: tag, count: ids.count + 1, timeout: .zero)
    #expect(replies.count == ids.count)
    #expect(Set(replies.map { Message(parsing: $0).inReplyTo.first ?? "?" }) == Set(ids))
    status = try runSupportbot(["status"], environment: ["SUPPORTBOT_STATE": state])
    #expect(status.output.contains("sent     20"), "\(status.output)")
  }

  @Test(
    "100 mails, SIGKILL at 20 random moments: every mail has exactly one reply, is filed once, and the state agrees")
  func killedAtRandom() async throws {
    let tag = "crash-\(UUID().uuidString.prefix(8).lowercased())"
    let folder = "Crash-\(tag)"
    let client = try stack.imap(account)
    let ids = try await fill(folder, with: 100, tag: tag)
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(tag)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let state = directory.appendingPathComponent("state.sqlite").path
    let log = directory.appendingPathComponent("supportbot.log")
    // While it is killed, the server takes a second to accept each reply, so
    // most kills fall while a reply is in its hands; the last run drains fast.
    let slow = environment(folder: folder, state: state, smtp: stack.slowSubmissionURL)
    let fast = environment(folder: folder, state: state, smtp: stack.submissionURL)

    var delays: [Int] = []
    for _ in 0..<20 {
      let process = try start(slow, log: log)
      let delay = Int.random(in: 200...2500)
      delays.append(delay)
      try await Task.sleep(for: .milliseconds(delay))
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }

    let last = try start(fast, log: log)
    defer { if last.isRunning { last.terminate() } }
    let replies = try await stack.waitForMessages(
      MailStack.catchall, header: "To", contains: tag, count: 100, timeout: .seconds(120))
    try await Task.sleep(for: .seconds(3))  // room for a wrong second reply to arrive
    let all = try await stack.waitForMessages(
      MailStack.catchall, header: "To", contains: tag, count: 101, timeout: .zero)
    let answered = all.map { Message(parsing: $0).inReplyTo.first ?? "?" }
    #expect(replies.count >= 100)
    #expect(all.count == 100, "kills after (ms): \(delays)")
    #expect(Set(ids).subtracting(answered).isEmpty, "unanswered; kills after (ms): \(delays)")

    // How often a kill fell between handing a reply to SMTP and recording it.
    let text = try String(contentsOf: log, encoding: .utf8)
    let settled = text.components(separatedBy: "interrupted by a stop").count - 1
    print("crash test: \(delays.count) kills, \(settled) replies settled after one; log in \(log.path)")
    // A reply interrupted by the last kill is settled on a pass after the grace time.
    var status = try runSupportbot(["status"], environment: ["SUPPORTBOT_STATE": state])
    let deadline = ContinuousClock.now + .seconds(30)
    while !status.output.contains("sending  0"), ContinuousClock.now < deadline {
      try await Task.sleep(for: .seconds(1))
      status = try runSupportbot(["status"], environment: ["SUPPORTBOT_STATE": state])
    }
    // Every mail left the mailbox for the filing folder, each exactly once.
    var left = try await client.status(of: folder).messages ?? -1
    while left != 0, ContinuousClock.now < deadline + .seconds(30) {
      try await Task.sleep(for: .seconds(1))
      left = try await client.status(of: folder).messages ?? -1
    }
    #expect(left == 0, "mails not filed; log in \(log.path)")
    let filed = try await stack.waitForMessages(
      account, mailbox: "\(folder)-Obsłużone", header: "Message-ID", contains: "@", count: 101, timeout: .zero)
    #expect(filed.count == 100)
    #expect(Set(filed.compactMap { Message(parsing: $0).messageID }) == Set(ids))
    kill(last.processIdentifier, SIGTERM)
    last.waitUntilExit()
    #expect(last.terminationStatus == 0)
    #expect(status.output.contains("sent     100"), "\(status.output)")
    #expect(status.output.contains("sending  0"), "\(status.output)")
    #expect(status.output.contains("failed   0"), "\(status.output)")
  }
}
