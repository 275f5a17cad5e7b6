import Foundation
import GRDB
import SupportPolicy

/// The embedded SQLite store (GRDB, WAL). Each table has a Codable record
/// below (its properties are the table's columns); the schema is in
/// `StateMigrations`. Every failure is a `StateError` naming the file and
/// what was being done; a cancelled task gets its `CancellationError` back.
public final class SQLiteStateStore: StateStore {
  private let database: DatabasePool
  /// The database file.
  public let path: String

  /// Opens (creating if needed) the database at `path` and migrates it.
  public init(path: String) throws(StateError) {
    self.path = path
    do {
      let directory = (path as NSString).deletingLastPathComponent
      if !directory.isEmpty {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      }
      var configuration = Configuration()
      configuration.busyMode = .timeout(10)
      let pool = try DatabasePool(path: path, configuration: configuration)
      try StateMigrations.migrator.migrate(pool)
      database = pool
    } catch {
      throw .cannotOpen(path: path, cause: Self.cause(error))
    }
  }

  public func cursor(for mailbox: String) async throws -> MailboxCursor? {
    try await read("reading where the bot stands in \(mailbox)") { db in
      try MailboxRow.fetchOne(db, key: mailbox).map(MailboxCursor.init)
    }
  }

  /// Every mailbox the bot has a cursor for.
  public func cursors() async throws -> [MailboxCursor] {
    try await read("listing the mailboxes") { db in
      try MailboxRow.order(Column("name")).fetchAll(db).map(MailboxCursor.init)
    }
  }

  public func record(mailbox: String, uidValidity: UInt32, uid: UInt32) async throws -> MailRecord? {
    try await read("looking up the record of UID \(uid) in \(mailbox)") { db in
      try MailRow.fetchOne(db, key: MailRow.key(mailbox, uidValidity, uid)).map(MailRecord.init)
    }
  }

  public func hasReplied(toContentHash hash: String) async throws -> Bool {
    try await read("looking for an earlier reply to the same bytes") { db in
      try !MailRow.filter(Column("contentHash") == hash && Column("replyMessageID") != nil).isEmpty(db)
    }
  }

  public func hasReplied(toMessageID messageID: String) async throws -> Bool {
    try await read("looking for an earlier reply to \(messageID)") { db in
      try !MailRow.filter(Column("messageID") == messageID && Column("replyMessageID") != nil).isEmpty(db)
    }
  }

  public func beginAttempt(mailbox: String, uidValidity: UInt32, uid: UInt32) async throws -> Int {
    try await write("counting an attempt at UID \(uid) in \(mailbox)") { db in
      try Int.fetchOne(
        db,
        sql: """
          INSERT INTO attempt (mailbox, uidValidity, uid, count) VALUES (?, ?, ?, 1)
          ON CONFLICT(mailbox, uidValidity, uid) DO UPDATE SET count = count + 1
          RETURNING count
          """,
        arguments: [mailbox, uidValidity, uid]) ?? 1
    }
  }

  public func save(_ record: MailRecord, advancing cursor: MailboxCursor?) async throws {
    try await write("saving the record of UID \(record.uid) in \(record.mailbox)") { db in
      _ = try AttemptRow.deleteOne(db, key: MailRow.key(record.mailbox, record.uidValidity, record.uid))
      // A whole new row: what the record does not know (where it was filed) starts again.
      try MailRow(record).insert(db, onConflict: .replace)
      if let cursor { try MailboxRow(cursor).upsert(db) }
    }
  }

  public func save(cursor: MailboxCursor) async throws {
    try await write("saving where the bot stands in \(cursor.mailbox)") { db in
      try MailboxRow(cursor).upsert(db)
    }
  }

  public func records(withStatus status: MailStatus) async throws -> [MailRecord] {
    try await read("listing the mails that are \(status.rawValue)") { db in
      try MailRow.filter(Column("status") == status.rawValue).order(Column("updatedAt"), Column("uid")).fetchAll(db)
        .map(MailRecord.init)
    }
  }

