import ArgumentParser
import Foundation
import MailMessage

struct Inspect: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Show how supportbot reads a saved mail (.eml): decoded headers and the readable text."
  )

  @Argument(help: "The .eml files to read.", completion: .file(extensions: ["eml"]))
  var files: [String]

  func run() async throws {
    try await reportingFailures {
      for (index, file) in files.enumerated() {
        guard let data = FileManager.default.contents(atPath: file) else {
          throw Failure(message: "cannot read \(file): no such file or not readable")
        }
        if index > 0 { print("") }
        print(Self.describe(Message(parsing: [UInt8](data)), file: file))
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
    lines.append("Date:        \(message.headers["Date"] ?? "")")
    lines.append("Message-ID:  \(message.messageID ?? "")")
    if !message.inReplyTo.isEmpty { lines.append("In-Reply-To: \(message.inReplyTo.joined(separator: " "))") }
    if let autoSubmitted = message.headers["Auto-Submitted"] { lines.append("Auto-Submitted: \(autoSubmitted)") }
    for warning in message.warnings { lines.append("warning:     \(warning)") }
    lines.append("")
    lines.append(message.text.trimmingCharacters(in: .whitespacesAndNewlines))
    return lines.joined(separator: "\n")
  }
}
