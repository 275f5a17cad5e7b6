import Foundation
import Logging
import MailMessage
import MailTransport
import SupportPolicy
import Triage

/// One mail's way through the engine: the gate asks, the engine finds out
/// (the state store, the server, the mail itself), the gate decides, the
/// engine acts.
extension Engine {
  /// A mail's bytes as read from the server.
  struct RawMail: Sendable {
    var bytes: [UInt8]
    /// The whole mail's size, when only its beginning was read.
    var size: Int
    var isPartial: Bool
  }

  /// What the engine made of a mail it read.
  struct ReadMail {
    var message: Message
    var triage: TriageResult?
    var assessment: Assessment?
    /// The record as far as it is known: what the mail is, not yet what was done.
    var record: MailRecord
  }

  /// Takes one new mail: asks the gate, answering what it asks, and acts on
  /// its decision. Handling is counted in the state store before the mail is
  /// touched; a mail that failed, or during which the bot stopped,
  /// `attemptsPerMail` times is recorded as failed instead, so that it cannot
  /// hold up the mails behind it. Returns the gate's decision.
  func take(
    _ metadata: MessageMetadata, cursor: MailboxCursor, isFirstStart: Bool, decider: Decider,
    summary: inout PassSummary
  ) async throws -> Decision? {
    let started = ContinuousClock.now
    var log = logger
    log[metadataKey: "uid"] = "\(metadata.uid)"
    var facts = MailFacts(
      now: now(), isFirstStart: isFirstStart, isSeen: metadata.isSeen, arrivedAt: metadata.internalDate,
      isFlaggedByBot: Keyword.anyOfOurs(in: metadata.flags))
    // Set once the mail itself is touched: only failures from then on count against it.
    var touched = false
    do {
      var mail: ReadMail?
      let decision = try await decide(
        &facts, mail: &mail, uid: metadata.uid, cursor: cursor, decider: decider, log: &log,
        read: {
          touched = true
          return try await fetch(metadata, in: cursor)
        })
      try await act(
        on: decision, facts: facts, mail: mail, uid: metadata.uid, cursor: cursor, desk: decider.desk,
        started: started, log: &log, summary: &summary)
      return decision
    } catch {
      // A pass that got this far reached the server; a mail that fails again and
      // again is the mail's problem (Dovecot: "FETCH failed: Internal error" for a
      // damaged file), and must not hold up the mails behind it forever.
      guard touched, let attempt = facts.attempt, decider.gate.givesUp(afterFailedAttempt: attempt), !dryRun,
        !(error is CancellationError)
      else { throw error }
      let reason = "could not be handled in \(attempt) attempts: \(error)"
      try await giveUp(on: metadata.uid, in: cursor, after: attempt, reason: reason, summary: &summary)
      return nil
    }
  }

  /// Asks the gate about a mail until it decides, finding out each fact it
  /// asks for: from the state store, or by reading the mail with `read`.
  func decide(
    _ facts: inout MailFacts, mail: inout ReadMail?, uid: UInt32, cursor: MailboxCursor, decider: Decider,
    log: inout Logger, read: () async throws -> RawMail?
  ) async throws -> Decision {
    var decision = decider.gate.decide(facts)
    while case .needs(let question) = decision {
      switch question {
      case .isRecorded:
        // A record means it was handled before a crash, the cursor not yet moved.
        facts.isRecorded =
          try await store.record(mailbox: cursor.mailbox, uidValidity: cursor.uidValidity, uid: uid) != nil
      case .attempt:
        // Noted before the mail is touched: if the bot dies inside it, the next start knows.
        facts.attempt =
          dryRun ? 1 : try await store.beginAttempt(mailbox: cursor.mailbox, uidValidity: cursor.uidValidity, uid: uid)
      case .content:
        if let raw = try await read() {
          let read = self.read(raw, uid: uid, cursor: cursor, decider: decider, log: &log)
          facts.content = .read(read.message, category: read.triage?.category)
          mail = read
        } else {
          facts.content = .vanished
        }
      case .answeredBefore:
        // The same mail seen again (a recreated mailbox, a copy): by Message-ID, or
        // by its bytes when it has none.
        let record = mail?.record
        if let id = record?.messageID {
          facts.answeredBefore = try await store.hasReplied(toMessageID: id)
        } else if let hash = record?.contentHash {
          facts.answeredBefore = try await store.hasReplied(toContentHash: hash)
        } else {
          facts.answeredBefore = false
        }
      case .thread:
        // Only with the policy loaded: the ticket ids quoted in the subject need its prefix.
        if let message = mail?.message, let assessment = mail?.assessment,
          let ticket = try await store.existingTicket(
            messageIDs: message.inReplyTo + message.references, ids: assessment.quotedTickets)
        {
          facts.thread = .ticket(ticket)
        } else {
          facts.thread = .new
        }
      case .replies:
        if let address = mail?.message.replyAddress?.address {
          facts.replies = MailFacts.Replies(
            toSender: try await store.replyCount(
              since: facts.now.addingTimeInterval(-settings.rateLimits.senderWindow), to: address),
            lastHour: try await store.replyCount(since: facts.now.addingTimeInterval(-3600), to: nil))
        } else {
          facts.replies = MailFacts.Replies(toSender: 0, lastHour: 0)
        }
      }
      decision = decider.gate.decide(facts)
    }
    return decision
  }

