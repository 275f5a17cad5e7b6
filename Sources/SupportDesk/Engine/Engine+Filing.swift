import Foundation
import Logging
import MailTransport
import SupportPolicy
import Triage

/// Keywords and folders: how staff see, on the server, what the bot did.
extension Engine {
  /// Moves settled mails (sent, failed, skipped) to their outcome's folder
  /// (SUPPORTBOT_FOLDER_*). This comes last, when their state and keyword are
  /// safe; the store remembers what was filed, so a crash in between only
  /// means the move happens on the next pass. A move that fails loses
  /// nothing either: the mails stay where they are until a later pass.
  func fileSettled(in cursor: MailboxCursor, summary: inout PassSummary) async throws {
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
  func move(_ uids: [UInt32], from cursor: MailboxCursor, to folder: String) async throws(IMAPError) {
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

  func flag(_ record: MailRecord, keyword: String, log: Logger) async {
    let cursor = MailboxCursor(mailbox: record.mailbox, uidValidity: record.uidValidity, lastUID: record.uid)
    await flag(record.uid, in: cursor, keyword: keyword, log: log)
  }

  /// Puts a keyword on the original. Failing here loses nothing (the state
  /// store already knows), so it is logged, not thrown.
  func flag(_ uid: UInt32, in cursor: MailboxCursor, keyword: String, log: Logger) async {
    do {
      try await imap.store(
        in: cursor.mailbox, uidValidity: cursor.uidValidity, uids: [uid], flags: [keyword], add: true)
    } catch {
      log.warning("could not mark the mail on the server", metadata: ["keyword": "\(keyword)", "error": "\(error)"])
    }
  }
}

extension FilingFolders {
  /// Where the mail of this record goes once it is settled (see `folder(for:coverage:)`).
  public func folder(for record: MailRecord) -> String? {
    folder(for: record.settlement, coverage: record.coverage.flatMap(Coverage.init(rawValue:)) ?? .unclassified)
  }
}

extension MailRecord {
  /// How the bot finished with the mail; nil while it is not finished (history, sending, retry).
  var settlement: Settlement? {
    switch status {
    case .sent: .answered
    case .failed: .failed
    case .skipped: .skipped(skipReason)
    case .history, .sending, .retry: nil
    }
  }
}
