import Foundation
import GRDB
import SupportPolicy

/// How far the bot got in one mailbox.
public struct MailboxCursor: Sendable, Equatable {
  public var mailbox: String
  public var uidValidity: UInt32
  /// Every UID up to this one has a record (or was there before the first start).
  public var lastUID: UInt32

  public init(mailbox: String, uidValidity: UInt32, lastUID: UInt32) {
    self.mailbox = mailbox
    self.uidValidity = uidValidity
    self.lastUID = lastUID
  }
}

/// Where a mail stands.
public enum MailStatus: String, Sendable, Codable, CaseIterable {
  /// Was in the mailbox before the bot's first start; left alone.
  case history
  /// Decided not to answer; `skipReason` says why.
  case skipped
  /// The reply is about to be handed to SMTP, or was being handed when the bot
  /// stopped: the one ambiguous state (see README, "Exactly once").
  case sending
  /// The SMTP server accepted the reply.
  case sent
  /// SMTP failed temporarily; it will be tried again at `nextAttempt`.
  case retry
  /// SMTP refused the reply for good, or retries ran out.
  case failed
}

/// Everything the bot knows about one mail.
public struct MailRecord: Sendable, Equatable {
  public var mailbox: String
  public var uidValidity: UInt32
  public var uid: UInt32
  public var messageID: String?
  /// A fingerprint of the mail's bytes, to recognise it without a Message-ID.
  public var contentHash: String?
  public var sender: String?
  public var subject: String?
  /// What the rules made of it: the category id (nil: unclassified) and its coverage.
  public var category: String?
  public var coverage: String?
  /// The ticket the mail opened or belongs to; the plan and template of its reply.
  public var ticket: String?
  public var plan: String?
  public var template: String?
  public var status: MailStatus
  public var skipReason: SkipReason?
  public var replyMessageID: String?
  public var replyRecipient: String?
  /// The exact reply bytes, kept so a retry sends the same message.
  public var replyBytes: [UInt8]?
  public var attempts: Int
  public var lastError: String?
  public var nextAttempt: Date?
  /// When the reply was decided (committed as `sending`): what rate limits count.
  public var decidedAt: Date?
  public var updatedAt: Date

  public init(
    mailbox: String, uidValidity: UInt32, uid: UInt32, messageID: String? = nil, contentHash: String? = nil,
    sender: String? = nil,
    subject: String? = nil, category: String? = nil, coverage: String? = nil, ticket: String? = nil,
    plan: String? = nil, template: String? = nil, status: MailStatus,
    skipReason: SkipReason? = nil, replyMessageID: String? = nil,
    replyRecipient: String? = nil, replyBytes: [UInt8]? = nil, attempts: Int = 0, lastError: String? = nil,
    nextAttempt: Date? = nil, decidedAt: Date? = nil, updatedAt: Date
  ) {
    self.mailbox = mailbox
    self.uidValidity = uidValidity
    self.uid = uid
    self.messageID = messageID
    self.contentHash = contentHash
    self.sender = sender
    self.subject = subject
    self.category = category
    self.coverage = coverage
    self.ticket = ticket
    self.plan = plan
    self.template = template
    self.status = status
    self.skipReason = skipReason
    self.replyMessageID = replyMessageID
    self.replyRecipient = replyRecipient
    self.replyBytes = replyBytes
    self.attempts = attempts
    self.lastError = lastError
    self.nextAttempt = nextAttempt
    self.decidedAt = decidedAt
    self.updatedAt = updatedAt
  }
}

