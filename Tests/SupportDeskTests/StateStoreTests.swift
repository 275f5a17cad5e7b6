import Foundation
import Testing

@testable import SupportDesk
@testable import SupportPolicy

/// A state database in a fresh temporary folder.
func temporaryStatePath() -> String {
  FileManager.default.temporaryDirectory.appendingPathComponent("supportbot-tests-\(UUID().uuidString)/state.sqlite")
    .path
}

@Suite("The state store remembers across restarts")
struct StateStoreTests {
  @Test("records and the cursor are saved together and survive reopening the database")
  func survivesReopen() async throws {
    let path = temporaryStatePath()
    let moment = Date(timeIntervalSince1970: 1_795_595_400)
    do {
      let store = try SQLiteStateStore(path: path)
      #expect(try await store.cursor(for: "INBOX") == nil)
      let record = MailRecord(
        mailbox: "INBOX", uidValidity: 7, uid: 42, messageID: "<a@x.pl>", sender: "jan@x.pl", subject: "Błąd",
        status: .sending, replyMessageID: "<sb.1@pwsk.pl>", replyRecipient: "jan@x.pl", replyBytes: Array("reply".utf8),
        updatedAt: moment)
      try await store.save(record, advancing: MailboxCursor(mailbox: "INBOX", uidValidity: 7, lastUID: 42))
    }
    let reopened = try SQLiteStateStore(path: path)
    #expect(try await reopened.cursor(for: "INBOX") == MailboxCursor(mailbox: "INBOX", uidValidity: 7, lastUID: 42))
    let record = try #require(try await reopened.record(mailbox: "INBOX", uidValidity: 7, uid: 42))
    #expect(record.status == .sending)
    #expect(record.subject == "Błąd")
    #expect(record.replyBytes == Array("reply".utf8))
    #expect(record.updatedAt == moment)
    #expect(try await reopened.hasReplied(toMessageID: "<a@x.pl>"))
    #expect(try await !reopened.hasReplied(toMessageID: "<b@x.pl>"))
    #expect(try await reopened.records(withStatus: .sending).map(\.uid) == [42])
    #expect(try await reopened.counts() == [.sending: 1])
  }

  @Test("attempts at a mail are counted across restarts until its record is saved")
  func attemptsSurviveRestarts() async throws {
    let path = temporaryStatePath()
    do {
      let store = try SQLiteStateStore(path: path)
      #expect(try await store.beginAttempt(mailbox: "INBOX", uidValidity: 7, uid: 42) == 1)
      #expect(try await store.beginAttempt(mailbox: "INBOX", uidValidity: 7, uid: 42) == 2)
      #expect(try await store.beginAttempt(mailbox: "INBOX", uidValidity: 7, uid: 43) == 1)
      #expect(try await store.beginAttempt(mailbox: "INBOX", uidValidity: 8, uid: 42) == 1)
    }
    // A crash: the count is still there for the next start.
    let reopened = try SQLiteStateStore(path: path)
    #expect(try await reopened.beginAttempt(mailbox: "INBOX", uidValidity: 7, uid: 42) == 3)
    try await reopened.save(
      MailRecord(mailbox: "INBOX", uidValidity: 7, uid: 42, status: .sent, updatedAt: Date()), advancing: nil)
    #expect(try await reopened.beginAttempt(mailbox: "INBOX", uidValidity: 7, uid: 42) == 1)
    #expect(try await reopened.beginAttempt(mailbox: "INBOX", uidValidity: 7, uid: 43) == 2)
  }

  @Test("a record for another UIDVALIDITY is a different mail")
  func uidValidityScopesRecords() async throws {
    let store = try SQLiteStateStore(path: temporaryStatePath())
    try await store.save(
      MailRecord(mailbox: "INBOX", uidValidity: 1, uid: 5, status: .skipped, skipReason: .list, updatedAt: Date()),
      advancing: nil)
    #expect(try await store.record(mailbox: "INBOX", uidValidity: 2, uid: 5) == nil)
    #expect(try await store.record(mailbox: "INBOX", uidValidity: 1, uid: 5)?.skipReason == .list)
  }

