import ArgumentParser
import Foundation
import MailMessage

struct Inspect: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show how supportbot reads a saved mail (.eml): decoded headers, the text, the new text, attachments.",
    discussion: """
      The text is what a person would read (text/plain, or the HTML converted); the \
      new text is the part of it the customer wrote now: without quoted history, \
      signature and legal footer. That is what the rules look at.

      With --json, one JSON object per file and line, with the keys file, subject, \
      from {name, address}, to, cc, replyTo, date (ISO 8601), messageId, inReplyTo, \
      references, text, newText, attachments [{filename, contentType, size}], \
      charsetRecovered and warnings.
      """
  )

  @Flag(help: "One JSON object per file and line, for scripts.")
  var json = false

  @Argument(help: "The .eml files to read.", completion: .file(extensions: ["eml"]))
  var files: [String]

  func run() async throws {
    try await reportingFailures {
      for (index, file) in files.enumerated() {
        let message = try readMail(file)
        if json {
          print(try InspectReport(file: file, message: message).jsonLine())
        } else {
          if index > 0 { print("") }
          print(Self.describe(message, file: file))
        }
      }
    }
  }

  static func describe(_ message: Message, file: String) -> String {
    func addresses(_ list: [MailAddress]) -> String { list.map(\.description).joined(separator: ", ") }
    var lines = ["== \(file)"]
    lines.append("Subject:     \(message.subject ?? "")")
    lines.append("From:        \(message.from?.description ?? "")")
    if !message.replyTo.isEmpty { lines.append("Reply-To:    \(addresses(message.replyTo))") }
    lines.append("To:          \(addresses(message.to))")
    if !message.cc.isEmpty { lines.append("Cc:          \(addresses(message.cc))") }
    let date = message.date.map { $0.formatted(.iso8601) } ?? "(none or unreadable)"
    lines.append("Date:        \(message.headers["Date"] ?? "") → \(date)")
    lines.append("Message-ID:  \(message.messageID ?? "")")
    if !message.inReplyTo.isEmpty { lines.append("In-Reply-To: \(message.inReplyTo.joined(separator: " "))") }
    if let autoSubmitted = message.headers["Auto-Submitted"] { lines.append("Auto-Submitted: \(autoSubmitted)") }
    for attachment in message.attachments {
      lines.append(
        "Attachment:  \(attachment.filename ?? "(no name)") (\(attachment.contentType), \(attachment.size) B)")
    }
    if message.charsetRecovered {
      lines.append("note:        the declared charset was wrong; the text was read as Polish")
    }
    for warning in message.warnings { lines.append("warning:     \(warning)") }
    lines.append("")
    lines.append(message.text)
    if message.newText != message.text {
      lines.append("")
      lines.append("-- new text (without quoted history, signature and footer):")
      lines.append(message.newText)
    }
    return lines.joined(separator: "\n")
  }
}

/// The `inspect --json` object. Absent values are written as null, not left out.
struct InspectReport: Encodable {
  struct Address: Encodable {
    var name: String?
    var address: String

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(name, forKey: .name)
      try container.encode(address, forKey: .address)
    }

    enum CodingKeys: String, CodingKey { case name, address }
  }

  struct File: Encodable {
    var filename: String?
    var contentType: String
    var size: Int

    func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(filename, forKey: .filename)
      try container.encode(contentType, forKey: .contentType)
      try container.encode(size, forKey: .size)
    }

    enum CodingKeys: String, CodingKey { case filename, contentType, size }
  }

  var file: String
  var subject: String?
  var from: Address?
  var to: [Address]
  var cc: [Address]
  var replyTo: [Address]
  var date: String?
  var messageId: String?
  var inReplyTo: String?
  var references: [String]
  var text: String
  var newText: String
  var attachments: [File]
  var charsetRecovered: Bool
  var warnings: [String]

  init(file: String, message: Message) {
    func addresses(_ list: [MailAddress]) -> [Address] { list.map { Address(name: $0.name, address: $0.address) } }
    self.file = file
    subject = message.subject
    from = message.from.map { Address(name: $0.name, address: $0.address) }
    to = addresses(message.to)
    cc = addresses(message.cc)
    replyTo = addresses(message.replyTo)
    date = message.date.map { $0.formatted(.iso8601) }
    messageId = message.messageID
    inReplyTo = message.inReplyTo.first
    references = message.references
    text = message.text
    newText = message.newText
    attachments = message.attachments.map { File(filename: $0.filename, contentType: $0.contentType, size: $0.size) }
    charsetRecovered = message.charsetRecovered
    warnings = message.warnings.map(\.description)
  }

  enum CodingKeys: String, CodingKey {
    case file, subject, from, to, cc, replyTo, date, messageId, inReplyTo, references, text, newText, attachments
    case charsetRecovered, warnings
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(file, forKey: .file)
    try container.encode(subject, forKey: .subject)
    try container.encode(from, forKey: .from)
    try container.encode(to, forKey: .to)
    try container.encode(cc, forKey: .cc)
    try container.encode(replyTo, forKey: .replyTo)
    try container.encode(date, forKey: .date)
    try container.encode(messageId, forKey: .messageId)
    try container.encode(inReplyTo, forKey: .inReplyTo)
    try container.encode(references, forKey: .references)
    try container.encode(text, forKey: .text)
    try container.encode(newText, forKey: .newText)
    try container.encode(attachments, forKey: .attachments)
    try container.encode(charsetRecovered, forKey: .charsetRecovered)
    try container.encode(warnings, forKey: .warnings)
  }
}
