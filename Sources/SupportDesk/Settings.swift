import Foundation
import MailMessage
import MailTransport
import SupportPolicy

/// Everything the service needs to run, read from the environment
/// (DESIGN.md section 3). Secrets come from the environment or from a file
/// named there, never from a config text, and never reach a log.
public struct Settings: Sendable {
  public var imap: ServerEndpoint
  public var imapAccount: Account
  public var smtp: ServerEndpoint
  /// nil: submit without AUTH (only for a trusted local relay).
  public var smtpAccount: Account?
  public var transport: TransportOptions
  /// The bot's own address: From of every reply, never answered itself.
  public var botAddress: MailAddress
  /// The SQLite file that remembers every mail handled.
  public var statePath: String
  /// The rules folder (rules/README.md): rules, policy, templates.
  public var rulesDirectory: String
  /// The customer list (CSV); nil: every sender is unknown.
  public var customersPath: String?
  /// Where a copy of each reply goes (IMAP APPEND); nil: no copy.
  public var sentFolder: String?
  /// Who puts the copies in `sentFolder`: the bot (APPEND) or the SMTP server itself.
  public var sentCopy: SentCopy
  /// How long the server's copy of a reply may take to reach `sentFolder`.
  public var sentGrace: TimeInterval
  /// MAIL FROM of replies; nil: the null sender `<>` RFC 3834 recommends.
  public var envelopeSender: String?
  /// Larger mails are read only this far (headers and text come first).
  public var fetchLimit: Int
  public var pollSeconds: Int
  /// Wait for new mail with IMAP IDLE between passes (else only poll).
  public var useIdle: Bool
  /// On the first start on a mailbox, unread mail younger than this is
  /// answered; everything older is recorded as history and left alone.
  public var firstStartWindow: TimeInterval
  public var rateLimits: RateLimits
  /// Where settled mails are moved, per outcome; empty: they stay in the mailbox.
  public var folders: FilingFolders

  /// The environment variables, with what each means, for `--help` and errors.
  public static let variables: [(name: String, meaning: String)] = [
    ("SUPPORTBOT_IMAP_URL", "the support mailbox: imaps://host/INBOX, or imap://host (STARTTLS)"),
    ("SUPPORTBOT_IMAP_USER", "the IMAP login"),
    ("SUPPORTBOT_IMAP_PASSWORD", "the IMAP password (or SUPPORTBOT_IMAP_PASSWORD_FILE)"),
    ("SUPPORTBOT_SMTP_URL", "submission: smtp://host:587 (STARTTLS) or smtps://host:465"),
    ("SUPPORTBOT_SMTP_USER", "the SMTP login (default: the IMAP login)"),
    ("SUPPORTBOT_SMTP_PASSWORD", "the SMTP password or ..._FILE (default: the IMAP one)"),
    (
      "SUPPORTBOT_IMAP_OAUTH2_TOKEN_FILE",
      "instead of a password: a file holding a current OAuth2 access token (Gmail, Microsoft 365), re-read at each login"
    ),
    (
      "SUPPORTBOT_IMAP_OAUTH2_TOKEN_COMMAND",
      "... or a command that prints a fresh access token (it does the refresh), run at each login"
    ),
    ("SUPPORTBOT_SMTP_OAUTH2_TOKEN_FILE", "the same for SMTP (default: the IMAP login)"),
    ("SUPPORTBOT_SMTP_OAUTH2_TOKEN_COMMAND", "the same for SMTP (default: the IMAP login)"),
    ("SUPPORTBOT_ADDRESS", "the bot's address, From of replies (default: IMAP login)"),
    ("SUPPORTBOT_NAME", "display name of replies (default: Pomoc techniczna PWSK)"),
    ("SUPPORTBOT_CA_FILE", "an extra trusted CA certificate (PEM), for a private CA"),
    ("SUPPORTBOT_STATE", "the state database file (default: ./supportbot.sqlite)"),
    ("SUPPORTBOT_RULES", "the rules folder (default: ./rules)"),
    ("SUPPORTBOT_CUSTOMERS", "the customer list, CSV (default: none, every sender unknown)"),
    ("SUPPORTBOT_SENT_FOLDER", "where a copy of each reply is stored (default: Sent; 'none': no copy)"),
    (
      "SUPPORTBOT_SENT_COPY",
      "who stores that copy: 'bot' (default) or 'server' when the SMTP server files what it accepts (Gmail, Microsoft 365)"
    ),
    ("SUPPORTBOT_SENT_GRACE_SECONDS", "with 'server': how long its copy may take to arrive (default: 300)"),
    ("SUPPORTBOT_ENVELOPE_SENDER", "MAIL FROM of replies (default: the null sender <>)"),
    ("SUPPORTBOT_FETCH_LIMIT_KB", "larger mails are read only this far (default: 1024)"),
    ("SUPPORTBOT_POLL_SECONDS", "seconds between polls of `run` (default: 60)"),
    ("SUPPORTBOT_IDLE", "'0': never IMAP IDLE, only poll (default: 1, IDLE when the server has it)"),
    ("SUPPORTBOT_FIRST_START_HOURS", "first start: answer unread mail of the last N hours (24)"),
    ("SUPPORTBOT_SENDER_LIMIT_MINUTES", "one auto-reply per sender within this many minutes (60; 0: off)"),
    ("SUPPORTBOT_HOURLY_CAP", "at most this many auto-replies in any hour (100)"),
    ("SUPPORTBOT_FOLDER_COVERED", "move answered covered mails to this folder (default: none, they stay)"),
    ("SUPPORTBOT_FOLDER_UNCOVERED", "... mails that need the paid contract (default: none)"),
    ("SUPPORTBOT_FOLDER_OTHER", "... mails of the 'other' categories: sales, thanks (default: none)"),
    ("SUPPORTBOT_FOLDER_UNCLASSIFIED", "... mails no rule was sure about (default: none)"),
    ("SUPPORTBOT_FOLDER_FAILED", "... mails whose reply failed for good (default: none)"),
    ("SUPPORTBOT_FOLDER_SKIPPED", "... mails not answered on purpose: auto-replies, lists, limits (default: none)"),
  ]

