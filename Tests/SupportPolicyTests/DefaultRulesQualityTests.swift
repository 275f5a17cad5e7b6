import Foundation
import SupportPolicy
import Testing
import Triage

/// The shipped rules folder, found from this file's place in the repository.
private let rulesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("rules").path

@Suite("The labelled mails of the default rules, judged as the bot judges them")
struct DefaultRulesQualityTests {
  @Test("the training mails score at least their ratchet, robots skipped by the loop guard")
  func holdsTheRatchet() throws {
    let classifier = try #require(RuleLoader.classifier(directory: rulesDirectory).0)
    let loopGuard = LoopGuard(ownAddresses: ["pomoc@pwsk.pl"])
    let report = try RuleTestRunner.run(
      classifier, folders: [rulesDirectory + "/examples"], skipCheck: { loopGuard.reasonToSkip($0)?.rawValue })
    #expect(report.score.robots > 0, "the training set has robot mails")
    #expect(report.score.customersSkipped == 0, "no customer mail is taken for a robot")
    let path = rulesDirectory + "/examples/ratchet.txt"
    let ratchet = try Ratchet.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
    #expect(ratchet.regressions(report.score).isEmpty, "\(ratchet.regressions(report.score))")
  }
}
