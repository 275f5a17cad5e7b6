import Foundation
import MailMessage
import MailStackTestSupport
import Testing

/// The `supportbot` executable next to the test bundle (or SUPPORTBOT_BINARY).
let supportbotBinary: String = {
  if let path = ProcessInfo.processInfo.environment["SUPPORTBOT_BINARY"] { return path }
  return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("supportbot")
    .path
}()

struct RunResult {
  var status: Int32
  var output: String
  var errors: String
}

/// Runs the binary with exactly `environment` (plus PATH), as a service manager would.
func runSupportbot(_ arguments: [String], environment: [String: String]) throws -> RunResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: supportbotBinary)
  process.arguments = arguments
  process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { mine, _ in mine }
  let output = Pipe()
  let errors = Pipe()
  process.standardOutput = output
  process.standardError = errors
  try process.run()
  let outputData = output.fileHandleForReading.readDataToEndOfFile()
  let errorData = errors.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  return RunResult(
    status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
    errors: String(decoding: errorData, as: UTF8.self))
}

/// `supportbot run` as the admin runs it, against the support INBOX of the
/// local stack. Serialized: these are the only tests that use that INBOX.
@Suite("supportbot run against the local mail stack", .serialized, .enabled(if: MailStack.isAvailable))
struct RunOnceTests {
  let stack = MailStack.current!

  func environment(statePath: String, password: String? = nil) -> [String: String] {
    [
      "SUPPORTBOT_IMAP_URL": "\(stack.imapsURL)/INBOX",
      "SUPPORTBOT_IMAP_USER": MailStack.support,
      "SUPPORTBOT_IMAP_PASSWORD": password ?? stack.password,
      "SUPPORTBOT_SMTP_URL": stack.submissionURL,
      "SUPPORTBOT_CA_FILE": stack.caFile,
      "SUPPORTBOT_STATE": statePath,
      "SUPPORTBOT_RULES": URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("rules").path,
    ]
  }

