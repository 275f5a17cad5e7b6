import Foundation
import Logging
import MailMessage
import MailTransport
import SupportPolicy
import Triage

/// What one pass over the mailbox did.
public struct PassSummary: Sendable, Equatable, CustomStringConvertible {
  public var newMails = 0
  public var replied = 0
  public var skipped = 0
  public var history = 0
  public var failed = 0
  public var deferred = 0
  public var retried = 0
  /// Replies a stop had interrupted that turned out to have gone out.
  public var recovered = 0
  /// Settled mails moved to their outcome's folder (SUPPORTBOT_FOLDER_*).
  public var filed = 0

  public init() {}

  public var description: String {
    "\(newMails) new, \(replied) replied, \(skipped) skipped, \(history) left as history, "
      + "\(deferred) deferred, \(failed) failed, \(retried) retried, \(recovered) recovered"
      + (filed > 0 ? ", \(filed) filed" : "")
  }
}

/// Keywords the bot puts on handled mail, so staff see in their mail client
/// what happened (Thunderbird shows them as tags).
public enum Keyword {
  public static let replied = "$SupportbotReplied"
  public static let skipped = "$SupportbotSkipped"
  public static let failed = "$SupportbotFailed"
}

/// The loop over new mail: fetch → decide → record → reply → record → file.
///
/// Order matters for "nothing lost, nothing twice": the decision and the
/// exact reply bytes are committed (status `sending`) before SMTP starts, the
/// `sent` status right after the server's 250, and only then is the original
/// flagged. A crash between those two commits leaves `sending`, settled at the
/// next start by looking for the reply in the Sent folder (`InterruptedReply`);
/// it is never re-sent blindly.
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

  private var loopGuard: LoopGuard {
    LoopGuard(ownAddresses: [settings.botAddress.address, settings.imapAccount.user])
  }

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

    let classifier = rules?.current(logger: logger)
    let desk = self.desk?.current(logger: logger).map { setup in
      Desk(
        setup: setup, customers: customers?.current(logger: logger), loopGuard: loopGuard, rules: classifier?.rules)
    }
    // STATUS is the cheap probe: when UIDNEXT says nothing arrived, no search at all.
    let nothingNew = !isFirstStart && (status.uidNext.map { $0 <= cursor.lastUID &+ 1 } ?? false)
    let uids = nothingNew ? [] : try await imap.uids(in: mailbox, uidValidity: uidValidity, above: cursor.lastUID)
    if !uids.isEmpty { logger.info("\(uids.count) new mail(s) in \(mailbox)") }
    for batch in stride(from: 0, to: uids.count, by: 200).map({ Array(uids[$0..<min($0 + 200, uids.count)]) }) {
      let metadata = try await imap.metadata(in: mailbox, uidValidity: uidValidity, uids: batch)
      for message in metadata {
        summary.newMails += 1
        cursor.lastUID = max(cursor.lastUID, message.uid)
        if isFirstStart,
          message.isSeen
            || (message.internalDate ?? .distantPast) < now().addingTimeInterval(-settings.firstStartWindow)
        {
          summary.history += 1
          if !dryRun {
            try await store.save(
              MailRecord(
                mailbox: mailbox, uidValidity: uidValidity, uid: message.uid, status: .history, updatedAt: now()),
              advancing: cursor)
          }
          continue
        }
        // A record means it was handled before a crash, the cursor not yet moved: nothing to do.
        if try await store.record(mailbox: mailbox, uidValidity: uidValidity, uid: message.uid) == nil {
          try await attempt(message, cursor: cursor, classifier: classifier, desk: desk, summary: &summary)
        }
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

  /// Handles one new mail, counting the attempt in the store first. A mail
  /// that failed, or during which the bot stopped, `attemptsPerMail` times is
  /// recorded as failed instead, so that it cannot hold up the mails behind it.
  private func attempt(
    _ metadata: MessageMetadata, cursor: MailboxCursor, classifier: Classifier?, desk: Desk?,
    summary: inout PassSummary
  ) async throws {
    let uid = metadata.uid
    // Noted before the mail is touched: if the bot dies inside it, the next start knows.
    let attempt =
      dryRun ? 1 : try await store.beginAttempt(mailbox: cursor.mailbox, uidValidity: cursor.uidValidity, uid: uid)
    guard attempt <= attemptsPerMail else {
      let reason =
        "handling this mail started \(attempt - 1) times without finishing (the bot failed or stopped inside it each time)"
      try await giveUp(on: uid, in: cursor, after: attempt - 1, reason: reason, summary: &summary)
      return
    }
    do {
      try await handle(metadata, cursor: cursor, classifier: classifier, desk: desk, summary: &summary)
    } catch {
      // A pass that got this far reached the server; a mail that fails again and
      // again is the mail's problem (Dovecot: "FETCH failed: Internal error" for a
      // damaged file), and must not hold up the mails behind it forever.
      guard attempt >= attemptsPerMail, !dryRun, !(error is CancellationError) else { throw error }
      let reason = "could not be handled in \(attempt) attempts: \(error)"
      try await giveUp(on: uid, in: cursor, after: attempt, reason: reason, summary: &summary)
    }
  }

  /// Decides about one new mail and acts on it.
  private func handle(
    _ metadata: MessageMetadata, cursor: MailboxCursor, classifier: Classifier?, desk: Desk?,
    summary: inout PassSummary
  ) async throws {
    let started = ContinuousClock.now
    let mailbox = cursor.mailbox
    let uid = metadata.uid
    var log = logger
    log[metadataKey: "uid"] = "\(uid)"

    guard let fetched = try await fetch(metadata, in: cursor) else {
      log.warning("mail vanished before it could be read")
      summary.skipped += 1
      if !dryRun {
        try await store.save(
          MailRecord(
            mailbox: mailbox, uidValidity: cursor.uidValidity, uid: uid, status: .skipped, skipReason: .vanished,
            updatedAt: now()),
          advancing: cursor)
      }
      return
    }
    let message = Message(parsing: fetched.bytes)
    if fetched.isPartial {
      log.notice("a large mail: only its first \(fetched.bytes.count) of \(fetched.size) bytes were read")
    }
    for warning in message.warnings where !fetched.isPartial || warning != .missingClosingBoundary {
      log.notice("parser: \(warning)")
    }
    let recipient = message.replyAddress
    log[metadataKey: "from"] = "\(recipient?.address ?? "?")"
    let triage = classifier?.classify(TriageInput(message), explain: false)
    log[metadataKey: "category"] = "\(triage?.category ?? "unclassified")"
    log[metadataKey: "coverage"] = "\(triage?.coverage.rawValue ?? Coverage.unclassified.rawValue)"
    var record = MailRecord(
      mailbox: mailbox, uidValidity: cursor.uidValidity, uid: uid, messageID: message.messageID,
      contentHash: ContentHash.of(fetched.bytes),
      sender: recipient?.address, subject: message.subject, category: triage?.category,
      coverage: (triage?.coverage ?? .unclassified).rawValue, status: .skipped, updatedAt: now())

    let assessment = desk?.assess(message, triage: triage, now: now())
    if let assessment {
      record.plan = assessment.reply.plan.name
      log[metadataKey: "plan"] = "\(assessment.reply.plan.name)"
    }

    var reason = loopGuard.reasonToSkip(message)
    // The same mail seen again (a recreated mailbox, a copy): by Message-ID, or
    // by its bytes when it has none.
    if reason == nil, let id = message.messageID, try await store.hasReplied(toMessageID: id) { reason = .duplicate }
    if reason == nil, message.messageID == nil, let hash = record.contentHash,
      try await store.hasReplied(toContentHash: hash)
    {
      reason = .duplicate
    }
    if reason == nil, let assessment,
      let ticket = try await store.existingTicket(
        messageIDs: message.inReplyTo + message.references, ids: assessment.quotedTickets)
    {
      // A further mail in an answered thread: it joins the ticket, no second auto-reply.
      reason = .followUp
      record.ticket = ticket
      log[metadataKey: "ticket"] = "\(ticket)"
      if !dryRun, let id = message.messageID { try await store.link(messageIDs: [id], to: ticket) }
    }
    if reason == nil {
      // A thank-you note (reply: no): staff see it, the customer gets no reply to it.
      reason = Gate(loopGuard: loopGuard, silentCategories: classifier?.rules.silentCategories ?? []).categorySkip(
        triage?.category)
    }
    if reason == nil, let address = recipient?.address {
      reason = settings.rateLimits.reasonToSkip(
        toSender: try await store.replyCount(
          since: now().addingTimeInterval(-settings.rateLimits.senderWindow), to: address),
        lastHour: try await store.replyCount(since: now().addingTimeInterval(-3600), to: nil))
      if reason == .hourlyCap {
        log.warning(
          "the hourly cap of \(settings.rateLimits.hourlyCap) auto-replies is reached; this mail is left for staff (SUPPORTBOT_HOURLY_CAP)"
        )
      }
    }
    if let reason {
      record.skipReason = reason
      summary.skipped += 1
      log.info("no reply", metadata: ["reason": "\(reason.rawValue)", "elapsed": started.elapsedForLog])
      guard !dryRun else { return }
      try await store.save(record, advancing: cursor)
      await flag(uid, in: cursor, keyword: Keyword.skipped, log: log)
      return
    }
    guard message.replyAddress != nil else { return }  // the loop guard answers .noSender for this

    // What the ticket and the reply's Message-ID are derived from: the same mail gives the same ones.
    let identity = message.messageID ?? "content:\(record.contentHash ?? "\(mailbox)/\(cursor.uidValidity)/\(uid)")"
    let reply: OutgoingMessage
    let replyBytes: [UInt8]
    do {
      (reply, record.ticket, record.template) = try await makeReply(
        to: message, assessment: assessment, desk: desk, identity: identity)
      replyBytes = try reply.render()
    } catch {
      record.status = .failed
      record.lastError = "cannot compose the reply: \(error)"
      summary.failed += 1
      log.error("reply not composed", metadata: ["error": "\(error)"])
      guard !dryRun else { return }
      try await store.save(record, advancing: cursor)
      await flag(uid, in: cursor, keyword: Keyword.failed, log: log)
      return
    }
    log[metadataKey: "ticket"] = record.ticket.map { "\($0)" }
    log[metadataKey: "template"] = record.template.map { "\($0)" }
    if dryRun {
      summary.replied += 1
      log.info(
        "would reply (dry run)",
        metadata: ["reply": "\(reply.messageID)", "elapsed": started.elapsedForLog])
      return
    }
    record.status = .sending
    record.decidedAt = now()
    record.replyMessageID = reply.messageID
    record.replyRecipient = reply.to.first?.address
    record.replyBytes = replyBytes
    try await store.save(record, advancing: cursor)  // committed before SMTP starts
    // A reply to our reply belongs to the same ticket.
    if let ticket = record.ticket { try await store.link(messageIDs: [reply.messageID], to: ticket) }
    try await send(&record, log: log, summary: &summary)
    log.info(
      "\(record.status == .sent ? "replied" : "reply \(record.status.rawValue)")",
      metadata: ["reply": "\(reply.messageID)", "elapsed": started.elapsedForLog])
    if record.status == .sent { await flag(uid, in: cursor, keyword: Keyword.replied, log: log) }
  }

  /// The reply for a mail: from the policy's template with a ticket, or
  /// the fixed acknowledgement when no templates are loaded. A dry run gives
  /// out no ticket number.
  private func makeReply(
    to message: Message, assessment: Assessment?, desk: Desk?, identity: String
  ) async throws
    -> (OutgoingMessage, String?, String?)
  {
    let date = now()
    guard let desk, let assessment else {
      let recipient = message.replyAddress ?? MailAddress(address: "")
      return (
        AutoReply.compose(
          to: message, recipient: recipient, from: settings.botAddress, text: replyText, date: date, identity: identity),
        nil, nil
      )
    }
    let prefix = desk.setup.policy.ticketPrefix
    let year = LocalDay(date, in: desk.planner.calendar.timeZone).year
    let ticket =
      dryRun
      ? "\(prefix)-\(year)-??????"
      : try await store.ticket(
        for: identity, messageID: message.messageID, prefix: prefix, year: year,
        customer: assessment.identification.customer?.id, at: date)
    let reply = try desk.reply(
      to: message, assessment: assessment, ticket: ticket, from: settings.botAddress, date: date, identity: identity)
    return (reply, ticket, assessment.reply.template)
  }

  /// The raw mail, or nil when it was expunged since the search. The flags
  /// and size read for the batch save a round trip per mail; a mail staff
  /// open in the seconds between may be left unread again, a small price
  /// next to one more server round trip for every mail.
  private func fetch(_ metadata: MessageMetadata, in cursor: MailboxCursor) async throws -> FetchedMessage? {
    do {
      return try await imap.fetchMessage(
        in: cursor.mailbox, uidValidity: cursor.uidValidity, uid: metadata.uid, limit: settings.fetchLimit,
        known: metadata)
    } catch {
      if error.reason == .messageMissing { return nil }
      throw error
    }
  }

  /// Hands a recorded reply to SMTP and records the outcome.
  private func send(_ record: inout MailRecord, log: Logger, summary: inout PassSummary) async throws {
    guard let bytes = record.replyBytes, let recipient = record.replyRecipient else { return }
    record.attempts += 1
    do {
      let receipt = try await smtp.send(
        envelopeSender: settings.envelopeSender, recipients: [recipient], message: bytes)
      record.status = .sent
      record.lastError = nil
      record.nextAttempt = nil
      summary.replied += 1
      log.debug("accepted", metadata: ["smtp": "\(receipt.text)"])
    } catch {
      record.lastError = error.description
      if error.isTemporary, record.attempts <= retryDelays.count {
        record.status = .retry
        record.nextAttempt = now().addingTimeInterval(retryDelays[record.attempts - 1])
        summary.deferred += 1
        log.warning("reply deferred, will retry", metadata: ["error": "\(error)", "attempt": "\(record.attempts)"])
      } else {
        record.status = .failed
        summary.failed += 1
        log.error("reply failed", metadata: ["error": "\(error)"])
      }
    }
    record.updatedAt = now()
    try await store.save(record, advancing: nil)
    if record.status == .sent, settings.sentCopy == .bot, let folder = settings.sentFolder {
      await keepCopy(of: bytes, in: folder, log: log)
    }
  }

  /// Settles the replies a stop or crash left `sending` (see `InterruptedReply`).
  private func resolveInterrupted(summary: inout PassSummary) async throws {
    guard !dryRun else { return }
    for var record in try await store.records(withStatus: .sending) {
      var log = logger
      log[metadataKey: "uid"] = "\(record.uid)"
      log[metadataKey: "reply"] = "\(record.replyMessageID ?? "?")"
      let folder = settings.sentFolder ?? "-"
      let decision = InterruptedReply.decide(
        foundInSent: try await isInSentFolder(record.replyMessageID), sentCopy: settings.sentCopy,
        age: now().timeIntervalSince(record.updatedAt), grace: settings.sentGrace)
      switch decision {
      case .wentOut:
        record.status = .sent
        record.lastError = nil
        record.updatedAt = now()
        try await store.save(record, advancing: nil)
        summary.recovered += 1
        log.notice("a reply interrupted by a stop had gone out: its copy is in \(folder); recorded as sent")
        await flag(record, keyword: Keyword.replied, log: log)
      case .send:
        log.notice("a reply interrupted by a stop never reached the server (no copy in \(folder)); sending it now")
        // Handed to SMTP again now: recorded first, so that if this hand-over is
        // interrupted too, the next look gives the server's copy its grace time
        // from now instead of sending a second reply at once.
        record.updatedAt = now()
        try await store.save(record, advancing: nil)
        try await send(&record, log: log, summary: &summary)
        if record.status == .sent { await flag(record, keyword: Keyword.replied, log: log) }
      case .wait:
        log.debug("a reply interrupted by a stop is not in \(folder) yet; looking again on the next pass")
      case .unknown:
        record.status = .failed
        record.lastError =
          "the bot stopped while handing the reply to SMTP; whether it went out is unknown, so it is not sent again"
        record.updatedAt = now()
        try await store.save(record, advancing: nil)
        summary.failed += 1
        log.warning(
          "a reply may or may not have gone out: the bot stopped while handing it to SMTP; not sent again, the mail is marked for staff; check the customer's thread",
          metadata: ["to": "\(record.replyRecipient ?? "?")"])
        await flag(record, keyword: Keyword.failed, log: log)
      }
    }
  }

  /// Whether a reply with this Message-ID is in the Sent folder; nil when
  /// there is no folder to look in.
  private func isInSentFolder(_ messageID: String?) async throws -> Bool? {
    guard let folder = settings.sentFolder, let messageID else { return nil }
    let status: MailboxStatus
    do {
      status = try await imap.status(of: folder)
    } catch {
      if error.reason == .mailboxMissing { return nil }
      throw error
    }
    guard let validity = status.uidValidity else { return nil }
    return try await !imap.uids(in: folder, uidValidity: validity, header: "Message-ID", contains: messageID).isEmpty
  }

  /// A copy of the reply in the Sent folder, for staff and for telling after a
  /// crash whether a reply went out. Failing here loses nothing: logged, not thrown.
  private func keepCopy(of reply: [UInt8], in folder: String, log: Logger) async {
    do {
      try await imap.append(reply, to: folder)
    } catch {
      log.warning("could not store a copy of the reply", metadata: ["folder": "\(folder)", "error": "\(error)"])
    }
  }

  /// Sends the replies whose retry time has come.
  private func retryDeferred(summary: inout PassSummary) async throws {
    guard !dryRun else { return }
    for var record in try await store.records(withStatus: .retry) where (record.nextAttempt ?? .distantPast) <= now() {
      var log = logger
      log[metadataKey: "uid"] = "\(record.uid)"
      // A failed attempt may still have reached the server (the connection broke
      // after the data went out): where the server files copies, look first.
      if settings.sentCopy == .server, try await isInSentFolder(record.replyMessageID) == true {
        record.status = .sent
        record.lastError = nil
        record.nextAttempt = nil
        record.updatedAt = now()
        try await store.save(record, advancing: nil)
        summary.recovered += 1
        log.notice("a deferred reply had gone out after all: its copy is in \(settings.sentFolder ?? "-")")
        await flag(record, keyword: Keyword.replied, log: log)
        continue
      }
      record.status = .sending
      record.updatedAt = now()
      try await store.save(record, advancing: nil)
      try await send(&record, log: log, summary: &summary)
      summary.retried += 1
      if record.status == .sent {
        log.info("deferred reply sent", metadata: ["reply": "\(record.replyMessageID ?? "?")"])
        await flag(record, keyword: Keyword.replied, log: log)
      }
    }
  }

  /// Records a mail that failed `attempts` times as failed, for staff, and goes on.
  private func giveUp(
    on uid: UInt32, in cursor: MailboxCursor, after attempts: Int, reason: String, summary: inout PassSummary
  ) async throws {
    var log = logger
    log[metadataKey: "uid"] = "\(uid)"
    // A mail whose record was written before the failure is settled by its record, not here.
    guard try await store.record(mailbox: cursor.mailbox, uidValidity: cursor.uidValidity, uid: uid) == nil else {
      return
    }
    log.error(
      "mail failed \(attempts) times in a row; recorded as failed and left for staff, the next mails go ahead",
      metadata: ["error": "\(reason)"])
    try await store.save(
      MailRecord(
        mailbox: cursor.mailbox, uidValidity: cursor.uidValidity, uid: uid, status: .failed, attempts: attempts,
        lastError: reason, updatedAt: now()),
      advancing: cursor)
    summary.failed += 1
    await flag(uid, in: cursor, keyword: Keyword.failed, log: log)
  }

  /// Moves settled mails (sent, failed, skipped) to their outcome's folder
  /// (SUPPORTBOT_FOLDER_*). This comes last, when their state and keyword are
  /// safe; the store remembers what was filed, so a crash in between only
  /// means the move happens on the next pass. A move that fails loses
  /// nothing either: the mails stay where they are until a later pass.
  private func fileSettled(in cursor: MailboxCursor, summary: inout PassSummary) async throws {
    guard !dryRun else { return }
    let settled = try await store.unfiled(mailbox: cursor.mailbox, uidValidity: cursor.uidValidity)
    guard !settled.isEmpty else { return }
    var byFolder: [String: [UInt32]] = [:]
    var staying: [UInt32] = []
    for record in settled {
      if let folder = settings.folders.folder(for: record), folder != cursor.mailbox {
        byFolder[folder, default: []].append(record.uid)
      } else {
        staying.append(record.uid)
      }
    }
    if !staying.isEmpty {
      try await store.markFiled(mailbox: cursor.mailbox, uidValidity: cursor.uidValidity, uids: staying, in: nil)
    }
    for (folder, uids) in byFolder.sorted(by: { $0.key < $1.key }) {
      do {
        try await move(uids, from: cursor, to: folder)
        try await store.markFiled(mailbox: cursor.mailbox, uidValidity: cursor.uidValidity, uids: uids, in: folder)
        summary.filed += uids.count
        logger.info(
          "filed \(uids.count) mail(s) in \(folder)",
          metadata: ["uids": "\(uids.map(String.init).joined(separator: ","))"])
      } catch let error as IMAPError {
        logger.warning(
          "could not file \(uids.count) mail(s) in \(folder); they stay in \(cursor.mailbox) until the next pass",
          metadata: ["error": "\(error)"])
      }
    }
  }

  /// MOVE, creating the folder when the server says it is not there.
  private func move(_ uids: [UInt32], from cursor: MailboxCursor, to folder: String) async throws(IMAPError) {
    do {
      try await imap.move(from: cursor.mailbox, uidValidity: cursor.uidValidity, uids: uids, to: folder)
    } catch {
      // A missing folder is refused (NO [TRYCREATE]); anything else is for the caller.
      guard error.reason == .commandRefused else { throw error }
      try await imap.createMailbox(folder)
      logger.notice("created the folder \(folder) for filing")
      try await imap.move(from: cursor.mailbox, uidValidity: cursor.uidValidity, uids: uids, to: folder)
    }
  }

  private func flag(_ record: MailRecord, keyword: String, log: Logger) async {
    let cursor = MailboxCursor(mailbox: record.mailbox, uidValidity: record.uidValidity, lastUID: record.uid)
    await flag(record.uid, in: cursor, keyword: keyword, log: log)
  }

  /// Puts a keyword on the original. Failing here loses nothing (the state
  /// store already knows), so it is logged, not thrown.
  private func flag(_ uid: UInt32, in cursor: MailboxCursor, keyword: String, log: Logger) async {
    do {
      try await imap.store(
        in: cursor.mailbox, uidValidity: cursor.uidValidity, uids: [uid], flags: [keyword], add: true)
    } catch {
      log.warning("could not mark the mail on the server", metadata: ["keyword": "\(keyword)", "error": "\(error)"])
    }
  }
}

/// A fingerprint of a mail's bytes (64-bit FNV-1a, in hex), to recognise a
/// mail without a Message-ID when it is seen again (a mailbox recreated on the
/// server gives every mail a new UID).
enum ContentHash {
  static func of(_ bytes: [UInt8]) -> String { FNV1a.hex(bytes) }
}