  public func counts() async throws -> [MailStatus: Int] {
    try await read("counting the mails by status") { db in
      var counts: [MailStatus: Int] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM mail GROUP BY status") {
        if let status = MailStatus(rawValue: row["status"]) { counts[status] = row["n"] }
      }
      return counts
    }
  }

  public func replyCount(since moment: Date, to recipient: String?) async throws -> Int {
    try await read("counting recent replies") { db in
      var replies = MailRow.filter(Column("decidedAt") >= moment)
      if let recipient { replies = replies.filter(Column("replyRecipient").collating(.nocase) == recipient) }
      return try replies.fetchCount(db)
    }
  }

  public func ticket(
    for identity: String, messageID: String?, prefix: String, year: Int, customer: String?, at moment: Date
  ) async throws -> String {
    try await write("giving out a ticket number") { db in
      if let existing = try TicketRow.filter(Column("identity") == identity).fetchOne(db) {
        return existing.id
      }
      let last = try TicketRow.filter(Column("year") == year).select(max(Column("number")), as: Int.self).fetchOne(db)
      let number = (last ?? 0) + 1
      let ticket = TicketRow(
        id: Desk.ticketID(prefix: prefix, year: year, number: number), year: year, number: number,
        identity: identity, customer: customer, createdAt: moment)
      try ticket.insert(db)
      if let messageID { try TicketMessageRow(messageID: messageID, ticket: ticket.id).insert(db, onConflict: .ignore) }
      return ticket.id
    }
  }

  public func existingTicket(messageIDs: [String], ids: [String]) async throws -> String? {
    try await read("looking up the ticket of a thread") { db in
      for messageID in messageIDs {
        if let link = try TicketMessageRow.fetchOne(db, key: messageID) { return link.ticket }
      }
      for id in ids {
        if let ticket = try TicketRow.fetchOne(db, key: id) { return ticket.id }
      }
      return nil
    }
  }

  public func link(messageIDs: [String], to ticket: String) async throws {
    try await write("linking \(messageIDs.count) mail(s) to \(ticket)") { db in
      for messageID in messageIDs {
        try TicketMessageRow(messageID: messageID, ticket: ticket).insert(db, onConflict: .ignore)
      }
    }
  }

  public func unfiled(mailbox: String, uidValidity: UInt32) async throws -> [MailRecord] {
    try await read("listing the settled mails of \(mailbox) not filed yet") { db in
      // Written out so that SQLite sees the partial index mail_unfiled's own condition.
      try MailRow.fetchAll(
        db,
        sql: """
          SELECT * FROM mail WHERE mailbox = ? AND uidValidity = ?
            AND filedTo IS NULL AND status IN ('sent', 'failed', 'skipped') ORDER BY uid
          """,
        arguments: [mailbox, uidValidity]
      ).map(MailRecord.init)
    }
  }

  public func markFiled(mailbox: String, uidValidity: UInt32, uids: [UInt32], in folder: String?) async throws {
    try await write("noting that \(uids.count) mail(s) of \(mailbox) were filed") { db in
      for uid in uids {
        try MailRow.filter(key: MailRow.key(mailbox, uidValidity, uid)).updateAll(
          db, Column("filedTo").set(to: folder ?? ""))
      }
    }
  }

  /// Reads in a snapshot; a failure names what was being read.
  private func read<T: Sendable>(
    _ doing: @autoclosure () -> String, _ body: @escaping @Sendable (Database) throws -> T
  ) async throws -> T {
    try await naming(doing()) { try await database.read(body) }
  }

  /// Writes in one transaction, durable when it returns; a failure names what was being written.
  private func write<T: Sendable>(
    _ doing: @autoclosure () -> String, _ body: @escaping @Sendable (Database) throws -> T
  ) async throws -> T {
    try await naming(doing()) { try await database.write(body) }
  }

  /// Runs `access`; a failure becomes a `StateError` saying what was being done
  /// (a cancellation stays what it is).
  private func naming<T>(_ doing: @autoclosure () -> String, _ access: () async throws -> T) async throws -> T {
    do {
      return try await access()
    } catch is CancellationError {
      throw CancellationError()
    } catch {
      throw StateError.failed(path: path, doing: doing(), cause: Self.cause(error))
    }
  }

  /// SQLite's words for a GRDB error, the system's for any other.
  private static func cause(_ error: any Error) -> String {
    (error as? DatabaseError)?.description ?? error.localizedDescription
  }
}

// The tables, one Codable record each; the property names are the column names.

