import ArgumentParser
import Foundation
import MailMessage
import SupportDesk
import Triage

struct Classify: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Offline: what the bot would do with saved mails (.eml) — category, coverage, action.",
    discussion: """
      Nothing is sent or changed. With --explain, every rule line that matched is \
      shown with the words it found, for every category that scored. With --json, \
      one JSON object per file and line with the keys file, messageId, from, \
      subject, category, coverage, matched [{rule, file, line, weight, text}], \
      customer, plan, action, skipReason, template and reason.

      Examples:
        supportbot classify --explain mail.eml
        supportbot classify --json rules/examples/devices/*.eml
      """
  )

  @OptionGroup var rules: RulesLocation

  @Flag(help: "One JSON object per file and line.")
  var json = false

  @Flag(help: "Show why: the points of each category and the rule lines that matched.")
  var explain = false

  @Argument(help: "The .eml files.", completion: .file(extensions: ["eml"]))
  var files: [String]

  func run() async throws {
    try await reportingFailures {
      let classifier = Classifier(try rules.load())
      let environment = ProcessInfo.processInfo.environment
      let ownAddresses = [environment["SUPPORTBOT_ADDRESS"], environment["SUPPORTBOT_IMAP_USER"]].compactMap { $0 }
      let loopGuard = LoopGuard(ownAddresses: ownAddresses)
      for (index, file) in files.enumerated() {
        guard let data = FileManager.default.contents(atPath: file) else {
          throw Failure(message: "cannot read \(file): no such file or not readable")
        }
        let message = Message(parsing: [UInt8](data))
        let result = classifier.classify(TriageInput(message))
        let skip = loopGuard.reasonToSkip(message)
        if json {
          print(try ClassifyReport(file: file, message: message, result: result, skip: skip).jsonLine())
        } else {
          if index > 0 && explain { print("") }
          let category = result.category ?? "unclassified"
          let action = skip.map { "skip (\($0.rawValue))" } ?? "reply"
          print("\(file): \(category) (\(result.coverage.rawValue)), \(action) — \(result.reason)")
          if explain {
            for line in RuleTestRunner.explanation(result) { print("  " + line) }
          }
        }
      }
    }
  }
}

/// The `classify --json` object; absent values are null.
struct ClassifyReport: Encodable {
  struct Match: Encodable {
    var rule: String
    var file: String
    var line: Int
    var weight: Int
    var text: String
    var words: [String]
  }

  var file: String
  var messageId: String?
  var from: String?
  var subject: String?
  var category: String
  var coverage: String
  var matched: [Match]
  var customer: String?
  var plan: String
  var action: String
  var skipReason: String?
  var template: String?
  var reason: String

  init(file: String, message: Message, result: TriageResult, skip: SkipReason?) {
    self.file = file
    messageId = message.messageID
    from = message.from?.address
    subject = message.subject
    category = result.category ?? "unclassified"
    coverage = result.coverage.rawValue
    matched = result.matched.map {
      Match(
        rule: $0.rule, file: $0.file, line: $0.line, weight: $0.weight, text: $0.words.joined(separator: ", "),
        words: $0.words)
    }
    customer = nil
    plan = "unknown"
    action = skip == nil ? "reply" : "skip"
    skipReason = skip?.rawValue
    template = nil
    reason = result.reason
  }

  enum CodingKeys: String, CodingKey {
    case file, messageId, from, subject, category, coverage, matched, customer, plan, action, skipReason, template
    case reason
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(file, forKey: .file)
    try container.encode(messageId, forKey: .messageId)
    try container.encode(from, forKey: .from)
    try container.encode(subject, forKey: .subject)
    try container.encode(category, forKey: .category)
    try container.encode(coverage, forKey: .coverage)
    try container.encode(matched, forKey: .matched)
    try container.encode(customer, forKey: .customer)
    try container.encode(plan, forKey: .plan)
    try container.encode(action, forKey: .action)
    try container.encode(skipReason, forKey: .skipReason)
    try container.encode(template, forKey: .template)
    try container.encode(reason, forKey: .reason)
  }
}
