import ArgumentParser
import Foundation
import Logging
import MailTransport
import ServiceLifecycle
import SupportDesk
import SupportPolicy
import Synchronization
import UnixSignals

struct Run: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Answer new mail in the support mailbox.",
    discussion: """
      Without --once it runs until stopped: it waits for new mail with IMAP IDLE \
      (or polls every SUPPORTBOT_POLL_SECONDS where the server has no IDLE), and \
      a pass also runs at that interval for replies waiting to be retried. \
      SIGTERM or Ctrl-C finishes the mail in hand, then stops. Each mail gets \
      one log line: its UID, sender, category, plan, what was done and why.

      On the first start on a mailbox only unread mail of the last \
      SUPPORTBOT_FIRST_START_HOURS hours is answered; older mail is recorded as \
      history and left alone. With SUPPORTBOT_FOLDER_COVERED (…_UNCOVERED, \
      _OTHER, _UNCLASSIFIED, _FAILED, _SKIPPED) set, each settled mail moves \
      to the folder of its outcome.

      Try a change safely first: `supportbot run --once --dry-run` decides and \
      logs, but sends, records, flags and moves nothing.
      """
  )

  @Flag(help: "Do one pass and exit (for cron or a systemd timer).")
  var once = false

  @Flag(help: "Decide and log, but send, record, flag and move nothing.")
  var dryRun = false

  @OptionGroup var configuration: ConfigOptions
  @OptionGroup var logging: LoggingOptions

  func run() async throws {
    try await reportingFailures(runService)
  }

  private func runService() async throws {
    let logger = logging.bootstrap()
    let settings = try configuration.settings()
    for warning in settings.warnings { logger.warning("\(warning)") }
    let isNewState = !FileManager.default.fileExists(atPath: settings.statePath)
    let store: SQLiteStateStore
    do {
      store = try SQLiteStateStore(path: settings.statePath)
    } catch {
      throw Failure(message: error.description)
    }
    if isNewState {
      logger.notice(
        "a new state database: \(settings.statePath); mails the bot flagged before (\(Keyword.replied) and the like) are left alone, and ticket numbers start again",
        metadata: ["hint": "if the bot ran before, point \(SettingVariable.state.name) at its old state file instead"])
    } else {
      logger.info("state database: \(settings.statePath)")
    }
    // One bot per state database: a second one waits as a standby (the service)
    // or does nothing (--once); a dry run changes nothing and needs no lock.
    let lock = Mutex<InstanceLock?>(nil)
    let becomeActive: @Sendable () throws -> String? = {
      if lock.withLock({ $0 != nil }) { return nil }
      switch try InstanceLock.acquire(beside: settings.statePath) {
      case .acquired(let held):
        lock.withLock { $0 = held }
        return nil
      case .heldBy(let holder):
        return holder
      }
    }
    let desk = Reloadable<DeskSetup>(rulesDirectory: settings.rulesDirectory)
    let engine = Engine(
      settings: settings,
      imap: IMAPClient(
        endpoint: settings.imap, account: settings.imapAccount, options: settings.transport, logger: logger),
      smtp: SMTPClient(
        endpoint: settings.smtp, account: settings.smtpAccount, options: settings.transport, logger: logger),
      store: store, rules: RuleBook(directory: settings.rulesDirectory),
      desk: desk,
      customers: settings.customersPath.map { path in
        Reloadable(customersPath: path) { desk.current(logger: logger)?.policy.keyPattern ?? .default }
      }, logger: logger, dryRun: dryRun)
    var metadata: Logger.Metadata = [
      "imap": "\(settings.imap)", "user": "\(settings.imapAccount.user)", "smtp": "\(settings.smtp)",
    ]
    if let path = configuration.path { metadata["config"] = "\(path)" }
    logger.info(
      "supportbot starting\(dryRun ? " (dry run: nothing is sent, recorded or flagged)" : "")", metadata: metadata)

    if once {
      if !dryRun, let holder = try becomeActive() {
        throw Failure(
          message:
            "\(holder) is working with the state database \(settings.statePath); this run does nothing. Two bots on one state would answer mails twice: stop the other one, or let the service do the work"
        )
      }
      do {
        let summary = try await engine.runOnce()
        logger.info("pass done: \(summary)")
      } catch let error as IMAPError {
        throw Failure(message: error.description)
      }
      return
    }

    // The service: a pass, then wait for new mail (IDLE, or the poll interval),
    // until SIGTERM or SIGINT start swift-service-lifecycle's graceful
    // shutdown, which lets the mail in hand finish.
    let service = MailService(
      engine: engine,
      idler: IMAPIdler(
        endpoint: settings.imap, account: settings.imapAccount, mailbox: engine.imap.defaultMailbox,
        options: settings.transport, logger: logger),
      settings: settings, logger: logger, becomeActive: dryRun ? nil : becomeActive)
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
    logger.notice("stopped")
  }
}
