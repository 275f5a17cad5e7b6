import Foundation
import Logging
import MailMessage
import MailStackTestSupport
import MailTransport
import SupportDesk
import SupportPolicy
import Testing

/// Postfix stopped and Dovecot restarted in the middle of a run. These stop
/// daemons, so they run on a mail stack of their own (ports 21000+), one
/// test after the other.
@Suite("Faults: mail servers going away mid-run", .serialized, .enabled(if: MailStack.isAvailable))
struct FaultTests {
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent("supportbot-fault-stack").path

  /// `count` unread customer mails in support's INBOX, from distinct senders tagged `tag`.
  func deliver(_ count: Int, tag: String, on stack: MailStack) async throws -> [String] {
    let client = try stack.imap(MailStack.support)
    var ids: [String] = []
    for number in 0..<count {
      let id = uniqueMessageID()
      ids.append(id)
      let appended = try await client.append(
        customerMail(
          from: "\(tag)-\(number)@customers.example.test", subject: "Awaria \(number)", body: "Nie działa \(number).",
          messageID: id), to: "INBOX")
      let (validity, uid) = try #require(appended)
      try await client.store(in: "INBOX", uidValidity: validity, uids: [uid], flags: ["\\Seen"], add: false)
    }
    return ids
  }

  /// Waits up to `timeout` for `condition`.
  func waitUntil(timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
  }

  /// Every original answered exactly once, judged from the customers' side.
  func expectOneReplyEach(_ ids: [String], tag: String, on stack: MailStack) async throws {
    _ = try await stack.waitForMessages(
      MailStack.catchall, header: "To", contains: tag, count: ids.count, timeout: .seconds(60))
    try await Task.sleep(for: .seconds(2))  // room for a wrong second reply
    let replies = try await stack.waitForMessages(
      MailStack.catchall, header: "To", contains: tag, count: ids.count + 1, timeout: .zero)
    let answered = replies.map { Message(parsing: $0).inReplyTo.first ?? "?" }
    #expect(replies.count == ids.count)
    #expect(Set(answered) == Set(ids))
  }

  @Test("Postfix stopped part-way through a pass: the rest is deferred, and once it is back every reply arrives once")
  func postfixStopped() async throws {
    let stack = try MailStack.startPrivate(in: directory, base: 21000)
    defer { try? stack.stop() }
    let tag = "postfix-\(UUID().uuidString.prefix(8).lowercased())"
    let ids = try await deliver(12, tag: tag, on: stack)
    let settings = Settings(
      imap: try ServerEndpoint("\(stack.imapsURL)/INBOX", service: .imap),
      imapAccount: Account(user: MailStack.support, password: Secret(stack.password)),
      // The slow port takes a second per reply, so Postfix stops mid-pass.
      smtp: try ServerEndpoint(stack.slowSubmissionURL, service: .smtp),
      smtpAccount: Account(user: MailStack.support, password: Secret(stack.password)),
      transport: stack.options, botAddress: MailAddress(name: "Pomoc", address: MailStack.support),
      statePath: "unused", sentCopy: .server, sentGrace: 60)
    let store = try SQLiteStateStore(
      path: FileManager.default.temporaryDirectory.appendingPathComponent("\(tag)/state.sqlite").path)
    let start = Date()
    func engine(at moment: Date) -> Engine {
      Engine(
        settings: settings,
        imap: IMAPClient(
          endpoint: settings.imap, account: settings.imapAccount, options: settings.transport, logger: MailStack.logger),
        smtp: SMTPClient(
          endpoint: settings.smtp, account: settings.smtpAccount, options: settings.transport,
          logger: MailStack.logger),
        store: store, logger: MailStack.logger, now: { moment })
    }

    let pass = Task { try await engine(at: start).runOnce() }
    try await waitUntil { try await store.counts()[.sent, default: 0] >= 3 }
    try stack.stopPostfix()
    let interrupted = try await pass.value
    #expect(interrupted.deferred > 0, "\(interrupted)")
    #expect(interrupted.replied < 12)

    try stack.startPostfix()
    try await Task.sleep(for: .seconds(2))  // what Postfix had queued goes out first
    let later = try await engine(at: start.addingTimeInterval(3600)).runOnce()
    #expect(later.retried + later.recovered == interrupted.deferred, "\(later)")
    try await expectOneReplyEach(ids, tag: tag, on: stack)
    #expect(try await store.counts() == [.sent: 12])
  }

  @Test("Dovecot restarted mid-run: the service reconnects and finishes, each mail answered once")
  func dovecotRestarted() async throws {
    let stack = try MailStack.startPrivate(in: directory, base: 21000)
    defer { try? stack.stop() }
    let tag = "dovecot-\(UUID().uuidString.prefix(8).lowercased())"
    let ids = try await deliver(10, tag: tag, on: stack)
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent(tag)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let state = folder.appendingPathComponent("state.sqlite").path
    let log = folder.appendingPathComponent("supportbot.log")
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: supportbotBinary)
    process.arguments = ["run"]
    process.environment = [
      "PATH": "/usr/bin:/bin", "SUPPORTBOT_IMAP_URL": "\(stack.imapsURL)/INBOX",
      "SUPPORTBOT_IMAP_USER": MailStack.support, "SUPPORTBOT_IMAP_PASSWORD": stack.password,
      "SUPPORTBOT_SMTP_URL": stack.slowSubmissionURL, "SUPPORTBOT_CA_FILE": stack.caFile,
      "SUPPORTBOT_STATE": state, "SUPPORTBOT_POLL_SECONDS": "5", "SUPPORTBOT_SENT_COPY": "server",
      "SUPPORTBOT_RULES": URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("rules").path,
    ]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = try FileHandle(forWritingTo: log)
    try process.run()
    defer { if process.isRunning { process.terminate() } }

    // Restart once three replies went out: the bot is in the middle of its pass.
    let store = try SQLiteStateStore(path: state)
    try await waitUntil { (try? await store.counts()[.sent, default: 0]) ?? 0 >= 3 }
    try stack.restartDovecot()
    // A reply Postfix took while Dovecot was down waits in its queue for the
    // next retry (minutes): the server's job, not the bot's. Hurry it along.
    try await waitUntil { (try? await store.counts()[.sent, default: 0]) ?? 0 >= ids.count }
    try stack.flushPostfixQueue()
    try await expectOneReplyEach(ids, tag: tag, on: stack)

    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    let text = try String(contentsOf: log, encoding: .utf8)
    #expect(process.terminationStatus == 0, "\(text)")
    #expect(text.contains("pass failed, will try again"), "\(text)")
    let status = try runSupportbot(["status"], environment: ["SUPPORTBOT_STATE": state])
    #expect(status.output.contains("sent     10"), "\(status.output)")
  }
}
