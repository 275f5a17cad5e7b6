import ArgumentParser
import Foundation
import MailMessage
import SupportDesk
import SupportPolicy
import Triage

struct Preview: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Offline: the complete reply the bot would send to a saved mail, or 'no reply: REASON'.",
    discussion: """
      The reply is printed as it would go out (RFC 5322, quoted-printable), then \
      its text decoded. The ticket number is given out when a reply is really \
      sent, so the preview shows PREFIX-YEAR-??????.

      Examples:
        supportbot preview mail.eml
        supportbot preview --customers customers.csv --at 2026-11-27T16:00:00+01:00 mail.eml
      """
  )

  @OptionGroup var options: DeskOptions

  @Flag(help: "Print only the raw message, not the decoded text after it.")
  var raw = false

  @Argument(help: "The .eml file.", completion: .file(extensions: ["eml"]))
  var file: String

  func run() async throws {
    try await reportingFailures {
      let (classifier, desk) = try options.load()
      let now = try options.moment()
      let message = try readMail(file)
      let triage = classifier.classify(TriageInput(message), explain: false)
      let assessment = desk.assess(message, triage: triage, now: now)
      if let skip = assessment.skip {
        print("no reply: \(skip.rawValue)")
        return
      }
      let reply = try desk.reply(
        to: message, assessment: assessment, ticket: desk.placeholderTicket(at: now),
        from: Settings.botAddress(in: ProcessInfo.processInfo.environment), date: now,
        identity: message.messageID ?? file)
      let bytes = try reply.render()
      print(String(decoding: bytes, as: UTF8.self), terminator: "")
      if !raw {
        print(
          "\n-- decoded: template \(assessment.reply.template) (\(assessment.reply.language.rawValue)), "
            + "category \(triage.category ?? "unclassified"), plan \(assessment.reply.plan.name)")
        print(Message(parsing: bytes).text)
      }
    }
  }
}