  /// Parses, classifies and assesses a mail that was read, and logs what it is.
  private func read(
    _ raw: RawMail, uid: UInt32, cursor: MailboxCursor, decider: Decider, log: inout Logger
  )
    -> ReadMail
  {
    let message = Message(parsing: raw.bytes)
    if raw.isPartial {
      log.notice("a large mail: only its first \(raw.bytes.count) of \(raw.size) bytes were read")
    }
    // A mail read only partly always lacks its closing boundary: nothing to report.
    for warning in message.warnings where !raw.isPartial || warning != .missingClosingBoundary {
      log.notice("parser: \(warning)")
    }
    let recipient = message.replyAddress
    log[metadataKey: "from"] = "\(recipient?.address ?? "?")"
    let triage = decider.classify(message, explain: false)
    log[metadataKey: "category"] = "\(triage?.category ?? "unclassified")"
    log[metadataKey: "coverage"] = "\(triage?.coverage.rawValue ?? Coverage.unclassified.rawValue)"
    var record = MailRecord(
      mailbox: cursor.mailbox, uidValidity: cursor.uidValidity, uid: uid, messageID: message.messageID,
      contentHash: FNV1a.hex(raw.bytes), sender: recipient?.address, subject: message.subject,
      category: triage?.category, coverage: (triage?.coverage ?? .unclassified).rawValue, status: .skipped,
      updatedAt: now())
    let assessment = decider.desk?.assess(message, triage: triage, now: now())
    if let assessment {
      record.plan = assessment.reply.plan.name
      log[metadataKey: "plan"] = "\(assessment.reply.plan.name)"
    }
    return ReadMail(message: message, triage: triage, assessment: assessment, record: record)
  }

