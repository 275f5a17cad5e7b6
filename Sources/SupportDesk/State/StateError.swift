/// What the state database could not do, naming the file and what the bot
/// was doing, with SQLite's own words (from GRDB) as the cause.
public enum StateError: Error, Sendable, CustomStringConvertible {
  /// The database file could not be created, opened or brought up to date.
  case cannotOpen(path: String, cause: String)
  /// A read or write failed; `doing` says which, in words (“saving the record of UID 42 in INBOX”).
  case failed(path: String, doing: String, cause: String)

  public var description: String {
    switch self {
    case .cannotOpen(let path, let cause):
      "The state database \(path) cannot be opened: \(cause). Check that its folder exists and the bot may write there (\(SettingVariable.state.name))."
    case .failed(let path, let doing, let cause):
      "The state database \(path) failed while \(doing): \(cause)."
    }
  }
}