/// The bot's memory. Every write is durable before the call returns, so a
/// record written before a side effect survives a crash during it.
public protocol StateStore: Sendable {
  func cursor(for mailbox: String) async throws -> MailboxCursor?
  /// The mail with that UID, if it has been handled.
  func record(mailbox: String, uidValidity: UInt32, uid: UInt32) async throws -> MailRecord?
  /// Whether a mail with that Message-ID already got (or is getting) a reply.
  func hasReplied(toMessageID messageID: String) async throws -> Bool
  /// Whether a mail with these exact bytes already got (or is getting) a reply.
  func hasReplied(toContentHash hash: String) async throws -> Bool
  /// Notes that the bot starts handling this mail, durably, and says how many
  /// times it has started without a record to show for it (this one included):
  /// attempts that failed, and attempts the bot never came back from (a crash
  /// in the middle of a mail). Saving the mail's record ends the count.
  func beginAttempt(mailbox: String, uidValidity: UInt32, uid: UInt32) async throws -> Int
  /// Saves the record and moves the cursor in one transaction; the mail's attempts are settled by it.
  func save(_ record: MailRecord, advancing cursor: MailboxCursor?) async throws
  /// Moves the cursor alone (mail left alone as history on the first start).
  func save(cursor: MailboxCursor) async throws
  /// Records of the given status, oldest first.
  func records(withStatus status: MailStatus) async throws -> [MailRecord]
  /// Number of mails per status.
  func counts() async throws -> [MailStatus: Int]
  /// How many replies were decided since `moment`: to `recipient`, or to anyone when nil.
  func replyCount(since moment: Date, to recipient: String?) async throws -> Int
  /// The ticket of the mail with this identity, made now if it has none:
  /// `PREFIX-YEAR-NNNNNN`, numbered per year. The mail's Message-ID is linked to it.
  func ticket(
    for identity: String, messageID: String?, prefix: String, year: Int, customer: String?, at moment: Date
  )
    async throws -> String
  /// An existing ticket that one of these Message-IDs belongs to, or that one of these ids names.
  func existingTicket(messageIDs: [String], ids: [String]) async throws -> String?
  /// Links Message-IDs (a follow-up, our reply) to a ticket, so later mails in the thread find it.
  func link(messageIDs: [String], to ticket: String) async throws
  /// Settled mails of a mailbox (sent, failed, skipped) not yet filed in their outcome's folder.
  func unfiled(mailbox: String, uidValidity: UInt32) async throws -> [MailRecord]
  /// Notes that these mails were filed: moved to `folder`, or left where they are when it is nil.
  func markFiled(mailbox: String, uidValidity: UInt32, uids: [UInt32], in folder: String?) async throws
}

/// The embedded SQLite store (GRDB, WAL).
public final class SQLiteStateStore: StateStore {
  private let database: DatabasePool

