import ArgumentParser
import Foundation
import Logging
import MailTransport
import ServiceLifecycle
import SupportDesk
import SupportPolicy
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
    let store: SQLiteStateStore
    do {
      store = try SQLiteStateStore(path: settings.statePath)
    } catch {
      throw Failure(message: error.description)
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
      settings: settings, logger: logger)
    let group = ServiceGroup(
      configuration: ServiceGroupConfiguration(
        services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
    try await group.run()
    logger.notice("stopped")
  }
}
