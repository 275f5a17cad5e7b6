import Foundation
import Logging
import MailMessage
import MailTransport
import SupportPolicy

/// What a stop, a crash or a mail that keeps failing left behind.
extension Engine {
  /// Settles the replies a stop or crash left `sending` (see `InterruptedReply`).
  func resolveInterrupted(summary: inout PassSummary) async throws {
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
  func isInSentFolder(_ messageID: String?) async throws -> Bool? {
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

  /// Records a mail that failed `attempts` times as failed, for staff, and goes on.
  func giveUp(
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
}