  public init(
    imap: ServerEndpoint, imapAccount: Account, smtp: ServerEndpoint, smtpAccount: Account?,
    transport: TransportOptions = .init(), botAddress: MailAddress, statePath: String, rulesDirectory: String = "rules",
    customersPath: String? = nil, sentFolder: String? = "Sent", sentCopy: SentCopy = .bot,
    sentGrace: TimeInterval = 300, envelopeSender: String? = nil,
    fetchLimit: Int = 1 << 20, pollSeconds: Int = 60, useIdle: Bool = true, firstStartWindow: TimeInterval = 24 * 3600,
    rateLimits: RateLimits = .init(), folders: FilingFolders = .init()
  ) {
    self.imap = imap
    self.imapAccount = imapAccount
    self.smtp = smtp
    self.smtpAccount = smtpAccount
    self.transport = transport
    self.botAddress = botAddress
    self.statePath = statePath
    self.rulesDirectory = rulesDirectory
    self.customersPath = customersPath
    self.sentFolder = sentFolder
    self.sentCopy = sentCopy
    self.sentGrace = sentGrace
    self.envelopeSender = envelopeSender
    self.fetchLimit = fetchLimit
    self.pollSeconds = pollSeconds
    self.useIdle = useIdle
    self.firstStartWindow = firstStartWindow
    self.rateLimits = rateLimits
    self.folders = folders
  }

  /// The bot's own addresses, never answered: its From and its login.
  public var ownAddresses: [String] { [botAddress.address, imapAccount.user] }