  /// Opens (creating if needed) the database at `path` and migrates it.
  public init(path: String) throws {
    let directory = (path as NSString).deletingLastPathComponent
    if !directory.isEmpty {
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    var configuration = Configuration()
    configuration.busyMode = .timeout(10)
    database = try DatabasePool(path: path, configuration: configuration)
    try Self.migrator.migrate(database)
  }

  private static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1") { db in
      try db.create(table: "mailbox") { table in
        table.primaryKey("name", .text)
        table.column("uidValidity", .integer).notNull()
        table.column("lastUID", .integer).notNull()
      }
      try db.create(table: "mail") { table in
        table.column("mailbox", .text).notNull()
        table.column("uidValidity", .integer).notNull()
        table.column("uid", .integer).notNull()
        table.primaryKey(["mailbox", "uidValidity", "uid"])
        table.column("messageID", .text).indexed()
        table.column("sender", .text)
        table.column("subject", .text)
        table.column("status", .text).notNull().indexed()
        table.column("skipReason", .text)
        table.column("replyMessageID", .text)
        table.column("replyRecipient", .text)
        table.column("replyBytes", .blob)
        table.column("attempts", .integer).notNull().defaults(to: 0)
        table.column("lastError", .text)
        table.column("nextAttempt", .datetime)
        table.column("updatedAt", .datetime).notNull()
      }
    }
    migrator.registerMigration("v2: triage result") { db in
      try db.alter(table: "mail") { table in
        table.add(column: "category", .text)
        table.add(column: "coverage", .text)
      }
    }
    migrator.registerMigration("v3: tickets") { db in
      try db.create(table: "ticket") { table in
        table.primaryKey("id", .text)
        table.column("year", .integer).notNull()
        table.column("number", .integer).notNull()
        table.column("identity", .text).notNull().unique()
        table.column("customer", .text)
        table.column("createdAt", .datetime).notNull()
        table.uniqueKey(["year", "number"])
      }
      try db.create(table: "ticketMessage") { table in
        table.primaryKey("messageID", .text)
        table.column("ticket", .text).notNull().references("ticket")
      }
      try db.alter(table: "mail") { table in
        table.add(column: "ticket", .text)
        table.add(column: "plan", .text)
        table.add(column: "template", .text)
      }
    }
    migrator.registerMigration("v4: rate limits") { db in
      try db.alter(table: "mail") { table in
        table.add(column: "decidedAt", .datetime)
      }
      try db.create(index: "mail_replies", on: "mail", columns: ["decidedAt", "replyRecipient"])
    }
    migrator.registerMigration("v5: filing") { db in
      // NULL: not filed yet; '': stays in the mailbox; else the folder it was moved to.
      try db.alter(table: "mail") { table in
        table.add(column: "filedTo", .text)
      }
      // Mails handled before filing existed stay where they are.
      try db.execute(sql: "UPDATE mail SET filedTo = '' WHERE status IN ('sent', 'failed', 'skipped')")
      try db.execute(
        sql: """
          CREATE INDEX mail_unfiled ON mail (mailbox, uidValidity)
          WHERE filedTo IS NULL AND status IN ('sent', 'failed', 'skipped')
          """)
    }
    migrator.registerMigration("v6: content hash") { db in
      try db.alter(table: "mail") { table in
        table.add(column: "contentHash", .text)
      }
      try db.create(index: "mail_contentHash", on: "mail", columns: ["contentHash"])
    }
    migrator.registerMigration("v7: attempts") { db in
      // Mails being handled, and how often handling them started; a row lives
      // until the mail's record is saved, so it outlives a crash.
      try db.create(table: "attempt") { table in
        table.column("mailbox", .text).notNull()
        table.column("uidValidity", .integer).notNull()
        table.column("uid", .integer).notNull()
        table.primaryKey(["mailbox", "uidValidity", "uid"])
        table.column("count", .integer).notNull()
      }
    }
    return migrator
  }

  public func cursor(for mailbox: String) async throws -> MailboxCursor? {
    try await database.read { db in
      try Row.fetchOne(db, sql: "SELECT uidValidity, lastUID FROM mailbox WHERE name = ?", arguments: [mailbox]).map {
        MailboxCursor(
          mailbox: mailbox, uidValidity: UInt32($0["uidValidity"] as Int64), lastUID: UInt32($0["lastUID"] as Int64))
      }
    }
  }

  /// Every mailbox the bot has a cursor for.
  public func cursors() async throws -> [MailboxCursor] {
    try await database.read { db in
      try Row.fetchAll(db, sql: "SELECT name, uidValidity, lastUID FROM mailbox ORDER BY name").map {
        MailboxCursor(
          mailbox: $0["name"], uidValidity: UInt32($0["uidValidity"] as Int64), lastUID: UInt32($0["lastUID"] as Int64))
      }
    }
  }

  public func record(mailbox: String, uidValidity: UInt32, uid: UInt32) async throws -> MailRecord? {
    try await database.read { db in
      try Row.fetchOne(
        db, sql: "SELECT * FROM mail WHERE mailbox = ? AND uidValidity = ? AND uid = ?",
        arguments: [mailbox, Int64(uidValidity), Int64(uid)]
      ).map(Self.record(from:))
    }
  }

  public func hasReplied(toContentHash hash: String) async throws -> Bool {
    try await database.read { db in
      try Bool.fetchOne(
        db, sql: "SELECT EXISTS (SELECT 1 FROM mail WHERE contentHash = ? AND replyMessageID IS NOT NULL)",
        arguments: [hash]) ?? false
    }
  }

  public func hasReplied(toMessageID messageID: String) async throws -> Bool {
    try await database.read { db in
      try Bool.fetchOne(
        db, sql: "SELECT EXISTS (SELECT 1 FROM mail WHERE messageID = ? AND replyMessageID IS NOT NULL)",
        arguments: [messageID]) ?? false
    }
  }

  public func beginAttempt(mailbox: String, uidValidity: UInt32, uid: UInt32) async throws -> Int {
    try await database.write { db in
      try Int.fetchOne(
        db,
        sql: """
          INSERT INTO attempt (mailbox, uidValidity, uid, count) VALUES (?, ?, ?, 1)
          ON CONFLICT(mailbox, uidValidity, uid) DO UPDATE SET count = count + 1
          RETURNING count
          """,
        arguments: [mailbox, Int64(uidValidity), Int64(uid)]) ?? 1
    }
  }

  public func save(_ record: MailRecord, advancing cursor: MailboxCursor?) async throws {
    try await database.write { db in
      try db.execute(
        sql: "DELETE FROM attempt WHERE mailbox = ? AND uidValidity = ? AND uid = ?",
        arguments: [record.mailbox, Int64(record.uidValidity), Int64(record.uid)])
      try db.execute(
        sql: """
          INSERT OR REPLACE INTO mail (mailbox, uidValidity, uid, messageID, contentHash, sender, subject, category,
            coverage, ticket, plan, template, status, skipReason, replyMessageID, replyRecipient, replyBytes,
            attempts, lastError, nextAttempt, decidedAt, updatedAt)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          record.mailbox, Int64(record.uidValidity), Int64(record.uid), record.messageID, record.contentHash,
          record.sender,
          record.subject, record.category, record.coverage, record.ticket, record.plan, record.template,
          record.status.rawValue, record.skipReason?.rawValue, record.replyMessageID,
          record.replyRecipient, record.replyBytes.map { Data($0) }, record.attempts, record.lastError,
          record.nextAttempt, record.decidedAt, record.updatedAt,
        ])
      if let cursor {
        try db.execute(
          sql: """
            INSERT INTO mailbox (name, uidValidity, lastUID) VALUES (?, ?, ?)
            ON CONFLICT(name) DO UPDATE SET uidValidity = excluded.uidValidity, lastUID = excluded.lastUID
            """,
          arguments: [cursor.mailbox, Int64(cursor.uidValidity), Int64(cursor.lastUID)])
      }
    }
  }

  public func save(cursor: MailboxCursor) async throws {
    try await database.write { db in
      try db.execute(
        sql: """
          INSERT INTO mailbox (name, uidValidity, lastUID) VALUES (?, ?, ?)
          ON CONFLICT(name) DO UPDATE SET uidValidity = excluded.uidValidity, lastUID = excluded.lastUID
          """,
        arguments: [cursor.mailbox, Int64(cursor.uidValidity), Int64(cursor.lastUID)])
    }
  }

  public func records(withStatus status: MailStatus) async throws -> [MailRecord] {
    try await database.read { db in
      try Row.fetchAll(
        db, sql: "SELECT * FROM mail WHERE status = ? ORDER BY updatedAt, uid", arguments: [status.rawValue]
      )
      .map(Self.record(from:))
    }
  }

  public func counts() async throws -> [MailStatus: Int] {
    try await database.read { db in
      var counts: [MailStatus: Int] = [:]
      for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM mail GROUP BY status") {
        if let status = MailStatus(rawValue: row["status"]) { counts[status] = row["n"] }
      }
      return counts
    }
  }

  public func replyCount(since moment: Date, to recipient: String?) async throws -> Int {
    try await database.read { db in
      if let recipient {
        return try Int.fetchOne(
          db, sql: "SELECT COUNT(*) FROM mail WHERE decidedAt >= ? AND replyRecipient = ? COLLATE NOCASE",
          arguments: [moment, recipient]) ?? 0
      }
      return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM mail WHERE decidedAt >= ?", arguments: [moment]) ?? 0
    }
  }

  public func ticket(
    for identity: String, messageID: String?, prefix: String, year: Int, customer: String?, at moment: Date
  ) async throws -> String {
    try await database.write { db in
      if let existing = try String.fetchOne(db, sql: "SELECT id FROM ticket WHERE identity = ?", arguments: [identity])
      {
        return existing
      }
      let number =
        (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM ticket WHERE year = ?", arguments: [year]) ?? 0) + 1
      let id = Desk.ticketID(prefix: prefix, year: year, number: number)
      try db.execute(
        sql: "INSERT INTO ticket (id, year, number, identity, customer, createdAt) VALUES (?, ?, ?, ?, ?, ?)",
        arguments: [id, year, number, identity, customer, moment])
      if let messageID {
        try db.execute(
          sql: "INSERT OR IGNORE INTO ticketMessage (messageID, ticket) VALUES (?, ?)", arguments: [messageID, id])
      }
      return id
    }
  }

  public func existingTicket(messageIDs: [String], ids: [String]) async throws -> String? {
    try await database.read { db in
      for messageID in messageIDs {
        if let ticket = try String.fetchOne(
          db, sql: "SELECT ticket FROM ticketMessage WHERE messageID = ?", arguments: [messageID])
        {
          return ticket
        }
      }
      for id in ids {
        if let ticket = try String.fetchOne(db, sql: "SELECT id FROM ticket WHERE id = ?", arguments: [id]) {
          return ticket
        }
      }
      return nil
    }
  }

  public func link(messageIDs: [String], to ticket: String) async throws {
    try await database.write { db in
      for messageID in messageIDs {
        try db.execute(
          sql: "INSERT OR IGNORE INTO ticketMessage (messageID, ticket) VALUES (?, ?)", arguments: [messageID, ticket])
      }
    }
  }

  public func unfiled(mailbox: String, uidValidity: UInt32) async throws -> [MailRecord] {
    try await database.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT * FROM mail WHERE mailbox = ? AND uidValidity = ?
            AND filedTo IS NULL AND status IN ('sent', 'failed', 'skipped') ORDER BY uid
          """,
        arguments: [mailbox, Int64(uidValidity)]
      ).map(Self.record(from:))
    }
  }

  public func markFiled(mailbox: String, uidValidity: UInt32, uids: [UInt32], in folder: String?) async throws {
    try await database.write { db in
      for uid in uids {
        try db.execute(
          sql: "UPDATE mail SET filedTo = ? WHERE mailbox = ? AND uidValidity = ? AND uid = ?",
          arguments: [folder ?? "", mailbox, Int64(uidValidity), Int64(uid)])
      }
    }
  }

  private static func record(from row: Row) -> MailRecord {
    MailRecord(
      mailbox: row["mailbox"], uidValidity: UInt32(row["uidValidity"] as Int64), uid: UInt32(row["uid"] as Int64),
      messageID: row["messageID"], contentHash: row["contentHash"], sender: row["sender"], subject: row["subject"],
      category: row["category"],
      coverage: row["coverage"], ticket: row["ticket"], plan: row["plan"], template: row["template"],
      status: MailStatus(rawValue: row["status"]) ?? .failed,
      skipReason: (row["skipReason"] as String?).flatMap(SkipReason.init(rawValue:)),
      replyMessageID: row["replyMessageID"], replyRecipient: row["replyRecipient"],
      replyBytes: (row["replyBytes"] as Data?).map { [UInt8]($0) }, attempts: row["attempts"],
      lastError: row["lastError"], nextAttempt: row["nextAttempt"], decidedAt: row["decidedAt"],
      updatedAt: row["updatedAt"])
  }
}
