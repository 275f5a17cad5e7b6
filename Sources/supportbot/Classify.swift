import ArgumentParser
import Foundation
import MailMessage
import SupportDesk
import SupportPolicy
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

  @OptionGroup var options: DeskOptions

  @Flag(help: "One JSON object per file and line.")
  var json = false

  @Flag(help: "Show why: the points of each category and the rule lines that matched.")
  var explain = false

  @Argument(help: "The .eml files.", completion: .file(extensions: ["eml"]))
  var files: [String]

  func run() async throws {
    try await reportingFailures {
      let (classifier, desk) = try options.load()
      let now = try options.moment()
      for (index, file) in files.enumerated() {
        let message = try readMail(file)
        let result = classifier.classify(TriageInput(message))
        let assessment = desk.assess(message, triage: result, now: now)
        if json {
          print(try ClassifyReport(file: file, message: message, result: result, assessment: assessment).jsonLine())
        } else {
          if index > 0 && explain { print("") }
          let category = result.category ?? "unclassified"
          let action = assessment.skip.map { "skip (\($0.rawValue))" } ?? "reply with \(assessment.reply.template)"
          let customer = assessment.identification.customer.map { " \($0.id)" } ?? ""
          print(
            "\(file): \(category) (\(result.coverage.rawValue)), plan \(assessment.reply.plan.name)\(customer), "
              + "\(action) — \(result.reason)")
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

  init(file: String, message: Message, result: TriageResult, assessment: Assessment) {
    let skip = assessment.skip
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
    customer = assessment.identification.customer?.id
    plan = assessment.reply.plan.name
    action = skip == nil ? "reply" : "skip"
    skipReason = skip?.rawValue
    template = skip == nil ? assessment.reply.template : nil
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
