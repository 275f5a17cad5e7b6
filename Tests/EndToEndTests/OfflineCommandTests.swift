import Foundation
import Testing

/// The offline commands staff use, run as the binary: no mail server needed.
@Suite("classify, preview and inspect as staff run them")
struct OfflineCommandTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

  func run(_ arguments: [String]) throws -> RunResult {
    try runSupportbot(arguments, environment: ["SUPPORTBOT_RULES": Self.path("rules")])
  }

  @Test("classify --json: category, coverage, customer, plan, action and template per file")
  func classifyJSON() throws {
    let result = try run([
      "classify", "--json", "--customers", Self.path("customers.example.csv"), "--at", "2026-11-25T10:00:00+01:00",
      Self.path("scripts/demo-mails/3-gmail-drukarka.eml"), Self.path("scripts/demo-mails/4-autoodpowiedz.eml"),
    ])
    #expect(result.status == 0, "\(result.errors)")
    let lines = result.output.split(separator: "\n")
    try #require(lines.count == 2)
    let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    #expect(first["category"] as? String == "devices")
    #expect(first["coverage"] as? String == "uncovered")
    #expect(first["customer"] as? String == "K-0003")
    #expect(first["plan"] as? String == "basic")
    #expect(first["action"] as? String == "reply")
    #expect(first["template"] as? String == "uncovered")
    #expect(first["skipReason"] is NSNull)
    let matched = try #require(first["matched"] as? [[String: Any]])
    #expect(matched.allSatisfy { ($0["file"] as? String)?.contains("devices.rules") == true && $0["line"] is Int })
    let second = try #require(try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any])
    #expect(second["action"] as? String == "skip")
    #expect(second["skipReason"] as? String == "auto-submitted")
    #expect(second["template"] is NSNull)
  }

  @Test("preview: the complete reply as it would go out, with the price for the customer's seats")
  func preview() throws {
    let result = try run([
      "preview", "--customers", Self.path("customers.example.csv"), "--at", "2026-11-27T16:00:00+01:00",
      Self.path("scripts/demo-mails/3-gmail-drukarka.eml"),
    ])
    #expect(result.status == 0, "\(result.errors)")
    #expect(result.output.contains("Auto-Submitted: auto-replied\r\n"))
    #expect(result.output.contains("Subject: =?UTF-8?B?"))
    #expect(
      result.output.contains(
        "Firma Sklep Zielińska ma 2 stanowiska, więc umowa dla wszystkich kosztuje 800 zł netto rocznie."))
    // Not covered by free support: the reply offers the contract and promises no time.
    #expect(!result.output.contains("od godziny 8:00"))
    let noReply = try run(["preview", Self.path("scripts/demo-mails/5-newsletter.eml")])
    #expect(noReply.output == "no reply: list\n")
  }

  @Test("a broken customer list is refused with its line, and the exit code says so")
  func brokenCustomers() throws {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID().uuidString).csv")
    try "id,company,contacts,license_keys,seats,updated,contract_until,language\nK-1,A,gmail.com,,1,2026-01-01,,pl\n"
      .write(to: file, atomically: true, encoding: .utf8)
    let result = try run(["classify", "--customers", file.path, Self.path("scripts/demo-mails/1-thunderbird-blad.eml")])
    #expect(result.status == 1)
    #expect(result.errors.contains("\(file.path):2:1: error: gmail.com is a free-mail domain"))
  }
}
