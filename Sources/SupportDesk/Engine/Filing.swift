import SupportPolicy
import Triage

extension FilingFolders {
  /// The variables that name the folders, in the order of the fields.
  static let variables = [
    "SUPPORTBOT_FOLDER_COVERED", "SUPPORTBOT_FOLDER_UNCOVERED", "SUPPORTBOT_FOLDER_OTHER",
    "SUPPORTBOT_FOLDER_UNCLASSIFIED", "SUPPORTBOT_FOLDER_FAILED", "SUPPORTBOT_FOLDER_SKIPPED",
  ]

  init(names: [String?]) {
    self.init(
      covered: names[0], uncovered: names[1], other: names[2], unclassified: names[3], failed: names[4],
      skipped: names[5])
  }

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
