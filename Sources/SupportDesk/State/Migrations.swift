import GRDB

/// The state database's schema, one migration per step it took. A migration,
/// once released, is never changed: a database made by an older bot is
/// brought up to date by the steps it has not seen yet.
enum StateMigrations {
  static var migrator: DatabaseMigrator {
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
}
