import Triage

/// Folders that handled mails are moved to, one per outcome, so staff see at
/// a glance what needs them (the paid-contract questions, the unclassified
/// ones, the failures). A nil folder leaves such mails where they are.
public struct FilingFolders: Sendable, Equatable {
  /// Answered; a covered (free basic support) question.
  public var covered: String?
  /// Answered; needs the paid contract.
  public var uncovered: String?
  /// Answered; neither (sales, thanks…).
  public var other: String?
  /// Answered with the general acknowledgement: no category was sure.
  public var unclassified: String?
  /// The reply could not be sent (5xx, retries ran out).
  public var failed: String?
  /// Not answered on purpose: auto-replies, bounces, lists, rate limits, follow-ups.
  public var skipped: String?

  public init(
    covered: String? = nil, uncovered: String? = nil, other: String? = nil, unclassified: String? = nil,
    failed: String? = nil, skipped: String? = nil
  ) {
    self.covered = covered
    self.uncovered = uncovered
    self.other = other
    self.unclassified = unclassified
    self.failed = failed
    self.skipped = skipped
  }

  /// The folders in the order of the fields (nil: none named).
  public var names: [String?] { [covered, uncovered, other, unclassified, failed, skipped] }

  public var isEmpty: Bool { all.isEmpty }

  /// Every folder named, once each.
  public var all: [String] {
    var seen: Set<String> = []
    return names.compactMap { $0 }.filter { seen.insert($0).inserted }
  }

  /// Where a mail goes once it is settled: nil while it is not (history, a
  /// reply being sent or waiting for a retry), and for outcomes without a folder.
  public func folder(for settlement: Settlement?, coverage: Coverage) -> String? {
    let byCoverage: String? =
      switch coverage {
      case .covered: covered
      case .uncovered: uncovered
      case .other: other
      case .unclassified: unclassified
      }
    switch settlement {
    case .answered: return byCoverage
    case .failed: return failed
    case .skipped(let reason):
      switch reason {
      case .vanished: return nil
      // Not answered on purpose, but a customer's mail: it goes where its category's mail goes.
      case .noReplyCategory: return byCoverage
      default: return skipped
      }
    case nil: return nil
    }
  }
}

/// How the bot finished with a mail, as far as filing cares.
public enum Settlement: Sendable, Equatable {
  /// The reply went out.
  case answered
  /// The reply could not be sent, or the mail could not be handled.
  case failed
  /// Not answered on purpose, for this reason (nil: none recorded).
  case skipped(SkipReason?)
}
