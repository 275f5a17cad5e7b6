import Foundation
import Testing

@testable import MailMessage

/// What a person reading the mail sees, written down next to each fixture
/// in Fixtures/corpus/expected.json.
struct CorpusExpectation: Decodable, Sendable, CustomTestStringConvertible {
  struct Sender: Decodable, Sendable {
    var name: String?
    var address: String
  }

  struct File: Decodable, Sendable {
    var filename: String?
    var contentType: String
  }

  var file = ""
  var subject: String?
  var from: Sender?
  var to: [String]
  var date: String?
  var messageId: String?
  var inReplyTo: String?
  var references: [String]
  var textContains: [String]
  var textLacks: [String]
  var newTextContains: [String]
  var newTextLacks: [String]
  var attachments: [File]
  var charsetRecovered: Bool
  var expectWarnings: Bool
  var note: String

  var testDescription: String { file }

  /// `file` is the key of the entry, not a field of it.
  enum CodingKeys: String, CodingKey {
    case subject, from, to, date, messageId, inReplyTo, references, textContains, textLacks, newTextContains
    case newTextLacks, attachments, charsetRecovered, expectWarnings, note
  }

  static let corpusURL = Bundle.module.url(forResource: "corpus", withExtension: nil, subdirectory: "Fixtures")!

  static let all: [CorpusExpectation] = {
    let url = corpusURL.appendingPathComponent("expected.json")
    guard let data = try? Data(contentsOf: url),
      let table = try? JSONDecoder().decode([String: CorpusExpectation].self, from: data)
    else { return [] }
    return table.map { name, expectation in
      var expectation = expectation
      expectation.file = name
      return expectation
    }.sorted { $0.file < $1.file }
  }()

  func message() throws -> Message {
    Message(parsing: [UInt8](try Data(contentsOf: Self.corpusURL.appendingPathComponent(file))))
  }
}

@Suite("The corpus of real-world mail: every fixture read as a person reads it")
struct CorpusTests {
  @Test("the corpus is there and large enough")
  func size() throws {
    #expect(CorpusExpectation.all.count >= 60)
    let files = try FileManager.default.contentsOfDirectory(atPath: CorpusExpectation.corpusURL.path)
    #expect(Set(files.filter { $0.hasSuffix(".eml") }) == Set(CorpusExpectation.all.map(\.file)))
  }

  @Test("headers", arguments: CorpusExpectation.all)
  func headers(_ expected: CorpusExpectation) throws {
    let message = try expected.message()
    #expect(message.subject == expected.subject)
    #expect(message.from?.address == expected.from?.address)
    #expect(message.from?.name == expected.from?.name)
    #expect(message.to.map(\.address) == expected.to)
    #expect(message.date?.formatted(.iso8601) == expected.date)
    #expect(message.messageID == expected.messageId)
    #expect(message.inReplyTo.first == expected.inReplyTo)
    #expect(message.references == expected.references)
  }

  @Test("text, new text, attachments, charset recovery, warnings", arguments: CorpusExpectation.all)
  func body(_ expected: CorpusExpectation) throws {
    let message = try expected.message()
    for phrase in expected.textContains { #expect(message.text.contains(phrase), "text lacks «\(phrase)»") }
    for phrase in expected.textLacks { #expect(!message.text.contains(phrase), "text has «\(phrase)»") }
    for phrase in expected.newTextContains { #expect(message.newText.contains(phrase), "new text lacks «\(phrase)»") }
    for phrase in expected.newTextLacks { #expect(!message.newText.contains(phrase), "new text has «\(phrase)»") }
    #expect(message.attachments.map(\.filename) == expected.attachments.map(\.filename))
    #expect(message.attachments.map(\.contentType) == expected.attachments.map(\.contentType))
    #expect(message.charsetRecovered == expected.charsetRecovered)
    #expect(!message.warnings.isEmpty == expected.expectWarnings, "warnings: \(message.warnings)")
  }
}
