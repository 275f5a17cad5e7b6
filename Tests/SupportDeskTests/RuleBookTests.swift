import Foundation
import InMemoryLogging
import Logging
import Testing
import Triage

@testable import SupportDesk
@testable import SupportPolicy

@Suite("The running bot picks up rule changes, and refuses broken ones")
struct RuleBookTests {
  func write(_ text: String, to directory: URL, name: String = "devices") throws {
    try text.write(to: directory.appendingPathComponent("categories/\(name).rules"), atomically: true, encoding: .utf8)
  }

  static let valid = """
    category: devices
    title: Urządzenia
    coverage: uncovered
    threshold: 3
    body +3: drukar*
    example: drukarka
    """

  @Test("a valid change is loaded; a broken one is logged and the previous rules stay")
  func reload() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: directory.appendingPathComponent("categories"), withIntermediateDirectories: true)
    try write(Self.valid, to: directory)
    let log = InMemoryLogHandler()
    let logger = Logger(label: "test") { _ in log }
    let book = RuleBook(directory: directory.path)

    let first = try #require(book.current(logger: logger))
    #expect(first.rules.categories.map(\.id) == ["devices"])
    #expect(log.entries.contains { "\($0.message)".contains("loaded the rules in") })

    // Unchanged files: the same rules, nothing logged again.
    let entries = log.entries.count
    #expect(book.current(logger: logger)?.rules.categories.map(\.id) == ["devices"])
    #expect(log.entries.count == entries)

    // A second category: picked up on the next pass.
    try write(
      Self.valid.replacingOccurrences(of: "devices", with: "scanners").replacingOccurrences(
        of: "drukar", with: "skaner"), to: directory, name: "scanners")
    #expect(book.current(logger: logger)?.rules.categories.map(\.id) == ["devices", "scanners"])

    // A typo: refused with the file and line, the two categories keep working.
    try write(Self.valid.replacingOccurrences(of: "body +3", with: "bdy +3"), to: directory)
    #expect(book.current(logger: logger)?.rules.categories.map(\.id) == ["devices", "scanners"])
    let error = try #require(log.entries.last { $0.level == .error })
    #expect("\(error.message)".contains("the previous version stays in force"))
    #expect(error.metadata["errors"]?.description.contains("devices.rules:5:1: error: unknown key 'bdy'") == true)
  }

  @Test("without a valid rules folder every mail is unclassified, and the bot says so")
  func missing() {
    let log = InMemoryLogHandler()
    let book = RuleBook(directory: "/nie/ma/takiego/folderu")
    #expect(book.current(logger: Logger(label: "test") { _ in log }) == nil)
    #expect(log.entries.contains { "\($0.message)".contains("nothing is in force") })
  }
}
