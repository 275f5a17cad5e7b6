import Foundation
import Testing

@testable import Triage

/// The shipped rules folder, found from this file's place in the repository.
let defaultRulesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("rules").path

@Suite("The default rules shipped in rules/")
struct DefaultRulesTests {
  // The labelled mails' ratchet is held in SupportPolicyTests, where the loop guard
  // can skip the robot mails as the bot does.
  @Test("they load without errors or warnings, and every example line passes")
  func green() throws {
    let (loaded, diagnostics) = RuleLoader.classifier(directory: defaultRulesDirectory)
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    let classifier = try #require(loaded)
    let report = try RuleTestRunner.run(classifier, folders: [defaultRulesDirectory + "/examples"])
    #expect(report.total >= 400)
    #expect(report.inlineFailures == 0, "\(report.text)")
  }

  @Test("deciding without explanations gives the same decision as with them")
  func explainIsOnlyExplanation() throws {
    let classifier = try #require(RuleLoader.classifier(directory: defaultRulesDirectory).0)
    for example in try RuleTestRunner.mailExamples(folders: [defaultRulesDirectory + "/examples"]) {
      let explained = classifier.classify(example.input)
      let plain = classifier.classify(example.input, explain: false)
      #expect(plain.category == explained.category, "\(example.name)")
      #expect(plain.also == explained.also, "\(example.name)")
      // Explained results also list lines that matched only words that do not count (0 points).
      let counted = explained.scores.filter { $0.matches.contains { !$0.ignored } }
      #expect(plain.scores.map(\.score) == counted.map(\.score), "\(example.name)")
      #expect(plain.scores.allSatisfy { $0.matches.allSatisfy(\.words.isEmpty) })
    }
  }
}
