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
  /// What is odd but not wrong in the settings, for the log at start.
  public var warnings: [String] = []

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

  /// The bot's own addresses as `environment` names them, for the offline
  /// commands, which need no complete configuration: its address and its
  /// login, where set.
  public static func ownAddresses(in environment: [String: String]) -> [String] {
    let address = botAddressText(in: environment).flatMap { MailAddress.parseList($0).first?.address }
    return [address, SettingVariable.imapUser.value(in: environment)].compactMap { $0 }
  }

  /// The From of replies as `environment` names it, for the offline
  /// commands: as the service has it, or `pomoc@pwsk.pl` where nothing names one.
  public static func botAddress(in environment: [String: String]) -> MailAddress {
    let text = botAddressText(in: environment)
    let address = text.flatMap { MailAddress.parseList($0).first?.address } ?? text ?? "pomoc@pwsk.pl"
    return MailAddress(name: botName(in: environment), address: address)
  }

  /// Reads the settings from environment variables (`SettingVariable.all`).
  /// Every problem is reported at once, each naming its variable and how to fix it.
  /// - Parameter readFile: reads a secret file (injected for tests).
  public static func fromEnvironment(
    _ environment: [String: String],
    readFile: (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) }
  ) throws(ConfigError) -> Settings {
    typealias Variable = SettingVariable
    var problems: [String] = []
    var warnings: [String] = []
    func value(_ variable: Variable) -> String? { variable.value(in: environment) }
    func isSet(_ name: String) -> Bool { Variable.value(of: name, in: environment) != nil }
    func reportMissing(_ variable: Variable) {
      problems.append("\(variable.name) is not set: \(variable.help)")
    }
    func required(_ variable: Variable) -> String? {
      guard let raw = value(variable) else {
        reportMissing(variable)
        return nil
      }
      return raw
    }
    func endpoint(_ variable: Variable, _ service: ServerEndpoint.Service) -> ServerEndpoint? {
      guard let text = required(variable) else { return nil }
      do {
        return try ServerEndpoint(text, service: service)
      } catch {
        problems.append("\(variable.name): \(error)")
        return nil
      }
    }
    /// A password given directly, or read from the file its `…_FILE` variable names.
    func secret(_ variable: Variable) -> Secret? {
      if let direct = value(variable) { return Secret(direct) }
      guard let fileVariable = variable.fileVariable,
        let path = Variable.value(of: fileVariable, in: environment)
      else { return nil }
      do {
        // The first line is the password; editors and `echo` add a line end, some admins a comment.
        let lines = try readFile(path).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let first = lines.first.map(String.init) ?? ""
        guard !first.isEmpty else {
          problems.append("\(fileVariable): the first line of the file \(path) is empty; write the password on it")
          return nil
        }
        let more = lines.dropFirst().filter { !$0.allSatisfy(\.isWhitespace) }.count
        if more > 0 {
          warnings.append(
            "\(fileVariable): the file \(path) has \(more) more line(s) after the first; only the first line is used as the password"
          )
        }
        return Secret(first)
      } catch {
        problems.append("\(fileVariable): cannot read \(path): \(error.localizedDescription)")
        return nil
      }
    }
    /// A whole number in the variable's range, else its default.
    func number(_ variable: Variable) -> Int {
      guard case .number(let range) = variable.kind, let fallback = Int(variable.valueOrDefault(in: [:])) else {
        preconditionFailure("\(variable.name) is not a number with a default in SettingVariable.all")
      }
      guard let text = value(variable) else { return fallback }
      guard let number = Int(text), range.contains(number) else {
        problems.append(
          "\(variable.name) is '\(text)'; it must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        return fallback
      }
      return number
    }

    /// An OAuth2 token source (a file or a command), instead of a password.
    func tokenSource(
      file fileVariable: Variable, command commandVariable: Variable, password: Variable
    )
      -> TokenSource?
    {
      let file = value(fileVariable)
      let command = value(commandVariable)
      if file != nil, command != nil {
        problems.append("\(fileVariable.name) and \(commandVariable.name) are both set; keep one")
      }
      if let file, !FileManager.default.isReadableFile(atPath: file) {
        problems.append("\(fileVariable.name) names \(file), which does not exist or cannot be read")
      }
      if command != nil || file != nil, value(password) != nil || password.fileVariable.map(isSet) == true {
        let login = password.name.dropLast("_PASSWORD".count)
        problems.append("\(login) has both a password and an OAuth2 token; keep one")
      }
      return command.map(TokenSource.init(command:)) ?? file.map(TokenSource.init(file:))
    }
    /// The login: an OAuth2 token when one is configured, else the password.
    func account(_ user: String?, token: TokenSource?, password: Secret?) -> Account? {
      guard let user else { return nil }
      if let token { return Account(user: user, token: token) }
      return password.map { Account(user: user, password: $0) }
    }

    let imap = endpoint(.imapURL, .imap)
    let imapUser = required(.imapUser)
    let imapToken = tokenSource(file: .imapTokenFile, command: .imapTokenCommand, password: .imapPassword)
    let imapPassword = imapToken == nil ? secret(.imapPassword) : nil
    if imapToken == nil, imapPassword == nil, Variable.imapPassword.fileVariable.map(isSet) != true {
      reportMissing(.imapPassword)
    }
    let imapAccount = account(imapUser, token: imapToken, password: imapPassword)
    let smtp = endpoint(.smtpURL, .smtp)
    let smtpUser = value(.smtpUser) ?? imapUser
    let smtpToken = tokenSource(file: .smtpTokenFile, command: .smtpTokenCommand, password: .smtpPassword)
    let smtpPassword = smtpToken == nil ? secret(.smtpPassword) : nil
    // Without a login of its own, SMTP uses the IMAP one (token or password).
    let smtpAccount =
      smtpToken != nil || smtpPassword != nil
      ? account(smtpUser, token: smtpToken, password: smtpPassword)
      : account(smtpUser, token: imapToken, password: imapPassword)

    var botAddress: MailAddress?
    if let addressText = botAddressText(in: environment) {
      if let parsed = MailAddress.parseList(addressText).first, parsed.address.contains("@") {
        botAddress = MailAddress(name: botName(in: environment), address: parsed.address)
      } else {
        problems.append(
          "\(Variable.botAddress.name) is '\(addressText)', which is not an email address; set it to the bot's own address, e.g. pomoc@pwsk.pl"
        )
      }
    }
    var transport = TransportOptions()
    if let caFile = value(.caFile) {
      if FileManager.default.isReadableFile(atPath: caFile) {
        transport.caFile = caFile
      } else {
        problems.append("\(Variable.caFile.name) names \(caFile), which does not exist or cannot be read")
      }
    }
    if let domain = botAddress?.domain, !domain.isEmpty { transport.heloName = domain }
    let pollSeconds = number(.pollSeconds)
    let useIdle = number(.idle) == 1
    let windowHours = number(.firstStartHours)
    let fetchLimitKB = number(.fetchLimitKB)
    let sentFolder = Variable.sentFolder.valueOrDefault(in: environment)
    var sentCopy = SentCopy.bot
    if let text = value(.sentCopy) {
      if let parsed = SentCopy(rawValue: text.lowercased()) {
        sentCopy = parsed
      } else {
        problems.append("\(Variable.sentCopy.name) is '\(text)'; it must be 'bot' or 'server'")
      }
    }
    if sentCopy == .server, sentFolder.lowercased() == "none" {
      problems.append(
        "\(Variable.sentCopy.name) is 'server' but \(Variable.sentFolder.name) is 'none'; name the folder the server files copies in"
      )
    }
    let senderMinutes = number(.senderLimitMinutes)
    let hourlyCap = number(.hourlyCap)
    let sentGrace = number(.sentGraceSeconds)
    let envelopeSender = value(.envelopeSender)
    if let envelopeSender, MailAddress.parseList(envelopeSender).first?.address != envelopeSender {
      problems.append(
        "\(Variable.envelopeSender.name) is '\(envelopeSender)'; give a bare address, or leave it unset for <>")
    }

    let folders = FilingFolders(names: FilingFolders.variables.map(value))
    for (variable, folder) in zip(FilingFolders.variables, folders.names) {
      guard let folder else { continue }
      if let imap, folder == (imap.path.isEmpty ? "INBOX" : imap.path) {
        problems.append(
          "\(variable.name) is '\(folder)', the mailbox the bot reads; name another folder, or leave it unset")
      }
      if folder.unicodeScalars.contains(where: { $0.value < 0x20 }) {
        problems.append("\(variable.name) holds a control character; write the folder name on one line")
      }
    }

    var statePath = ""
    do {
      statePath = try Self.statePath(in: environment)
    } catch {
      problems.append(error.message)
    }

    guard problems.isEmpty, let imap, let imapAccount, let smtp, let botAddress else {
      throw .settings(problems: problems)
    }
    var settings = Settings(
      imap: imap, imapAccount: imapAccount, smtp: smtp, smtpAccount: smtpAccount,
      transport: transport, botAddress: botAddress, statePath: statePath,
      rulesDirectory: Variable.rules.valueOrDefault(in: environment), customersPath: value(.customers),
      sentFolder: sentFolder.lowercased() == "none" ? nil : sentFolder, sentCopy: sentCopy,
      sentGrace: TimeInterval(sentGrace), envelopeSender: envelopeSender,
      fetchLimit: fetchLimitKB << 10,
      pollSeconds: pollSeconds, useIdle: useIdle, firstStartWindow: TimeInterval(windowHours) * 3600,
      rateLimits: RateLimits(senderWindow: TimeInterval(senderMinutes) * 60, hourlyCap: hourlyCap), folders: folders)
    settings.warnings = warnings
    return settings
  }

  /// The bot's own address as the variables give it, not yet checked:
  /// SUPPORTBOT_ADDRESS, else the IMAP login.
  public static func botAddressText(in environment: [String: String]) -> String? {
    SettingVariable.botAddress.value(in: environment) ?? SettingVariable.imapUser.value(in: environment)
  }

  /// The display name of the replies: SUPPORTBOT_NAME, else the default.
  public static func botName(in environment: [String: String]) -> String {
    SettingVariable.botName.valueOrDefault(in: environment)
  }

  /// What is wrong with SUPPORTBOT_STATE, and how to fix it.
  public struct StateLocationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
  }

  /// The state database file, as an absolute path, so that the bot started
  /// from another folder finds the same file: SUPPORTBOT_STATE (a path, or
  /// `sqlite:PATH` / `file:PATH`; a relative path is taken from the current
  /// folder), else `$STATE_DIRECTORY/supportbot.sqlite` (systemd's
  /// `StateDirectory=`), else `$XDG_STATE_HOME/supportbot/supportbot.sqlite`,
  /// else `~/.local/state/supportbot/supportbot.sqlite`. A URL of any other
  /// kind is refused: the bot would otherwise make a folder named after it.
  public static func statePath(
    in environment: [String: String], currentDirectory: String = FileManager.default.currentDirectoryPath
  ) throws(StateLocationError) -> String {
    let variable = SettingVariable.state
    guard var path = variable.value(in: environment) else {
      if let directory = environment["STATE_DIRECTORY"]?.split(separator: ":").first, directory.hasPrefix("/") {
        return "\(directory)/supportbot.sqlite"
      }
      if let directory = environment["XDG_STATE_HOME"], directory.hasPrefix("/") {
        return "\(directory)/supportbot/supportbot.sqlite"
      }
      let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? NSHomeDirectory()
      return "\(home)/.local/state/supportbot/supportbot.sqlite"
    }
    // A scheme: letters, digits, + - . before a colon (RFC 3986), more than one character.
    if let colon = path.firstIndex(of: ":"), path.distance(from: path.startIndex, to: colon) > 1,
      path[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) })
    {
      let scheme = path[..<colon].lowercased()
      guard scheme == "sqlite" || scheme == "file" else {
        throw StateLocationError(
          message:
            "\(variable.name) is a \(scheme): URL, which this version cannot use; give the SQLite file as a path "
            + "(/var/lib/supportbot/state.sqlite) or as sqlite:PATH or file:PATH")
      }
      path = String(path[path.index(after: colon)...])
      // file:///var/lib/x and sqlite:///var/lib/x name /var/lib/x; a host part is not a local file.
      if path.hasPrefix("//") {
        path.removeFirst(2)
        guard path.hasPrefix("/") else {
          throw StateLocationError(
            message: "\(variable.name) names a file on another host; give a local path such as "
              + "sqlite:///var/lib/supportbot/state.sqlite")
        }
      }
      guard !path.isEmpty, !path.contains("?") else {
        throw StateLocationError(
          message: "\(variable.name) must name the SQLite file, without parameters: "
            + "sqlite:/var/lib/supportbot/state.sqlite")
      }
    }
    if path.hasPrefix("~/") {
      let home = environment["HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? NSHomeDirectory()
      path = home + path.dropFirst()
    }
    if !path.hasPrefix("/") { path = currentDirectory + "/" + path }
    return (path as NSString).standardizingPath
  }
}

extension FilingFolders {
  /// The variables that name the folders, in the order of the fields.
  public static let variables: [SettingVariable] = [
    .folderCovered, .folderUncovered, .folderOther, .folderUnclassified, .folderFailed, .folderSkipped,
  ]

  init(names: [String?]) {
    self.init(
      covered: names[0], uncovered: names[1], other: names[2], unclassified: names[3], failed: names[4],
      skipped: names[5])
  }
}
