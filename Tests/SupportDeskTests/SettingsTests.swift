import Foundation
import MailMessage
import MailTransport
import Testing

@testable import SupportDesk
@testable import SupportPolicy

@Suite("Settings from the environment")
struct SettingsTests {
  static let complete = [
    "SUPPORTBOT_IMAP_URL": "imaps://mail.example.pl/INBOX",
    "SUPPORTBOT_IMAP_USER": "pomoc@pwsk.pl",
    "SUPPORTBOT_IMAP_PASSWORD": "tajne-haslo",
    "SUPPORTBOT_SMTP_URL": "smtp://mail.example.pl:587",
  ]

  @Test("a complete environment; SMTP login and bot address default to the IMAP ones")
  func complete() throws {
    let settings = try Settings.fromEnvironment(Self.complete)
    #expect(settings.imap.description == "imaps://mail.example.pl:993")
    #expect(settings.imap.path == "INBOX")
    #expect(settings.smtp.security == .startTLS)
    #expect(settings.smtpAccount?.user == "pomoc@pwsk.pl")
    #expect(settings.botAddress.address == "pomoc@pwsk.pl")
    #expect(settings.botAddress.name == "Pomoc techniczna PWSK")
    #expect(settings.pollSeconds == 60)
    #expect(settings.statePath.hasSuffix("/.local/state/supportbot/supportbot.sqlite"))
    #expect(settings.statePath.hasPrefix("/"))
    #expect(settings.transport.heloName == "pwsk.pl")
  }