/// `mailbox`: how far the bot got in each mailbox.
private struct MailboxRow: Codable, FetchableRecord, PersistableRecord {
  static let databaseTableName = "mailbox"
  var name: String
  var uidValidity: UInt32
  var lastUID: UInt32

  init(_ cursor: MailboxCursor) {
    (name, uidValidity, lastUID) = (cursor.mailbox, cursor.uidValidity, cursor.lastUID)
  }
}

extension MailboxCursor {
  fileprivate init(_ row: MailboxRow) {
    self.init(mailbox: row.name, uidValidity: row.uidValidity, lastUID: row.lastUID)
  }
}

/// `mail`: one row per mail handled. The column `filedTo` is the filing's
/// own (`unfiled`, `markFiled`); saving a record starts it again at NULL.
private struct MailRow: Codable, FetchableRecord, PersistableRecord {
  static let databaseTableName = "mail"
  var mailbox: String
  var uidValidity: UInt32
  var uid: UInt32
  var messageID: String?
  var contentHash: String?
  var sender: String?
  var subject: String?
  var category: String?
  var coverage: String?
  var ticket: String?
  var plan: String?
  var template: String?
  /// A `MailStatus`.
  var status: String
  /// A `SkipReason`.
  var skipReason: String?
  var replyMessageID: String?
  var replyRecipient: String?
  var replyBytes: Data?
  var attempts: Int
  var lastError: String?
  var nextAttempt: Date?
  var decidedAt: Date?
  var updatedAt: Date

  /// The primary key of a mail (also the `attempt` table's).
  static func key(_ mailbox: String, _ uidValidity: UInt32, _ uid: UInt32) -> [String: (any DatabaseValueConvertible)?]
  {
    ["mailbox": mailbox, "uidValidity": uidValidity, "uid": uid]
  }

  init(_ record: MailRecord) {
    mailbox = record.mailbox
    uidValidity = record.uidValidity
    uid = record.uid
    messageID = record.messageID
    contentHash = record.contentHash
    sender = record.sender
    subject = record.subject
    category = record.category
    coverage = record.coverage
    ticket = record.ticket
    plan = record.plan
    template = record.template
    status = record.status.rawValue
    skipReason = record.skipReason?.rawValue
    replyMessageID = record.replyMessageID
    replyRecipient = record.replyRecipient
    replyBytes = record.replyBytes.map { Data($0) }
    attempts = record.attempts
    lastError = record.lastError
    nextAttempt = record.nextAttempt
    decidedAt = record.decidedAt
    updatedAt = record.updatedAt
  }
}

extension MailRecord {
  /// A status this bot does not know (written by a newer one) reads as failed, for staff to look at.
  fileprivate init(_ row: MailRow) {
    self.init(
      mailbox: row.mailbox, uidValidity: row.uidValidity, uid: row.uid, messageID: row.messageID,
      contentHash: row.contentHash, sender: row.sender, subject: row.subject, category: row.category,
      coverage: row.coverage, ticket: row.ticket, plan: row.plan, template: row.template,
      status: MailStatus(rawValue: row.status) ?? .failed, skipReason: row.skipReason.flatMap(SkipReason.init),
      replyMessageID: row.replyMessageID, replyRecipient: row.replyRecipient,
      replyBytes: row.replyBytes.map(Array.init),
      attempts: row.attempts, lastError: row.lastError, nextAttempt: row.nextAttempt, decidedAt: row.decidedAt,
      updatedAt: row.updatedAt)
  }
}

/// `attempt`: mails being handled, and how often handling them started.
private struct AttemptRow: Codable, FetchableRecord, PersistableRecord {
  static let databaseTableName = "attempt"
  var mailbox: String
  var uidValidity: UInt32
  var uid: UInt32
  var count: Int
}

/// `ticket`: the tickets given out, numbered per year.
private struct TicketRow: Codable, FetchableRecord, PersistableRecord {
  static let databaseTableName = "ticket"
  var id: String
  var year: Int
  var number: Int
  /// What the ticket was made for: the first mail's Message-ID, or its content hash.
  var identity: String
  var customer: String?
  var createdAt: Date
}

/// `ticketMessage`: the mails (theirs and ours) of each ticket's thread.
private struct TicketMessageRow: Codable, FetchableRecord, PersistableRecord {
  static let databaseTableName = "ticketMessage"
  var messageID: String
  var ticket: String
}
