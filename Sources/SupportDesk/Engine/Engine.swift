import Foundation
import Logging
import MailMessage
import MailTransport
import SupportPolicy
import Triage

/// Keywords the bot puts on handled mail, so staff see in their mail client
/// what happened (Thunderbird shows them as tags).
public enum Keyword {
  public static let replied = "$SupportbotReplied"
  public static let skipped = "$SupportbotSkipped"
  public static let failed = "$SupportbotFailed"
  public static let all = [replied, skipped, failed]

  /// Whether `flags` (from the server) hold one of the bot's keywords; IMAP compares them ignoring case.
  public static func anyOfOurs(in flags: [String]) -> Bool {
    flags.contains { flag in all.contains { $0.caseInsensitiveCompare(flag) == .orderedSame } }
  }
}

/// The loop over new mail: fetch → decide → record → reply → record → file.
///
/// Order matters for "nothing lost, nothing twice": the decision and the
/// exact reply bytes are committed (status `sending`) before SMTP starts, the
/// `sent` status right after the server's 250, and only then is the original
/// flagged. A crash between those two commits leaves `sending`, settled at the
/// next start by looking for the reply in the Sent folder (`InterruptedReply`);
/// it is never re-sent blindly.
///
/// This file holds the pass and the cursor; one mail's way through the gate is
/// in Engine+Handle, SMTP and retries in Engine+Sending, what a stop or crash
/// left in Engine+Recovery, keywords and folders in Engine+Filing. Whether a
/// mail is answered is decided by SupportPolicy's `Gate`, never here.
public struct Engine: Sendable {
  public var settings: Settings
  public var imap: IMAPClient
  public var smtp: SMTPClient
  public var store: any StateStore
  /// The classification rules; nil: every mail is unclassified.
  public var rules: RuleBook?
  /// The policy and reply templates; nil (or broken from the start): the fixed acknowledgement.
  public var desk: Reloadable<DeskSetup>?
  /// The customer list; nil: every sender is unknown.
  public var customers: Reloadable<CustomerDirectory>?
  public var logger: Logger
  /// Decide and log, but send, store, flag and move nothing.
  public var dryRun: Bool
  public var now: @Sendable () -> Date
  public var replyText: String = AutoReply.acknowledgementText
  /// Delays between SMTP attempts after temporary failures.
  public var retryDelays: [TimeInterval] = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600]

  /// How often one mail may fail its handling (a server that cannot read it,
  /// say) before it is recorded as failed and the mails behind it go ahead.
  /// Attempts are counted in the state store, so a mail that makes the bot
  /// crash is given up after as many restarts instead of stopping it forever.
  public var attemptsPerMail = 3

  public init(
    settings: Settings, imap: IMAPClient, smtp: SMTPClient, store: any StateStore, rules: RuleBook? = nil,
    desk: Reloadable<DeskSetup>? = nil, customers: Reloadable<CustomerDirectory>? = nil, logger: Logger,
    dryRun: Bool = false, now: @escaping @Sendable () -> Date = { Date() }
  ) {
    self.settings = settings
    self.imap = imap
    self.smtp = smtp
    self.store = store
    self.rules = rules
    self.desk = desk
    self.customers = customers
    self.logger = logger
    self.dryRun = dryRun
    self.now = now
  }

  /// The rules, gate and desk in force now, reloaded from their files if they changed.
  func decider() -> Decider {
    let decider = Decider(
      classifier: rules?.current(logger: logger), ownAddresses: settings.ownAddresses,
      rateLimits: settings.rateLimits, firstStartWindow: settings.firstStartWindow, attemptsPerMail: attemptsPerMail)
    let setup = desk?.current(logger: logger)
    return decider.with(setup: setup, customers: setup == nil ? nil : customers?.current(logger: logger))
  }

  /// One pass: answers every new mail, retries deferred replies, returns what it did.
  ///
  /// `stopRequested` is asked after each mail (as is task cancellation): when
  /// it says yes, the pass ends there with `CancellationError`, the mail in
  /// hand finished and recorded. The service passes "is a graceful shutdown
  /// under way", so SIGTERM never interrupts a mail half-way (cancelling the
  /// task would also cancel the database writes and server commands of the
  /// mail in hand).
  public func runOnce(stopRequested: @Sendable () -> Bool = { false }) async throws -> PassSummary {
    var summary = PassSummary()
    let mailbox = imap.defaultMailbox
    let status = try await imap.status(of: mailbox)
    guard let uidValidity = status.uidValidity else { return summary }

    let stored = try await store.cursor(for: mailbox)
    var cursor: MailboxCursor
    var isFirstStart = false
    if let stored, stored.uidValidity == uidValidity {
      cursor = stored
    } else {
      isFirstStart = true
      if let stored {
        logger.warning(
          "the mailbox was recreated on the server (UIDVALIDITY \(stored.uidValidity) → \(uidValidity)); reading it again, mails already answered are recognised by Message-ID",
          metadata: ["mailbox": "\(mailbox)"])
      }
      cursor = MailboxCursor(mailbox: mailbox, uidValidity: uidValidity, lastUID: 0)
    }

    try await resolveInterrupted(summary: &summary)

    let decider = decider()
    // STATUS is the cheap probe: when UIDNEXT says nothing arrived, no search at all.
    let nothingNew = !isFirstStart && (status.uidNext.map { $0 <= cursor.lastUID &+ 1 } ?? false)
    let uids = nothingNew ? [] : try await imap.uids(in: mailbox, uidValidity: uidValidity, above: cursor.lastUID)
    if !uids.isEmpty { logger.info("\(uids.count) new mail(s) in \(mailbox)") }
    for batch in stride(from: 0, to: uids.count, by: 200).map({ Array(uids[$0..<min($0 + 200, uids.count)]) }) {
      let metadata = try await imap.metadata(in: mailbox, uidValidity: uidValidity, uids: batch)
      for message in metadata {
        summary.newMails += 1
        cursor.lastUID = max(cursor.lastUID, message.uid)
        let decision = try await take(
          message, cursor: cursor, isFirstStart: isFirstStart, decider: decider, summary: &summary)
        // History is only recorded: nothing to file, and no mail in hand to finish.
        if decision == .history { continue }
        // Staff see a mail leave the mailbox as soon as it is settled, not at the end of a long pass.
        if !settings.folders.isEmpty { try await fileSettled(in: cursor, summary: &summary) }
        // A stop request (SIGTERM) ends the pass here, after the mail in hand, never inside it.
        if stopRequested() { throw CancellationError() }
        try Task.checkCancellation()
      }
    }
    if !dryRun, cursor != stored { try await store.save(cursor: cursor) }
    try await retryDeferred(summary: &summary)
    try await fileSettled(in: cursor, summary: &summary)
    return summary
  }
}
