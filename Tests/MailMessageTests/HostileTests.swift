import Foundation
import Testing

@testable import MailMessage

/// The mails of Fixtures/hostile/: built to hurt a parser (and where the MIME
/// fuzzer's findings go once fixed, see scripts/fuzz.sh). Each must parse
/// within the default limits, say what it cut, and give nothing that would
/// let it write headers into a reply.
@Suite("Hostile mail: parsed within limits, nothing injected")
struct HostileTests {
  static let folder = Bundle.module.url(forResource: "hostile", withExtension: nil, subdirectory: "Fixtures")!
  static let files = (FileManager.default.subpaths(atPath: folder.path) ?? []).filter { $0.hasSuffix(".eml") }.sorted()

  /// The warning a mail must produce, where it is built to trip a limit.
  static let expected: [String: ParserWarning] = [
    "nesting-50-deep.eml": .nestingTooDeep(limit: 20),
    "parts-600.eml": .tooManyParts(limit: 500),
    "header-fields-1200.eml": .tooManyHeaderFields(limit: 1_000),
    "subject-encoded-crlf-bcc.eml": .subjectLineBreaks,
    "boundary-never-occurs.eml": .noParts,
    "header-line-5000.eml": .headerLineTooLong,
  ]

  @Test("the folder holds the mails the table names")
  func folderIsThere() {
    #expect(Set(Self.expected.keys).isSubset(of: Self.files))
  }

  @Test("each parses, warns as expected, and its values compose a clean reply", arguments: files)
  func parse(file: String) throws {
    let message = Message(parsing: [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent(file))))
    if let warning = Self.expected[file] { #expect(message.warnings.contains(warning)) }
    #expect(message.subject?.contains(where: \.isNewline) != true)
    let reply = OutgoingMessage(
      from: MailAddress(name: "Pomoc", address: "pomoc@pwsk.pl"),
      to: [MailAddress(name: message.from?.name, address: "klient@example.pl")],
      subject: "Re: " + (message.subject ?? ""), date: Date(timeIntervalSince1970: 0),
      messageID: "<sb.1@pwsk.pl>", inReplyTo: message.messageID, references: message.references,
      text: message.newText)
    let rendered = try reply.render()
    let text = String(decoding: rendered, as: UTF8.self)
    let headers = text.components(separatedBy: "\r\n\r\n").first ?? ""
    #expect(!headers.lowercased().contains("\r\nbcc:"))
    #expect(rendered.allSatisfy { $0 < 0x80 && $0 != 0 })
  }
}