  @Test("every missing variable is named at once, with what it is for")
  func missing() {
    #expect {
      try Settings.fromEnvironment(["SUPPORTBOT_IMAP_USER": "pomoc@pwsk.pl"])
    } throws: { error in
      let text = "\(error)"
      return text.contains("SUPPORTBOT_IMAP_URL is not set") && text.contains("SUPPORTBOT_IMAP_PASSWORD is not set")
        && text.contains("SUPPORTBOT_SMTP_URL is not set") && !text.contains("SUPPORTBOT_IMAP_USER is not set")
    }
  }

  @Test("a password file is read and its trailing newline dropped; its content never shows in errors")
  func passwordFile() throws {
    var environment = Self.complete
    environment["SUPPORTBOT_IMAP_PASSWORD"] = nil
    environment["SUPPORTBOT_IMAP_PASSWORD_FILE"] = "/run/secrets/imap"
    let settings = try Settings.fromEnvironment(environment) { path in
      #expect(path == "/run/secrets/imap")
      return "z-pliku\n"
    }
    #expect(settings.imapAccount.password == Secret("z-pliku"))

    environment["SUPPORTBOT_POLL_SECONDS"] = "zero"
    #expect {
      try Settings.fromEnvironment(environment) { _ in "z-pliku\n" }
    } throws: { error in
      "\(error)".contains("SUPPORTBOT_POLL_SECONDS") && !"\(error)".contains("z-pliku")
    }
  }

  @Test("a password file with more lines: the first line is the password, a warning says the rest is ignored")
  func passwordFileWithMoreLines() throws {
    var environment = Self.complete
    environment["SUPPORTBOT_IMAP_PASSWORD"] = nil
    environment["SUPPORTBOT_IMAP_PASSWORD_FILE"] = "/run/secrets/imap"
    let settings = try Settings.fromEnvironment(environment) { _ in "z-pliku\n# stare: tajne-stare\n" }
    #expect(settings.imapAccount.password == Secret("z-pliku"))
    #expect(settings.warnings.count == 1)
    #expect(settings.warnings.first?.contains("only the first line") == true)
    #expect(settings.warnings.allSatisfy { !$0.contains("tajne") && !$0.contains("z-pliku") })
    #expect {
      try Settings.fromEnvironment(environment) { _ in "\nz-pliku\n" }
    } throws: { error in
      "\(error)".contains("first line of the file /run/secrets/imap is empty")
    }
  }

  /// SUPPORTBOT_STATE as written → the file used (nil: refused, with this in the error).
  static let stateLocations: [([String: String], String?, String?)] = [
    (["SUPPORTBOT_STATE": "/var/lib/supportbot/state.sqlite"], "/var/lib/supportbot/state.sqlite", nil),
    (["SUPPORTBOT_STATE": "state.sqlite"], "/srv/bot/state.sqlite", nil),
    (["SUPPORTBOT_STATE": "../dane/state.sqlite"], "/srv/dane/state.sqlite", nil),
    (["SUPPORTBOT_STATE": "sqlite:///var/lib/x.sqlite"], "/var/lib/x.sqlite", nil),
    (["SUPPORTBOT_STATE": "file:dane.sqlite"], "/srv/bot/dane.sqlite", nil),
    (["SUPPORTBOT_STATE": "~/bot.sqlite", "HOME": "/home/pomoc"], "/home/pomoc/bot.sqlite", nil),
    (["STATE_DIRECTORY": "/var/lib/supportbot"], "/var/lib/supportbot/supportbot.sqlite", nil),
    (["XDG_STATE_HOME": "/home/pomoc/.state"], "/home/pomoc/.state/supportbot/supportbot.sqlite", nil),
    (["HOME": "/home/pomoc"], "/home/pomoc/.local/state/supportbot/supportbot.sqlite", nil),
    (["SUPPORTBOT_STATE": "postgres://bot:tajne@db/supportbot"], nil, "a postgres: URL, which this version cannot use"),
    (["SUPPORTBOT_STATE": "sqlite://db.example.pl/x.sqlite"], nil, "a file on another host"),
    (["SUPPORTBOT_STATE": "sqlite:/x.sqlite?mode=ro"], nil, "without parameters"),
  ]

  @Test(
    "the state file is an absolute path whatever the working folder; an unsupported URL is refused",
    arguments: stateLocations)
  func stateLocation(environment: [String: String], expected: String?, problem: String?) {
    do {
      let path = try Settings.statePath(in: environment, currentDirectory: "/srv/bot")
      #expect(path == expected)
    } catch {
      #expect(expected == nil)
      #expect(error.message.contains(problem ?? "(no error expected)"), "\(error.message)")
      #expect(!error.message.contains("tajne"), "no password of the URL in the error")
    }
  }

  @Test("an unsupported state URL stops the start with the other problems, and makes no folder")
  func stateURLRefused() {
    var environment = Self.complete
    environment["SUPPORTBOT_STATE"] = "postgres://bot@db/supportbot"
    #expect {
      try Settings.fromEnvironment(environment)
    } throws: { error in
      "\(error)".contains("SUPPORTBOT_STATE is a postgres: URL")
    }
    #expect(!FileManager.default.fileExists(atPath: "postgres:"))
  }

  @Test("an OAuth2 token command instead of a password; SMTP logs in the same way unless told otherwise")
  func oauth2() throws {
    var environment = Self.complete
    environment["SUPPORTBOT_IMAP_PASSWORD"] = nil
    environment["SUPPORTBOT_IMAP_OAUTH2_TOKEN_COMMAND"] = "/usr/local/bin/get-token pomoc"
    let settings = try Settings.fromEnvironment(environment)
    #expect(settings.imapAccount.token == TokenSource(command: "/usr/local/bin/get-token pomoc"))
    #expect(settings.smtpAccount?.token == TokenSource(command: "/usr/local/bin/get-token pomoc"))
    #expect(settings.smtpAccount?.user == "pomoc@pwsk.pl")

    environment["SUPPORTBOT_SMTP_PASSWORD"] = "smtp-haslo"
    let mixed = try Settings.fromEnvironment(environment)
    #expect(mixed.smtpAccount?.token == nil)
    #expect(mixed.smtpAccount?.password == Secret("smtp-haslo"))
  }

  @Test(
    "OAuth2 settings that cannot work are explained",
    arguments: [
      (["SUPPORTBOT_IMAP_OAUTH2_TOKEN_COMMAND": "get-token"], "both a password and an OAuth2 token"),
      (
        ["SUPPORTBOT_IMAP_PASSWORD": nil, "SUPPORTBOT_IMAP_OAUTH2_TOKEN_FILE": "/nie/ma/tokenu"],
        "SUPPORTBOT_IMAP_OAUTH2_TOKEN_FILE names /nie/ma/tokenu, which does not exist"
      ),
      (
        [
          "SUPPORTBOT_IMAP_PASSWORD": nil, "SUPPORTBOT_IMAP_OAUTH2_TOKEN_FILE": "/etc/hostname",
          "SUPPORTBOT_IMAP_OAUTH2_TOKEN_COMMAND": "get-token",
        ], "both set; keep one"
      ),
    ] as [([String: String?], String)])
  func oauth2Problems(changes: [String: String?], mentions: String) {
    var environment = Self.complete
    for (name, value) in changes { environment[name] = value }
    #expect {
      try Settings.fromEnvironment(environment)
    } throws: { error in
      "\(error)".contains(mentions)
    }
  }

  @Test(
    "wrong values are explained with the variable's name",
    arguments: [
      ("SUPPORTBOT_IMAP_URL", "http://mail.example.pl", "imap://"),
      ("SUPPORTBOT_SMTP_URL", "smtp://jan:haslo@mail.example.pl", "password"),
      ("SUPPORTBOT_ADDRESS", "pomoc", "not an email address"),
      ("SUPPORTBOT_CA_FILE", "/nie/ma/takiego.pem", "does not exist"),
      ("SUPPORTBOT_POLL_SECONDS", "1", "from 5"),
      ("SUPPORTBOT_SENT_COPY", "imap", "'bot' or 'server'"),
      ("SUPPORTBOT_SENT_GRACE_SECONDS", "0", "from 1"),
    ])
  func wrongValues(variable: String, value: String, mentions: String) {
    var environment = Self.complete
    environment[variable] = value
    #expect {
      try Settings.fromEnvironment(environment)
    } throws: { error in
      "\(error)".contains(variable) && "\(error)".contains(mentions) && !"\(error)".contains("haslo")
    }
  }

  @Test("filing folders per outcome; unset ones leave mail where it is; the bot's own mailbox is refused")
  func filingFolders() throws {
    var environment = Self.complete
    environment["SUPPORTBOT_FOLDER_UNCOVERED"] = "Płatne"
    environment["SUPPORTBOT_FOLDER_SKIPPED"] = " Automaty "
    let folders = try Settings.fromEnvironment(environment).folders
    #expect(folders == FilingFolders(uncovered: "Płatne", skipped: "Automaty"))
    #expect(try Settings.fromEnvironment(Self.complete).folders.isEmpty)

    environment["SUPPORTBOT_FOLDER_FAILED"] = "INBOX"
    #expect {
      try Settings.fromEnvironment(environment)
    } throws: { error in
      "\(error)".contains("SUPPORTBOT_FOLDER_FAILED is 'INBOX', the mailbox the bot reads")
    }
  }

  @Test("the server filing Sent copies needs a folder to look in")
  func serverCopyNeedsFolder() throws {
    var environment = Self.complete
    environment["SUPPORTBOT_SENT_COPY"] = "server"
    #expect(try Settings.fromEnvironment(environment).sentCopy == .server)
    environment["SUPPORTBOT_SENT_FOLDER"] = "none"
    #expect {
      try Settings.fromEnvironment(environment)
    } throws: { error in
      "\(error)".contains("SUPPORTBOT_SENT_FOLDER")
    }
  }
}
