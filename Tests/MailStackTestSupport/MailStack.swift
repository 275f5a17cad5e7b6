import Foundation
import Logging
import MailMessage
import MailTransport

/// The local Dovecot + Postfix started by `scripts/mailstack.sh`, as seen by
/// tests. The test script exports its settings (`MAILSTACK_*`); without them
/// the network tests are skipped, unless `SUPPORTBOT_REQUIRE_MAILSTACK=1`
/// (set by `scripts/test.sh`) makes their absence a failure.
public struct MailStack: Sendable {
  public let imapURL: String
  public let imapsURL: String
  public let smtpURL: String
  public let submissionURL: String
  /// Submission that takes a second before accepting each message (port 588).
  public let slowSubmissionURL: String
  public let caFile: String
  public let password: String

  /// Every mailbox the stack has (password `password`).
  public static let support = "support@example.test"
  public static let customer = "klient@example.test"
  public static let otherCustomer = "klient2@example.test"
  /// Receives the mail for every address @customers.example.test.
  public static let catchall = "catchall@example.test"

  /// The running stack, or nil when the environment does not name one.
  public static let current: MailStack? = from(ProcessInfo.processInfo.environment)

  /// Where the stack keeps its files (MAILSTACK_DIR), for the fault commands.
  public var directory: String?

  /// A stack from its MAILSTACK_* settings.
  static func from(_ environment: [String: String]) -> MailStack? {
    guard let imap = environment["MAILSTACK_IMAP"], let imaps = environment["MAILSTACK_IMAPS"],
      let smtp = environment["MAILSTACK_SMTP"], let submission = environment["MAILSTACK_SUBMISSION"],
      let ca = environment["MAILSTACK_CA"], let password = environment["MAILSTACK_PASSWORD"]
    else { return nil }
    return MailStack(
      imapURL: imap, imapsURL: imaps, smtpURL: smtp, submissionURL: submission,
      slowSubmissionURL: environment["MAILSTACK_SLOW_SUBMISSION"] ?? submission, caFile: ca, password: password,
      directory: environment["MAILSTACK_DIR"])
  }

  /// The project's mail stack script.
  static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("scripts/mailstack.sh").path

  /// Runs `scripts/mailstack.sh COMMAND DIRECTORY [BASE]`; its output
  /// (through `ChildProcess`, which says why not Foundation's Process).
  @discardableResult
  static func runScript(_ arguments: [String]) throws -> String {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("mailstack-\(UUID().uuidString).out")
      .path
    defer { try? FileManager.default.removeItem(atPath: output) }
    let ending = try ChildProcess.run("/bin/bash", [script] + arguments, output: output)
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    guard ending.exitCode == 0 else {
      throw MailStackError(message: "mailstack.sh \(arguments.joined(separator: " ")) failed: \(text)")
    }
    return text
  }

  /// Starts a stack of its own in `directory` on ports BASE+…, for tests that
  /// stop its daemons (which would break every other test on the shared one).
  public static func startPrivate(in directory: String, base: Int) throws -> MailStack {
    let output = try runScript(["reset", directory, "\(base)"])
    var environment: [String: String] = [:]
    for line in output.split(separator: "\n") where line.hasPrefix("MAILSTACK_") {
      let parts = line.split(separator: "=", maxSplits: 1)
      if parts.count == 2 { environment[String(parts[0])] = String(parts[1]) }
    }
    guard let stack = from(environment) else { throw MailStackError(message: "no settings in: \(output)") }
    return stack
  }

  /// Stops Postfix (mail waiting in its queue stays there).
  public func stopPostfix() throws { try Self.runScript(["postfix-stop", try requireDirectory()]) }
  public func startPostfix() throws { try Self.runScript(["postfix-start", try requireDirectory()]) }
  /// Delivers at once what Postfix deferred.
  public func flushPostfixQueue() throws { try Self.runScript(["postfix-flush", try requireDirectory()]) }
  /// Stops and starts Dovecot: every IMAP connection breaks.
  public func restartDovecot() throws { try Self.runScript(["dovecot-restart", try requireDirectory()]) }
  /// doveadm on this stack's Dovecot, for server-side states tests need (a huge UIDNEXT).
  @discardableResult
  public func doveadm(_ arguments: [String]) throws -> String {
    try Self.runScript(["doveadm", try requireDirectory()] + arguments)
  }
  public func stop() throws { try Self.runScript(["stop", try requireDirectory()]) }

  private func requireDirectory() throws -> String {
    guard let directory else { throw MailStackError(message: "MAILSTACK_DIR is not known") }
    return directory
  }

  public static var isAvailable: Bool { current != nil }
  public static var isRequired: Bool { ProcessInfo.processInfo.environment["SUPPORTBOT_REQUIRE_MAILSTACK"] == "1" }

  /// Quiet: tests that check what is logged pass their own in-memory logger.
  public static let logger = Logger(label: "tests") { _ in SwiftLogNoOpLogHandler() }

