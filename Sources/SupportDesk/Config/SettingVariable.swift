import Foundation

/// One setting of the bot: its environment variable, its key in the YAML
/// file, its default, what kind of value it takes, whether it is a secret,
/// and what it means. `SettingVariable.all` is the one table of them:
/// `Settings.fromEnvironment` reads by it, `ConfigFile` checks the file's
/// keys against it, `supportbot --help` lists it and a test holds README's
/// table of variables to it. A variable's name is written only here.
public struct SettingVariable: Sendable, Hashable {
  /// What a variable holds, as far as reading it cares.
  public enum Kind: Sendable, Hashable {
    /// Free text: a login, a display name, a command, a URL.
    case text
    /// A file or folder; in the config file, relative to the file's folder.
    case path
    /// A whole number in this range.
    case number(ClosedRange<Int>)
    /// One of these words.
    case choice([String])
    /// An IMAP folder to file mail in (`FilingFolders`).
    case folder
  }

  /// What holds when the variable is not set.
  public enum Default: Sendable, Hashable {
    /// Nothing: the bot cannot run without it.
    case required
    /// This value, as if it were set.
    case value(String)
    /// What happens instead, in words: "the IMAP login", "none, they stay".
    case otherwise(String)
    /// Nothing: the feature it turns on is off (`--help` says no default).
    case unset
  }

  /// `SUPPORTBOT_IMAP_URL`.
  public var name: String
  /// `imap.url` in the config file (its parts joined with `_` give the name);
  /// nil: only the environment sets it.
  public var keyPath: String?
  public var defaultValue: Default
  public var kind: Kind
  /// A password: never in the config file, never in a log or an error; it is
  /// given directly or, better, as a file named by `…_FILE`.
  public var isSecret: Bool
  /// What it means, for `--help` and for the error when it is missing.
  public var help: String

  init(
    _ name: String, key keyPath: String?, _ defaultValue: Default, _ kind: Kind = .text, secret: Bool = false,
    help: String
  ) {
    self.name = name
    self.keyPath = keyPath
    self.defaultValue = defaultValue
    self.kind = kind
    self.isSecret = secret
    self.help = help
  }

  /// The variable naming the file a secret is read from: `SUPPORTBOT_IMAP_PASSWORD_FILE`.
  public var fileVariable: String? { isSecret ? name + "_FILE" : nil }

  /// The default as a value, when there is one.
  public var defaultText: String? {
    if case .value(let text) = defaultValue { return text }
    return nil
  }

  /// The line `--help` shows under the name: the meaning and the default.
  public var helpLine: String {
    switch defaultValue {
    case .required, .unset: help
    case .value(let text), .otherwise(let text): "\(help) (default: \(text))"
    }
  }

  /// Its value in `environment`, without surrounding blanks; nil when unset or blank.
  public func value(in environment: [String: String]) -> String? { Self.value(of: name, in: environment) }

  /// Its value in `environment`, else its default (for a setting whose default is a value).
  public func valueOrDefault(in environment: [String: String]) -> String {
    if let value = value(in: environment) { return value }
    guard let defaultText else { preconditionFailure("\(name) has no default value in SettingVariable.all") }
    return defaultText
  }

  /// The value of the variable `name` in `environment`, without surrounding blanks; nil when unset or blank.
  public static func value(of name: String, in environment: [String: String]) -> String? {
    guard let raw = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else {
      return nil
    }
    return raw
  }
}

