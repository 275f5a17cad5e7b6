import Foundation
import Logging
import MailMessage
import MailTransport
import Testing
import Triage

@testable import SupportDesk
@testable import SupportPolicy

/// `preview` and `classify` must say what the service would do. Every
/// labelled example of rules/ and a set of robot mails go through preview's
/// path (the desk the offline commands build, `Desk.assess`) and through the
/// engine's gate (`Engine.decide`, asking an empty state store the same
/// facts: never seen, first attempt, no earlier reply, no ticket, no replies
/// yet); both must give the same decision. No server is needed.
@Suite("The offline commands and the engine decide alike")
struct OfflineDecisionTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let rules = root.appendingPathComponent("rules").path
  static let customers = root.appendingPathComponent("customers.example.csv").path
  static let robots = root.appendingPathComponent("Tests/SupportDeskTests/Fixtures/robots")
  /// The bot as the offline commands find it in the environment, and as the service is configured.
  static let environment = ["SUPPORTBOT_ADDRESS": "pomoc@pwsk.pl", "SUPPORTBOT_IMAP_USER": "pomoc@pwsk.pl"]
  static let moment = ISO8601DateFormatter().date(from: "2026-12-03T09:00:00Z")!

  /// The .eml files below `folder`, sorted.
  static func mails(in folder: URL) -> [URL] {
    (FileManager.default.subpaths(atPath: folder.path) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
      .map { folder.appendingPathComponent($0) }
  }

  /// The engine as the service runs it, on an empty store; it never reaches a server here.
  static func engine(logger: Logger) throws -> Engine {
    let settings = Settings(
      imap: try ServerEndpoint("imaps://mail.example.test/INBOX", service: .imap),
      imapAccount: Account(user: "pomoc@pwsk.pl", password: Secret("unused")),
      smtp: try ServerEndpoint("smtp://mail.example.test:587", service: .smtp),
      smtpAccount: Account(user: "pomoc@pwsk.pl", password: Secret("unused")),
      botAddress: MailAddress(name: "Pomoc techniczna PWSK", address: "pomoc@pwsk.pl"), statePath: "unused",
      rulesDirectory: rules, customersPath: customers)
    let desk = Reloadable<DeskSetup>(rulesDirectory: rules)
    return Engine(
      settings: settings,
      imap: IMAPClient(endpoint: settings.imap, account: settings.imapAccount, logger: logger),
      smtp: SMTPClient(endpoint: settings.smtp, account: settings.smtpAccount, logger: logger),
      store: try SQLiteStateStore(path: temporaryStatePath()), rules: RuleBook(directory: rules), desk: desk,
      customers: Reloadable(customersPath: customers) { desk.current(logger: logger)?.policy.keyPattern ?? .default },
      logger: logger, dryRun: true, now: { moment })
  }

  @Test("every labelled example and every robot mail: the same decision from preview's path and the engine's gate")
  func sameDecision() async throws {
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
    // Preview's path: what DeskOptions loads, and the desk it builds the engine's way.
    let classifier = try #require(RuleBook(directory: Self.rules).current(logger: logger))
    let (setup, problems) = DeskSetup.load(rulesDirectory: Self.rules)
    #expect(problems.filter { $0.severity == .error }.isEmpty)
    let (directory, _) = CustomerDirectory.load(path: Self.customers, keyPattern: try #require(setup).policy.keyPattern)
    let offline = Desk(
      setup: try #require(setup), customers: directory,
      decider: Decider(classifier: classifier, ownAddresses: Settings.ownAddresses(in: Self.environment)))

    let engine = try Self.engine(logger: logger)
    let decider = engine.decider()
    let examples = Self.mails(in: URL(fileURLWithPath: Self.rules).appendingPathComponent("examples"))
    let robots = Self.mails(in: Self.robots)
    #expect(examples.count > 100)
    var skipped: [String: SkipReason] = [:]
    for (index, file) in (examples + robots).enumerated() {
      let bytes = [UInt8](try Data(contentsOf: file))
      let message = Message(parsing: bytes)
      let triage = classifier.classify(TriageInput(message), explain: false)
      let previewSays = offline.assess(message, triage: triage, now: Self.moment).skip

      var facts = MailFacts(now: Self.moment, arrivedAt: Self.moment)
      var mail: Engine.ReadMail?
      var log = logger
      let decision = try await engine.decide(
        &facts, mail: &mail, uid: UInt32(index + 1),
        cursor: MailboxCursor(mailbox: "INBOX", uidValidity: 1, lastUID: 0), decider: decider, log: &log,
        read: { Engine.RawMail(bytes: bytes, size: bytes.count, isPartial: false) })
      let engineSays: SkipReason?
      switch decision {
      case .reply: engineSays = nil
      case .skip(let reason): engineSays = reason
      default:
        Issue.record("\(file.lastPathComponent): the engine's gate said \(decision)")
        continue
      }
      #expect(engineSays == previewSays, "\(file.path.dropFirst(Self.root.path.count + 1))")
      if let engineSays { skipped[file.lastPathComponent] = engineSays }
    }
    // The robots are all turned away, each for its own reason; their twin without a robot mark is answered.
    for robot in robots.map(\.lastPathComponent) where robot != "not-a-robot.eml" {
      #expect(skipped[robot] != nil, "\(robot) was answered")
    }
    #expect(skipped["not-a-robot.eml"] == nil)
    #expect(Set(robots.compactMap { skipped[$0.lastPathComponent] }).count >= 8)
  }
}
