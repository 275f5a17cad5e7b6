/// What one pass over the mailbox did.
public struct PassSummary: Sendable, Equatable, CustomStringConvertible {
  public var newMails = 0
  public var replied = 0
  public var skipped = 0
  public var history = 0
  public var failed = 0
  public var deferred = 0
  public var retried = 0
  /// Replies a stop had interrupted that turned out to have gone out.
  public var recovered = 0
  /// Settled mails moved to their outcome's folder (SUPPORTBOT_FOLDER_*).
  public var filed = 0

  public init() {}

  public var description: String {
    "\(newMails) new, \(replied) replied, \(skipped) skipped, \(history) left as history, "
      + "\(deferred) deferred, \(failed) failed, \(retried) retried, \(recovered) recovered"
      + (filed > 0 ? ", \(filed) filed" : "")
  }
}
