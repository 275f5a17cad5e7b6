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
    // until SIGTERM or SIGINT, which let the mail in hand finish.
    let idler = IMAPIdler(
      endpoint: settings.imap, account: settings.imapAccount, mailbox: engine.imap.defaultMailbox,
      options: settings.transport, logger: logger)
    let service = Task { try await Self.serve(engine: engine, idler: idler, settings: settings, logger: logger) }
    let signals = [SIGTERM, SIGINT].map { number in
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler {
        logger.notice("stopping: the mail in hand is finished first")
        service.cancel()
      }
      source.resume()
      return source
    }
    defer { signals.forEach { $0.cancel() } }
    do {
      try await service.value
    } catch is CancellationError {
      await idler.close()
      logger.notice("stopped")
    }
  }

  private static func serve(engine: Engine, idler: IMAPIdler, settings: Settings, logger: Logger) async throws {
    var useIdle = settings.useIdle
    var failures = 0
    while !Task.isCancelled {
      do {
        let summary = try await engine.runOnce()
        logger.info("pass done: \(summary)")
        failures = 0
      } catch let error as IMAPError {
        failures += 1
        logger.error("pass failed, will try again: \(error)")
      }
      try Task.checkCancellation()
      // After failures, wait longer (up to 16 poll intervals) before the next attempt.
      let wait = Duration.seconds(settings.pollSeconds * (1 << min(failures, 4)))
      if useIdle, failures == 0 {
        do {
          _ = try await idler.waitForChange(timeout: wait)
          continue
        } catch let error where error.reason == .commandRefused {
          logger.notice("the server has no IDLE: polling every \(settings.pollSeconds) s")
          useIdle = false
        } catch {
          logger.warning("IDLE failed, polling until the next pass: \(error)")
        }
      }
      try await Task.sleep(for: wait)
    }
    throw CancellationError()
  }
}
