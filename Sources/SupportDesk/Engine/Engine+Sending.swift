import Foundation
import Logging
import MailMessage
import MailTransport
import SupportPolicy

/// Handing replies to SMTP, keeping their copy, and trying deferred ones again.
extension Engine {
  /// Hands a recorded reply to SMTP and records the outcome.
  func send(_ record: inout MailRecord, log: Logger, summary: inout PassSummary) async throws {
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

  /// A copy of the reply in the Sent folder, for staff and for telling after a
  /// crash whether a reply went out. Failing here loses nothing: logged, not thrown.
  func keepCopy(of reply: [UInt8], in folder: String, log: Logger) async {
    do {
      try await imap.append(reply, to: folder)
    } catch {
      log.warning("could not store a copy of the reply", metadata: ["folder": "\(folder)", "error": "\(error)"])
    }
  }

  /// Sends the replies whose retry time has come.
  func retryDeferred(summary: inout PassSummary) async throws {
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
}
