import Foundation
import Testing

@testable import MailMessage

/// Our parser against Python's `email` package (policy=email.policy.default)
/// over the whole corpus. Every field on which the two disagree must be listed
/// in Fixtures/corpus/python-disagreements.json with the decision who is
/// right; a new disagreement, or a listed one that went away, fails the test.
@Suite("Differential: our parser against Python's email package")
struct DifferentialTests {
  /// One field of one file on which the parsers differ.
  struct Disagreement: Hashable, CustomStringConvertible {
    var file: String
    var field: String
    var ours: String
    var python: String

    var description: String { "\(file) \(field): ours \(ours.debugDescription), Python \(python.debugDescription)" }
  }

  static func pythonResults(_ files: [URL]) throws -> [String: [String: Any]] {
    let script = try #require(
      Bundle.module.url(forResource: "python_email", withExtension: "py", subdirectory: "Differential"))
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", script.path] + files.map(\.path)
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "python3 failed; scripts/setup.sh installs it")
    var results: [String: [String: Any]] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
      let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      results[object["file"] as? String ?? ""] = object
    }
    return results
  }

  /// Python's value as comparable text; nil for "could not say" (an error in a broken header).
  static func text(_ value: Any?) -> String? {
    switch value {
    case nil, is NSNull: return ""
    case let string as String: return string
    case let list as [Any]: return list.compactMap { text($0) }.joined(separator: ", ")
    case let object as [String: Any]:
      if object["error"] != nil { return nil }
      return "\(text(object["name"]) ?? "") <\(text(object["address"]) ?? "")>"
    default: return "\(value!)"
    }
  }

  static func squeezed(_ text: String) -> String {
    text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
  }

  @Test("every disagreement with Python is known and decided")
  func compare() throws {
    let corpus = CorpusExpectation.corpusURL
    let files = try FileManager.default.contentsOfDirectory(at: corpus, includingPropertiesForKeys: nil)
      .filter { $0.pathExtension == "eml" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    let python = try Self.pythonResults(files)
    var found: Set<Disagreement> = []
    for url in files {
      let name = url.lastPathComponent
      let message = Message(parsing: [UInt8](try Data(contentsOf: url)))
      guard let theirs = python[name] else { continue }
      let plain = message.firstPart { $0.contentType.value == "text/plain" && !$0.isAttachment }
      let ours: [String: String?] = [
        "subject": message.subject ?? "",
        "from": message.from.map { "\($0.name ?? "") <\($0.address)>" } ?? "",
        "to": message.to.map(\.address).joined(separator: ", "),
        "date": message.date?.formatted(.iso8601) ?? "",
        "messageId": message.messageID ?? "",
        "text": plain == nil ? nil : Self.squeezed(message.text),
      ]
      for (field, value) in ours {
        guard let value, var other = Self.text(theirs[field]) else { continue }
        if field == "text" {
          guard !other.isEmpty else { continue }
          other = Self.squeezed(other)
        }
        if value != other { found.insert(Disagreement(file: name, field: field, ours: value, python: other)) }
      }
    }
    let decidedURL = corpus.appendingPathComponent("python-disagreements.json")
    let decided =
      (try? JSONSerialization.jsonObject(with: Data(contentsOf: decidedURL)) as? [String: [String: String]]) ?? [:]
    let known = Set(decided.flatMap { file, fields in fields.keys.map { "\(file) \($0)" } })
    let actual = Set(found.map { "\($0.file) \($0.field)" })
    for disagreement in found.sorted(by: { $0.description < $1.description })
    where !known.contains("\(disagreement.file) \(disagreement.field)") {
      Issue.record("new disagreement, decide who is right in python-disagreements.json: \(disagreement)")
    }
    for key in known.subtracting(actual).sorted() {
      Issue.record("listed disagreement no longer happens, remove it from python-disagreements.json: \(key)")
    }
  }
}
