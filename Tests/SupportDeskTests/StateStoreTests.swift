import Foundation
import Testing

@testable import SupportDesk

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

  @Test("a record for another UIDVALIDITY is a different mail")
  func uidValidityScopesRecords() async throws {
    let store = try SQLiteStateStore(path: temporaryStatePath())
    try await store.save(
      MailRecord(mailbox: "INBOX", uidValidity: 1, uid: 5, status: .skipped, skipReason: .list, updatedAt: Date()),
      advancing: nil)
    #expect(try await store.record(mailbox: "INBOX", uidValidity: 2, uid: 5) == nil)
    #expect(try await store.record(mailbox: "INBOX", uidValidity: 1, uid: 5)?.skipReason == .list)
  }
}