extension SettingVariable {
  public static let imapURL = SettingVariable(
    "SUPPORTBOT_IMAP_URL", key: "imap.url", .required,
    help: "the support mailbox: imaps://host/INBOX, or imap://host (STARTTLS)")
  public static let imapUser = SettingVariable(
    "SUPPORTBOT_IMAP_USER", key: "imap.user", .required, help: "the IMAP login")
  public static let imapPassword = SettingVariable(
    "SUPPORTBOT_IMAP_PASSWORD", key: "imap.password", .required, secret: true,
    help: "the IMAP password (or SUPPORTBOT_IMAP_PASSWORD_FILE)")
  public static let smtpURL = SettingVariable(
    "SUPPORTBOT_SMTP_URL", key: "smtp.url", .required,
    help: "submission: smtp://host:587 (STARTTLS) or smtps://host:465")
  public static let smtpUser = SettingVariable(
    "SUPPORTBOT_SMTP_USER", key: "smtp.user", .otherwise("the IMAP login"), help: "the SMTP login")
  public static let smtpPassword = SettingVariable(
    "SUPPORTBOT_SMTP_PASSWORD", key: "smtp.password", .otherwise("the IMAP one"), secret: true,
    help: "the SMTP password or ..._FILE")
  public static let imapTokenFile = SettingVariable(
    "SUPPORTBOT_IMAP_OAUTH2_TOKEN_FILE", key: "imap.oauth2_token_file", .unset, .path,
    help:
      "instead of a password: a file holding a current OAuth2 access token (Gmail, Microsoft 365), re-read at each login"
  )
  public static let imapTokenCommand = SettingVariable(
    "SUPPORTBOT_IMAP_OAUTH2_TOKEN_COMMAND", key: "imap.oauth2_token_command", .unset,
    help: "... or a command that prints a fresh access token (it does the refresh), run at each login")
  public static let smtpTokenFile = SettingVariable(
    "SUPPORTBOT_SMTP_OAUTH2_TOKEN_FILE", key: "smtp.oauth2_token_file", .otherwise("the IMAP login"), .path,
    help: "the same for SMTP")
  public static let smtpTokenCommand = SettingVariable(
    "SUPPORTBOT_SMTP_OAUTH2_TOKEN_COMMAND", key: "smtp.oauth2_token_command", .otherwise("the IMAP login"),
    help: "the same for SMTP")
  public static let botAddress = SettingVariable(
    "SUPPORTBOT_ADDRESS", key: "address", .otherwise("the IMAP login"), help: "the bot's address, From of replies")
  public static let botName = SettingVariable(
    "SUPPORTBOT_NAME", key: "name", .value("Pomoc techniczna PWSK"), help: "display name of replies")
  public static let caFile = SettingVariable(
    "SUPPORTBOT_CA_FILE", key: "ca_file", .unset, .path,
    help: "an extra trusted CA certificate (PEM), for a private CA")
  public static let state = SettingVariable(
    "SUPPORTBOT_STATE", key: "state",
    .otherwise("$STATE_DIRECTORY/supportbot.sqlite under systemd, else ~/.local/state/supportbot/supportbot.sqlite"),
    .path, help: "the state database file (SQLite; a path, or sqlite:PATH)")
  public static let rules = SettingVariable(
    "SUPPORTBOT_RULES", key: "rules", .value("rules"), .path, help: "the rules folder")
  public static let customers = SettingVariable(
    "SUPPORTBOT_CUSTOMERS", key: "customers", .otherwise("none, every sender unknown"), .path,
    help: "the customer list, CSV")
  public static let sentFolder = SettingVariable(
    "SUPPORTBOT_SENT_FOLDER", key: "sent.folder", .value("Sent"),
    help: "where a copy of each reply is stored; 'none': no copy")
  public static let sentCopy = SettingVariable(
    "SUPPORTBOT_SENT_COPY", key: "sent.copy", .value("bot"), .choice(["bot", "server"]),
    help:
      "who stores that copy: 'bot' or 'server' when the SMTP server files what it accepts (Gmail, Microsoft 365)")
  public static let sentGraceSeconds = SettingVariable(
    "SUPPORTBOT_SENT_GRACE_SECONDS", key: "sent.grace_seconds", .value("300"), .number(1...86_400),
    help: "with 'server': how long its copy may take to arrive")
  public static let envelopeSender = SettingVariable(
    "SUPPORTBOT_ENVELOPE_SENDER", key: "envelope_sender", .otherwise("the null sender <>"),
    help: "MAIL FROM of replies")
  public static let fetchLimitKB = SettingVariable(
    "SUPPORTBOT_FETCH_LIMIT_KB", key: "fetch_limit_kb", .value("1024"), .number(64...1 << 20),
    help: "larger mails are read only this far")
  public static let pollSeconds = SettingVariable(
    "SUPPORTBOT_POLL_SECONDS", key: "poll_seconds", .value("60"), .number(5...86_400),
    help: "seconds between polls of `run`")
  public static let idle = SettingVariable(
    "SUPPORTBOT_IDLE", key: "idle", .value("1"), .number(0...1),
    help: "'0': never IMAP IDLE, only poll; '1': IDLE when the server has it")
  public static let firstStartHours = SettingVariable(
    "SUPPORTBOT_FIRST_START_HOURS", key: "first_start_hours", .value("24"), .number(0...24 * 365),
    help: "first start: answer unread mail of the last N hours")
  public static let senderLimitMinutes = SettingVariable(
    "SUPPORTBOT_SENDER_LIMIT_MINUTES", key: "sender_limit_minutes", .value("60"), .number(0...30 * 24 * 60),
    help: "one auto-reply per sender within this many minutes; 0: off")
  public static let hourlyCap = SettingVariable(
    "SUPPORTBOT_HOURLY_CAP", key: "hourly_cap", .value("100"), .number(1...100_000),
    help: "at most this many auto-replies in any hour")
  public static let folderCovered = SettingVariable(
    "SUPPORTBOT_FOLDER_COVERED", key: "folder.covered", .otherwise("none, they stay"), .folder,
    help: "move answered covered mails to this folder")
  public static let folderUncovered = SettingVariable(
    "SUPPORTBOT_FOLDER_UNCOVERED", key: "folder.uncovered", .otherwise("none"), .folder,
    help: "... mails that need the paid contract")
  public static let folderOther = SettingVariable(
    "SUPPORTBOT_FOLDER_OTHER", key: "folder.other", .otherwise("none"), .folder,
    help: "... mails of the 'other' categories: sales, thanks")
  public static let folderUnclassified = SettingVariable(
    "SUPPORTBOT_FOLDER_UNCLASSIFIED", key: "folder.unclassified", .otherwise("none"), .folder,
    help: "... mails no rule was sure about")
  public static let folderFailed = SettingVariable(
    "SUPPORTBOT_FOLDER_FAILED", key: "folder.failed", .otherwise("none"), .folder,
    help: "... mails whose reply failed for good")
  public static let folderSkipped = SettingVariable(
    "SUPPORTBOT_FOLDER_SKIPPED", key: "folder.skipped", .otherwise("none"), .folder,
    help: "... mails not answered on purpose: auto-replies, lists, limits")
  public static let config = SettingVariable(
    "SUPPORTBOT_CONFIG", key: nil, .otherwise("none, the environment only"), .path,
    help: "the YAML config file, when --config names none")
  public static let logTimestamps = SettingVariable(
    "SUPPORTBOT_LOG_TIMESTAMPS", key: nil, .value("1"), .number(0...1),
    help: "'0' drops the time stamp from log lines (systemd's journal stamps them itself)")

  /// Every setting, in the order `--help` lists them.
  public static let all: [SettingVariable] = [
    imapURL, imapUser, imapPassword, smtpURL, smtpUser, smtpPassword, imapTokenFile, imapTokenCommand,
    smtpTokenFile, smtpTokenCommand, botAddress, botName, caFile, state, rules, customers, sentFolder, sentCopy,
    sentGraceSeconds, envelopeSender, fetchLimitKB, pollSeconds, idle, firstStartHours, senderLimitMinutes,
    hourlyCap, folderCovered, folderUncovered, folderOther, folderUnclassified, folderFailed, folderSkipped,
    config, logTimestamps,
  ]

  /// The setting with this name.
  public static func named(_ name: String) -> SettingVariable? { all.first { $0.name == name } }
}