  func freshStatePath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("supportbot-e2e-\(UUID().uuidString)/state.sqlite")
      .path
  }

  @Test("a customer mail injected on port 25 is answered once, in Polish, with the right threading headers")
  func answersOnce() async throws {
    #expect(FileManager.default.isExecutableFile(atPath: supportbotBinary), "build the supportbot binary first")
    try await stack.archiveInbox(of: MailStack.support)
    let customer = "jan.kowalski-\(UUID().uuidString.prefix(8).lowercased())@customers.example.test"
    let id = uniqueMessageID()
    let mail = customerMail(
      from: customer, subject: "Błąd przy zamykaniu miesiąca",
      body: "Dzień dobry,\nprogram pokazuje komunikat „Błąd 1045”.\nJan Kowalski", messageID: id)
    try await stack.inject(mail, from: customer, to: [MailStack.support])
    #expect(try await stack.waitForMessages(MailStack.support, header: "Message-ID", contains: id).count == 1)

    let state = freshStatePath()
    let first = try runSupportbot(["run", "--once"], environment: environment(statePath: state))
    #expect(first.status == 0, "stderr: \(first.errors)")
    #expect(first.errors.contains("1 replied"), "stderr: \(first.errors)")

    let replies = try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: id)
    try #require(replies.count == 1)
    let reply = Message(parsing: replies[0])
    #expect(reply.inReplyTo == [id])
    #expect(reply.references == [id])
    #expect(reply.headers["Auto-Submitted"] == "auto-replied")
    // An unknown sender: the reply opens a ticket and asks for the licence key.
    #expect(reply.subject?.hasPrefix("Re: Błąd przy zamykaniu miesiąca [PWSK-") == true, "\(reply.subject ?? "")")
    #expect(reply.to.map(\.address) == [customer])
    #expect(reply.from?.address == MailStack.support)
    #expect(reply.text.contains("Dzień dobry"))
    #expect(reply.text.lowercased().contains("zgłoszenie"))
    #expect(reply.text.contains("klucz licencyjny"))
    #expect(reply.headers["Return-Path"] == "<>", "auto-replies go out with the null envelope sender")

    let second = try runSupportbot(["run", "--once"], environment: environment(statePath: state))
    #expect(second.status == 0, "stderr: \(second.errors)")
    #expect(second.errors.contains("0 new, 0 replied"), "stderr: \(second.errors)")
    try await Task.sleep(for: .seconds(2))  // give a wrongly sent second reply time to arrive
    #expect(
      try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: id, timeout: .zero).count
        == 1)
  }

  @Test(
    "a wrong password: a clear error naming the server and the account, never the password, and a failing exit code")
  func wrongPassword() throws {
    let result = try runSupportbot(
      ["run", "--once"], environment: environment(statePath: freshStatePath(), password: "Bledne-Haslo-4711"))
    #expect(result.status != 0)
    let server = stack.imapsURL.replacingOccurrences(of: "/INBOX", with: "")
    #expect(result.errors.contains(server), "stderr: \(result.errors)")
    #expect(result.errors.contains(MailStack.support))
    #expect(result.errors.contains("refused the login"))
    #expect(!result.errors.contains("Bledne-Haslo-4711"))
    #expect(!result.output.contains("Bledne-Haslo-4711"))
  }

  @Test("missing configuration: every missing variable is listed and the exit code is 78")
  func missingConfiguration() throws {
    let result = try runSupportbot(["run", "--once"], environment: [:])
    #expect(result.status == 78)
    #expect(result.errors.contains("SUPPORTBOT_IMAP_URL is not set"))
    #expect(result.errors.contains("SUPPORTBOT_SMTP_URL is not set"))
  }

  @Test("a config file: its settings are used, the environment overrides them, and a mistake names file and line")
  func configFile() async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let config = folder.appendingPathComponent("supportbot.yaml")
    try "secret-from-file".write(to: folder.appendingPathComponent("imap-password"), atomically: true, encoding: .utf8)
    try """
    imap:
      url: \(stack.imapsURL)/Nie-Ma-Takiego
      user: \(MailStack.support)
      password_file: imap-password
    smtp:
      url: \(stack.submissionURL)
    ca_file: \(stack.caFile)
    state: state.sqlite
    """.write(to: config, atomically: true, encoding: .utf8)
    // The password file holds a wrong password; the environment's right one wins,
    // and the mailbox named in the file is the one the bot opens.
    let result = try runSupportbot(
      ["run", "--once", "--config", config.path], environment: ["SUPPORTBOT_IMAP_PASSWORD": stack.password])
    #expect(result.status != 0)
    #expect(result.errors.contains("Nie-Ma-Takiego"), "\(result.errors)")
    #expect(!result.errors.contains("refused the login"), "\(result.errors)")

    try "imap:\n  url: \(stack.imapsURL)/INBOX\n  pasword_file: x\n".write(
      to: config, atomically: true, encoding: .utf8)
    let wrong = try runSupportbot(["run", "--once", "--config", config.path], environment: [:])
    #expect(wrong.status == 78)
    #expect(wrong.errors.contains("\(config.path):3: 'imap.pasword_file' is not a setting"), "\(wrong.errors)")
  }

  @Test("it answers a mail that arrives while it idles, and SIGTERM stops it cleanly")
  func idleAndStop() async throws {
    try await stack.archiveInbox(of: MailStack.support)
    let state = FileManager.default.temporaryDirectory.appendingPathComponent("service-\(UUID().uuidString)/s.sqlite")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: supportbotBinary)
    process.arguments = ["run"]
    process.environment = environment(statePath: state.path).merging([
      "PATH": "/usr/bin:/bin", "SUPPORTBOT_POLL_SECONDS": "300",
    ]) { _, new in new }
    let errors = Pipe()
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    defer { if process.isRunning { process.terminate() } }
    try await Task.sleep(for: .seconds(2))  // the first pass, then IDLE

    let customer = "idle-\(UUID().uuidString.prefix(8).lowercased())@customers.example.test"
    let id = uniqueMessageID()
    try await stack.inject(
      customerMail(from: customer, subject: "Pilne", body: "Program nie działa.", messageID: id), from: customer,
      to: [MailStack.support])
    // The poll interval is 5 minutes: only IDLE can make the reply arrive this soon.
    let replies = try await stack.waitForMessages(
      MailStack.catchall, header: "In-Reply-To", contains: id, timeout: .seconds(20))
    #expect(replies.count == 1)

    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(process.terminationStatus == 0, "\(log)")
    #expect(log.contains("stopped"), "\(log)")
  }
}