  /// Reads the settings from environment variables. Every problem is
  /// reported at once, each naming its variable and how to fix it.
  /// - Parameter readFile: reads a secret file (injected for tests).
  public static func fromEnvironment(
    _ environment: [String: String],
    readFile: (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) }
  ) throws(SettingsError) -> Settings {
    var problems: [String] = []
    func value(_ name: String) -> String? {
      guard let raw = environment[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !raw.isEmpty else {
        return nil
      }
      return raw
    }
    func reportMissing(_ name: String) {
      let meaning = variables.first { $0.name == name }?.meaning ?? ""
      problems.append("\(name) is not set: \(meaning)")
    }
    func required(_ name: String) -> String? {
      guard let raw = value(name) else {
        reportMissing(name)
        return nil
      }
      return raw
    }
    func endpoint(_ name: String, _ service: ServerEndpoint.Service) -> ServerEndpoint? {
      guard let text = required(name) else { return nil }
      do {
        return try ServerEndpoint(text, service: service)
      } catch {
        problems.append("\(name): \(error)")
        return nil
      }
    }
    func secret(_ name: String) -> Secret? {
      if let direct = value(name) { return Secret(direct) }
      guard let path = value(name + "_FILE") else { return nil }
      do {
        var text = try readFile(path)
        while text.last?.isNewline == true { text.removeLast() }
        guard !text.isEmpty else {
          problems.append("\(name)_FILE: the file \(path) is empty")
          return nil
        }
        return Secret(text)
      } catch {
        problems.append("\(name)_FILE: cannot read \(path): \(error.localizedDescription)")
        return nil
      }
    }
    func number(_ name: String, default fallback: Int, range: ClosedRange<Int>) -> Int {
      guard let text = value(name) else { return fallback }
      guard let number = Int(text), range.contains(number) else {
        problems.append(
          "\(name) is '\(text)'; it must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        return fallback
      }
      return number
    }

    /// An OAuth2 token source (`PREFIX_OAUTH2_TOKEN_FILE` or `_COMMAND`), instead of a password.
    func tokenSource(_ prefix: String) -> TokenSource? {
      let file = value(prefix + "_OAUTH2_TOKEN_FILE")
      let command = value(prefix + "_OAUTH2_TOKEN_COMMAND")
      if file != nil, command != nil {
        problems.append("\(prefix)_OAUTH2_TOKEN_FILE and \(prefix)_OAUTH2_TOKEN_COMMAND are both set; keep one")
      }
      if let file, !FileManager.default.isReadableFile(atPath: file) {
        problems.append("\(prefix)_OAUTH2_TOKEN_FILE names \(file), which does not exist or cannot be read")
      }
      if command != nil || file != nil, value(prefix + "_PASSWORD") != nil || value(prefix + "_PASSWORD_FILE") != nil {
        problems.append("\(prefix) has both a password and an OAuth2 token; keep one")
      }
      return command.map(TokenSource.init(command:)) ?? file.map(TokenSource.init(file:))
    }
    /// The login: an OAuth2 token when one is configured, else the password.
    func account(_ user: String?, token: TokenSource?, password: Secret?) -> Account? {
      guard let user else { return nil }
      if let token { return Account(user: user, token: token) }
      return password.map { Account(user: user, password: $0) }
    }

    let imap = endpoint("SUPPORTBOT_IMAP_URL", .imap)
    let imapUser = required("SUPPORTBOT_IMAP_USER")
    let imapToken = tokenSource("SUPPORTBOT_IMAP")
    let imapPassword = imapToken == nil ? secret("SUPPORTBOT_IMAP_PASSWORD") : nil
    if imapToken == nil, imapPassword == nil, value("SUPPORTBOT_IMAP_PASSWORD_FILE") == nil {
      reportMissing("SUPPORTBOT_IMAP_PASSWORD")
    }
    let imapAccount = account(imapUser, token: imapToken, password: imapPassword)
    let smtp = endpoint("SUPPORTBOT_SMTP_URL", .smtp)
    let smtpUser = value("SUPPORTBOT_SMTP_USER") ?? imapUser
    let smtpToken = tokenSource("SUPPORTBOT_SMTP")
    let smtpPassword = smtpToken == nil ? secret("SUPPORTBOT_SMTP_PASSWORD") : nil
    // Without a login of its own, SMTP uses the IMAP one (token or password).
    let smtpAccount =
      smtpToken != nil || smtpPassword != nil
      ? account(smtpUser, token: smtpToken, password: smtpPassword)
      : account(smtpUser, token: imapToken, password: imapPassword)

    var botAddress: MailAddress?
    let addressText = value("SUPPORTBOT_ADDRESS") ?? imapUser
    if let addressText {
      if let parsed = MailAddress.parseList(addressText).first, parsed.address.contains("@") {
        botAddress = MailAddress(name: value("SUPPORTBOT_NAME") ?? "Pomoc techniczna PWSK", address: parsed.address)
      } else {
        problems.append(
          "SUPPORTBOT_ADDRESS is '\(addressText)', which is not an email address; set it to the bot's own address, e.g. pomoc@pwsk.pl"
        )
      }
    }
    var transport = TransportOptions()
    if let caFile = value("SUPPORTBOT_CA_FILE") {
      if FileManager.default.isReadableFile(atPath: caFile) {
        transport.caFile = caFile
      } else {
        problems.append("SUPPORTBOT_CA_FILE names \(caFile), which does not exist or cannot be read")
      }
    }
    if let domain = botAddress?.domain, !domain.isEmpty { transport.heloName = domain }
    let pollSeconds = number("SUPPORTBOT_POLL_SECONDS", default: 60, range: 5...86_400)
    let useIdle = number("SUPPORTBOT_IDLE", default: 1, range: 0...1) == 1
    let windowHours = number("SUPPORTBOT_FIRST_START_HOURS", default: 24, range: 0...24 * 365)
    let fetchLimitKB = number("SUPPORTBOT_FETCH_LIMIT_KB", default: 1024, range: 64...1 << 20)
    let sentFolder = value("SUPPORTBOT_SENT_FOLDER") ?? "Sent"
    var sentCopy = SentCopy.bot
    if let text = value("SUPPORTBOT_SENT_COPY") {
      if let parsed = SentCopy(rawValue: text.lowercased()) {
        sentCopy = parsed
      } else {
        problems.append("SUPPORTBOT_SENT_COPY is '\(text)'; it must be 'bot' or 'server'")
      }
    }
    if sentCopy == .server, sentFolder.lowercased() == "none" {
      problems.append(
        "SUPPORTBOT_SENT_COPY is 'server' but SUPPORTBOT_SENT_FOLDER is 'none'; name the folder the server files copies in"
      )
    }
    let senderMinutes = number("SUPPORTBOT_SENDER_LIMIT_MINUTES", default: 60, range: 0...30 * 24 * 60)
    let hourlyCap = number("SUPPORTBOT_HOURLY_CAP", default: 100, range: 1...100_000)
    let sentGrace = number("SUPPORTBOT_SENT_GRACE_SECONDS", default: 300, range: 1...86_400)
    let envelopeSender = value("SUPPORTBOT_ENVELOPE_SENDER")
    if let envelopeSender, MailAddress.parseList(envelopeSender).first?.address != envelopeSender {
      problems.append(
        "SUPPORTBOT_ENVELOPE_SENDER is '\(envelopeSender)'; give a bare address, or leave it unset for <>")
    }

    let folders = FilingFolders(names: FilingFolders.variables.map { value($0) })
    for (variable, folder) in zip(FilingFolders.variables, folders.names) {
      guard let folder else { continue }
      if let imap, folder == (imap.path.isEmpty ? "INBOX" : imap.path) {
        problems.append("\(variable) is '\(folder)', the mailbox the bot reads; name another folder, or leave it unset")
      }
      if folder.unicodeScalars.contains(where: { $0.value < 0x20 }) {
        problems.append("\(variable) holds a control character; write the folder name on one line")
      }
    }

    guard problems.isEmpty, let imap, let imapAccount, let smtp, let botAddress else {
      throw SettingsError(problems: problems)
    }
    return Settings(
      imap: imap, imapAccount: imapAccount, smtp: smtp, smtpAccount: smtpAccount,
      transport: transport, botAddress: botAddress, statePath: value("SUPPORTBOT_STATE") ?? "supportbot.sqlite",
      rulesDirectory: value("SUPPORTBOT_RULES") ?? "rules", customersPath: value("SUPPORTBOT_CUSTOMERS"),
      sentFolder: sentFolder.lowercased() == "none" ? nil : sentFolder, sentCopy: sentCopy,
      sentGrace: TimeInterval(sentGrace), envelopeSender: envelopeSender,
      fetchLimit: fetchLimitKB << 10,
      pollSeconds: pollSeconds, useIdle: useIdle, firstStartWindow: TimeInterval(windowHours) * 3600,
      rateLimits: RateLimits(senderWindow: TimeInterval(senderMinutes) * 60, hourlyCap: hourlyCap), folders: folders)
  }
}

/// The settings could not be read; `problems` lists each with its fix.
public struct SettingsError: Error, Sendable, CustomStringConvertible {
  public var problems: [String]

  public var description: String {
    "the configuration is incomplete:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
  }
}