  public var options: TransportOptions { TransportOptions(caFile: caFile, connectTimeout: 10, stallTimeout: 20) }

  /// An IMAPS client logged in as `user`.
  public func imap(_ user: String, password: String? = nil, url: String? = nil) throws -> IMAPClient {
    IMAPClient(
      endpoint: try ServerEndpoint(url ?? imapsURL, service: .imap),
      account: Account(user: user, password: Secret(password ?? self.password)), options: options, logger: Self.logger)
  }

  /// An SMTP client for the submission port (STARTTLS + AUTH) logged in as `user`.
  public func submission(_ user: String, password: String? = nil) throws -> SMTPClient {
    SMTPClient(
      endpoint: try ServerEndpoint(submissionURL, service: .smtp),
      account: Account(user: user, password: Secret(password ?? self.password)), options: options, logger: Self.logger)
  }

  /// A new OAuth2 access token that the stack accepts for `user` (a line in DIR/tokens).
  public func issueToken(for user: String) throws -> String {
    let token = "tok-" + UUID().uuidString.lowercased()
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: try requireDirectory() + "/tokens"))
    defer { try? handle.close() }
    try handle.seekToEnd()
    try handle.write(contentsOf: Data("\(token) \(user)\n".utf8))
    return token
  }

  /// Delivers a raw message through port 25 (no login, as mail from the
  /// internet arrives), using our own SMTP client.
  public func inject(_ message: [UInt8], from sender: String, to recipients: [String]) async throws {
    let smtp = SMTPClient(
      endpoint: try ServerEndpoint(smtpURL, service: .smtp), account: nil, options: options, logger: Self.logger)
    _ = try await smtp.send(envelopeSender: sender, recipients: recipients, message: message)
  }

  /// Waits until `user`'s INBOX (or `mailbox`) holds messages whose header
  /// `name` contains `value`, and returns them raw. Postfix delivers asynchronously.
  public func waitForMessages(
    _ user: String, mailbox: String = "INBOX", header name: String, contains value: String, count: Int = 1,
    timeout: Duration = .seconds(30)
  ) async throws -> [[UInt8]] {
    let client = try imap(user)
    let deadline = ContinuousClock.now + timeout
    while true {
      let status = try await client.status(of: mailbox)
      let validity = status.uidValidity ?? 0
      // nil: the mailbox was (re)created between the two commands; look again.
      guard
        let uids = try await Self.search(client, mailbox: mailbox, validity: validity, header: name, contains: value)
      else {
        continue
      }
      if uids.count >= count || ContinuousClock.now > deadline {
        var messages: [[UInt8]] = []
        for uid in uids { messages.append(try await client.fetchMessage(in: mailbox, uidValidity: validity, uid: uid)) }
        return messages
      }
      try await Task.sleep(for: .milliseconds(200))
    }
  }

  /// The search, or nil when the UIDVALIDITY changed under it. (A `catch … where`
  /// on the typed error here crashes the Swift 6.3.1 compiler, hence the helper.)
  private static func search(
    _ client: IMAPClient, mailbox: String, validity: UInt32, header name: String, contains value: String
  )
    async throws -> [UInt32]?
  {
    do {
      return try await client.uids(in: mailbox, uidValidity: validity, header: name, contains: value)
    } catch {
      if error.reason == .uidValidityChanged { return nil }
      throw error
    }
  }

  /// Moves everything in `user`'s INBOX to the folder `Archive`, so a test
  /// starts from an empty INBOX without deleting anything.
  public func archiveInbox(of user: String) async throws {
    let client = try imap(user)
    try await client.createMailbox("Archive")
    let status = try await client.status(of: "INBOX")
    guard let validity = status.uidValidity, (status.messages ?? 0) > 0 else { return }
    let uids = try await client.uids(in: "INBOX", uidValidity: validity, above: 0)
    try await client.move(from: "INBOX", uidValidity: validity, uids: uids, to: "Archive")
  }
}

public struct MailStackError: Error, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

/// A customer mail as Thunderbird or Gmail would send it, with a unique
/// Message-ID and Polish text in UTF-8.
public func customerMail(
  from: String, to: String = MailStack.support, subject: String, body: String, messageID: String = uniqueMessageID(),
  extraHeaders: [String] = []
) -> [UInt8] {
  var lines = [
    "From: Jan Kowalski <\(from)>",
    "To: \(to)",
    "Subject: \(EncodedWords.encode(subject))",
    "Date: Wed, 25 Nov 2026 09:30:00 +0100",
    "Message-ID: \(messageID)",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=UTF-8",
    "Content-Transfer-Encoding: quoted-printable",
  ]
  lines += extraHeaders
  lines.append("")
  lines.append(TransferEncoding.encodeQuotedPrintable(body))
  return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
}

/// A Message-ID no other test uses.
public func uniqueMessageID() -> String {
  "<\(UUID().uuidString.lowercased())@klient.example.test>"
}