  @Test("replies are counted per recipient (any letter case) and per time window, by when they were decided")
  func replyCounts() async throws {
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let noon = Date(timeIntervalSince1970: 1_795_608_000)
    for (uid, recipient, minutesAgo) in [(1, "jan@x.pl", 90.0), (2, "Jan@X.pl", 10), (3, "ewa@y.pl", 5)] {
      try await store.save(
        MailRecord(
          mailbox: "INBOX", uidValidity: 1, uid: UInt32(uid), status: .sent, replyMessageID: "<sb.\(uid)@pwsk.pl>",
          replyRecipient: recipient, decidedAt: noon.addingTimeInterval(-minutesAgo * 60), updatedAt: noon),
        advancing: nil)
    }
    try await store.save(
      MailRecord(mailbox: "INBOX", uidValidity: 1, uid: 4, status: .skipped, skipReason: .list, updatedAt: noon),
      advancing: nil)
    let hourAgo = noon.addingTimeInterval(-3600)
    #expect(try await store.replyCount(since: hourAgo, to: "jan@x.pl") == 1)
    #expect(try await store.replyCount(since: hourAgo.addingTimeInterval(-3600), to: "JAN@x.pl") == 2)
    #expect(try await store.replyCount(since: hourAgo, to: nil) == 2)
    #expect(try await store.replyCount(since: hourAgo, to: "nikt@x.pl") == 0)
  }
}

@Suite("The state store's records and errors")
struct StateRecordTests {
  @Test("every field of a record comes back as it was saved")
  func roundTrip() async throws {
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let moment = Date(timeIntervalSince1970: 1_795_595_400.25)
    let record = MailRecord(
      mailbox: "INBOX", uidValidity: UInt32.max, uid: 4_000_000_000, messageID: "<a@x.pl>", contentHash: "c0ffee",
      sender: "jan@x.pl", subject: "Zażółć", category: "errors", coverage: "covered", ticket: "PWSK-2026-000001",
      plan: "basic", template: "covered", status: .retry, skipReason: .rateLimited, replyMessageID: "<sb.1@pwsk.pl>",
      replyRecipient: "jan@x.pl", replyBytes: [0, 13, 10, 255], attempts: 2, lastError: "451 try later",
      nextAttempt: moment.addingTimeInterval(60), decidedAt: moment.addingTimeInterval(-1), updatedAt: moment)
    try await store.save(
      record, advancing: MailboxCursor(mailbox: "INBOX", uidValidity: UInt32.max, lastUID: 4_000_000_000))
    #expect(try await store.record(mailbox: "INBOX", uidValidity: UInt32.max, uid: 4_000_000_000) == record)
    #expect(try await store.records(withStatus: .retry) == [record])
    #expect(
      try await store.cursors() == [MailboxCursor(mailbox: "INBOX", uidValidity: UInt32.max, lastUID: 4_000_000_000)])
  }

  @Test("a database that cannot be opened says which file and why")
  func cannotOpen() throws {
    let blocker = temporaryStatePath()
    try FileManager.default.createDirectory(
      atPath: (blocker as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    #expect(FileManager.default.createFile(atPath: blocker, contents: Data("not a folder".utf8)))
    let path = blocker + "/state.sqlite"
    #expect {
      _ = try SQLiteStateStore(path: path)
    } throws: { error in
      guard let error = error as? StateError, case .cannotOpen(let named, _) = error else { return false }
      return named == path && error.description.hasPrefix("The state database \(path) cannot be opened: ")
    }
  }

  @Test("a failed read or write names the database and what was being done")
  func failureDescription() {
    let error = StateError.failed(
      path: "/var/lib/supportbot/state.sqlite", doing: "saving the record of UID 42 in INBOX",
      cause: "SQLite error 13: database or disk is full")
    #expect(
      error.description
        == "The state database /var/lib/supportbot/state.sqlite failed while saving the record of UID 42 in INBOX: SQLite error 13: database or disk is full."
    )
  }
}
