import Foundation
import MailTransport
import Testing

@testable import SupportDesk
@testable import SupportPolicy

@Suite("The YAML config file")
struct ConfigFileTests {
  @Test("grouped keys name the environment variables; relative paths start from the file's folder")
  func mapping() throws {
    let environment = try ConfigFile.environment(
      yaml: """
        imap:
          url: imaps://mail.pwsk.pl/INBOX
          user: pomoc@pwsk.pl
          password_file: imap-password
        smtp:
          url: smtp://mail.pwsk.pl:587
        state: /var/lib/supportbot/state.sqlite
        rules: rules
        customers:
        sent:
          copy: server
          grace_seconds: 120
        hourly_cap: 50
        """, file: "supportbot.yaml", folder: URL(fileURLWithPath: "/etc/supportbot"))
    #expect(
      environment == [
        "SUPPORTBOT_IMAP_URL": "imaps://mail.pwsk.pl/INBOX", "SUPPORTBOT_IMAP_USER": "pomoc@pwsk.pl",
        "SUPPORTBOT_IMAP_PASSWORD_FILE": "/etc/supportbot/imap-password",
        "SUPPORTBOT_SMTP_URL": "smtp://mail.pwsk.pl:587", "SUPPORTBOT_STATE": "/var/lib/supportbot/state.sqlite",
        "SUPPORTBOT_RULES": "/etc/supportbot/rules", "SUPPORTBOT_SENT_COPY": "server",
        "SUPPORTBOT_SENT_GRACE_SECONDS": "120", "SUPPORTBOT_HOURLY_CAP": "50",
      ])
  }

  @Test(
    "mistakes are reported with the file, the line and how to fix them",
    arguments: [
      ("imap:\n  url: imaps://x/INBOX\n  password: tajne123\n", 3, "password_file"),
      ("imap:\n  uri: imaps://x/INBOX\n", 2, "imap.url"),
      ("pol_seconds: 60\n", 1, "is not a setting"),
      ("rules:\n  - a\n  - b\n", 1, "one value"),
      ("imap:\n  url: [unclosed\n", 3, "not valid YAML"),
      ("- just\n- a list\n", 1, "'key: value'"),
    ])
  func mistakes(yaml: String, line: Int, mentions: String) {
    #expect {
      try ConfigFile.environment(yaml: yaml, file: "/etc/supportbot/supportbot.yaml")
    } throws: { error in
      let text = "\(error)"
      return text.hasPrefix("/etc/supportbot/supportbot.yaml:\(line): ") && text.contains(mentions)
        && !text.contains("tajne123")
    }
  }

  @Test("the shipped example is complete once its password file exists")
  func example() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let environment = try ConfigFile.environment(
      contentsOf: root.appendingPathComponent("deploy/supportbot.example.yaml").path)
    let settings = try Settings.fromEnvironment(environment) { path in
      #expect(path.hasSuffix("/deploy/imap-password"))
      return "secret\n"
    }
    #expect(settings.imap.description == "imaps://mail.pwsk.pl:993")
    #expect(settings.sentCopy == .server)
    #expect(settings.rateLimits == RateLimits(senderWindow: 3600, hourlyCap: 100))
    #expect(settings.customersPath?.hasSuffix("/deploy/customers.csv") == true)
  }

  @Test("an empty file sets nothing")
  func empty() throws {
    #expect(try ConfigFile.environment(yaml: "# nothing yet\n", file: "x.yaml").isEmpty)
  }
}
