import Foundation
import Testing

@testable import SupportDesk
@testable import SupportPolicy

@Suite("Filing settled mails per outcome")
struct FilingTests {
  static let folders = FilingFolders(
    covered: "Obsłużone", uncovered: "Płatne", other: "Inne", unclassified: "Do przeczytania", failed: "Błędy",
    skipped: "Automaty")

  static func record(_ status: MailStatus, coverage: String? = nil, reason: SkipReason? = nil) -> MailRecord {
    MailRecord(
      mailbox: "INBOX", uidValidity: 1, uid: 1, coverage: coverage, status: status, skipReason: reason,
      updatedAt: Date(timeIntervalSince1970: 0))
  }

  @Test(
    "where a mail goes, by its outcome; unsettled mails stay",
    arguments: [
      (record(.sent, coverage: "covered"), "Obsłużone"),
      (record(.sent, coverage: "uncovered"), "Płatne"),
      (record(.sent, coverage: "other"), "Inne"),
      (record(.sent, coverage: "unclassified"), "Do przeczytania"),
      (record(.sent), "Do przeczytania"),
      (record(.failed, coverage: "covered"), "Błędy"),
      (record(.skipped, reason: .autoSubmitted), "Automaty"),
      (record(.skipped, reason: .rateLimited), "Automaty"),
      // Gone from the mailbox already: nothing to move.
      (record(.skipped, reason: .vanished), nil),
      (record(.sending, coverage: "covered"), nil),
      (record(.retry, coverage: "covered"), nil),
      (record(.history), nil),
    ] as [(MailRecord, String?)])
  func destination(record: MailRecord, folder: String?) {
    #expect(Self.folders.folder(for: record) == folder)
  }

  @Test("no folders named: everything stays")
  func none() {
    #expect(FilingFolders().isEmpty)
    #expect(FilingFolders().folder(for: Self.record(.sent, coverage: "covered")) == nil)
    #expect(FilingFolders(covered: "A", uncovered: "A", failed: "B").all == ["A", "B"])
  }
}