  /// Does what the gate decided.
  private func act(
    on decision: Decision, facts: MailFacts, mail: ReadMail?, uid: UInt32, cursor: MailboxCursor, desk: Desk?,
    started: ContinuousClock.Instant, log: inout Logger, summary: inout PassSummary
  ) async throws {
    switch decision {
    case .history:
      summary.history += 1
      // Asked for its record: not the first-start history, the keyword decided.
      if facts.isFlaggedByBot, facts.isRecorded == false {
        log.notice("flagged by the bot before, but this state database has no record of it: left alone, not answered")
      }
      guard !dryRun else { return }
      try await store.save(
        MailRecord(
          mailbox: cursor.mailbox, uidValidity: cursor.uidValidity, uid: uid, status: .history, updatedAt: now()),
        advancing: cursor)
    case .alreadyHandled, .needs:
      return
    case .giveUp(let attempts):
      let reason =
        "handling this mail started \(attempts) times without finishing (the bot failed or stopped inside it each time)"
      try await giveUp(on: uid, in: cursor, after: attempts, reason: reason, summary: &summary)
    case .skip(let reason):
      guard var record = mail?.record else {
        // Not read: it vanished from the mailbox.
        log.warning("mail vanished before it could be read")
        summary.skipped += 1
        guard !dryRun else { return }
        try await store.save(
          MailRecord(
            mailbox: cursor.mailbox, uidValidity: cursor.uidValidity, uid: uid, status: .skipped,
            skipReason: reason, updatedAt: now()),
          advancing: cursor)
        return
      }
      skip(&record, reason: reason, facts: facts, log: &log)
      if reason == .followUp, !dryRun, let id = mail?.message.messageID, let ticket = record.ticket {
        try await store.link(messageIDs: [id], to: ticket)
      }
      record.skipReason = reason
      summary.skipped += 1
      log.info("no reply", metadata: ["reason": "\(reason.rawValue)", "elapsed": started.elapsedForLog])
      guard !dryRun else { return }
      try await store.save(record, advancing: cursor)
      await flag(uid, in: cursor, keyword: Keyword.skipped, log: log)
    case .reply:
      guard let mail, mail.message.replyAddress != nil else { return }  // the loop guard answers .noSender for this
      try await reply(to: mail, cursor: cursor, desk: desk, started: started, log: &log, summary: &summary)
    }
  }

  /// What a skip entails beyond its record: a follow-up joins its thread's
  /// ticket (linked by the caller); reaching the hourly cap is worth a warning.
  private func skip(
    _ record: inout MailRecord, reason: SkipReason, facts: MailFacts, log: inout Logger
  ) {
    switch (reason, facts.thread) {
    case (.followUp, .ticket(let ticket)):
      // A further mail in an answered thread: it joins the ticket, no second auto-reply.
      record.ticket = ticket
      log[metadataKey: "ticket"] = "\(ticket)"
    case (.hourlyCap, _):
      log.warning(
        "the hourly cap of \(settings.rateLimits.hourlyCap) auto-replies is reached; this mail is left for staff (\(SettingVariable.hourlyCap.name))"
      )
    default:
      break
    }
  }

  /// Composes the reply, records it as `sending`, hands it to SMTP.
  private func reply(
    to mail: ReadMail, cursor: MailboxCursor, desk: Desk?, started: ContinuousClock.Instant, log: inout Logger,
    summary: inout PassSummary
  ) async throws {
    var record = mail.record
    let uid = record.uid
    // What the ticket and the reply's Message-ID are derived from: the same mail gives the same ones.
    let identity =
      mail.message.messageID ?? "content:\(record.contentHash ?? "\(cursor.mailbox)/\(cursor.uidValidity)/\(uid)")"
    let reply: OutgoingMessage
    let replyBytes: [UInt8]
    do {
      (reply, record.ticket, record.template) = try await makeReply(
        to: mail.message, assessment: mail.assessment, desk: desk, identity: identity)
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
    let ticket =
      dryRun
      ? desk.placeholderTicket(at: date)
      : try await store.ticket(
        for: identity, messageID: message.messageID, prefix: desk.setup.policy.ticketPrefix,
        year: desk.ticketYear(at: date), customer: assessment.identification.customer?.id, at: date)
    let reply = try desk.reply(
      to: message, assessment: assessment, ticket: ticket, from: settings.botAddress, date: date, identity: identity)
    return (reply, ticket, assessment.reply.template)
  }

  /// The raw mail, or nil when it was expunged since the search. The flags
  /// and size read for the batch save a round trip per mail; a mail staff
  /// open in the seconds between may be left unread again, a small price
  /// next to one more server round trip for every mail.
  private func fetch(_ metadata: MessageMetadata, in cursor: MailboxCursor) async throws -> RawMail? {
    do {
      let fetched = try await imap.fetchMessage(
        in: cursor.mailbox, uidValidity: cursor.uidValidity, uid: metadata.uid, limit: settings.fetchLimit,
        known: metadata)
      return RawMail(bytes: fetched.bytes, size: fetched.size, isPartial: fetched.isPartial)
    } catch {
      if error.reason == .messageMissing { return nil }
      throw error
    }
  }
}
