import ArgumentParser
import Foundation
import Logging
import MailTransport
import SupportDesk

struct Run: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Answer new mail in the support mailbox.",
    discussion: """
      Without --once, polls the mailbox every SUPPORTBOT_POLL_SECONDS until stopped. \
      Each mail gets one log line: its UID, sender, what was done and why.

      On the first start on a mailbox only unread mail of the last \
      SUPPORTBOT_FIRST_START_HOURS hours is answered; older mail is recorded as \
      history and left alone.
      """
  )

  @Flag(help: "Do one pass and exit (for cron or a systemd timer).")
  var once = false

  @Flag(help: "Decide and log, but send, record and flag nothing.")
  var dryRun = false

  @OptionGroup var logging: LoggingOptions

  func run() async throws {
    try await reportingFailures(runService)
  }

  private func runService() async throws {
    let logger = logging.bootstrap()
    let settings = try loadSettings()
    let store: SQLiteStateStore
    do {
      store = try SQLiteStateStore(path: settings.statePath)
    } catch {
      throw Failure(message: "cannot open the state database \(settings.statePath): \(error)")
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
    logger.info(
      "supportbot starting\(dryRun ? " (dry run: nothing is sent, recorded or flagged)" : "")",
      metadata: ["imap": "\(settings.imap)", "user": "\(settings.imapAccount.user)", "smtp": "\(settings.smtp)"])

    while true {
      do {
        let summary = try await engine.runOnce()
        logger.info("pass done: \(summary)")
      } catch let error as IMAPError {
        if once { throw Failure(message: error.description) }
        logger.error("pass failed, will try again: \(error)")
      }
      if once { return }
      try await Task.sleep(for: .seconds(settings.pollSeconds))
    }
  }
}
