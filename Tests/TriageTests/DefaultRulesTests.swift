import Foundation
import Testing

@testable import Triage

/// The shipped rules folder, found from this file's place in the repository.
let defaultRulesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent().appendingPathComponent("rules").path

@Suite("The default rules shipped in rules/")
struct DefaultRulesTests {
  @Test("they load without errors or warnings, and every labelled example gets its label")
  func green() throws {
    let (rules, diagnostics) = RuleLoader.load(directory: defaultRulesDirectory)
    #expect(diagnostics.isEmpty, "\(diagnostics)")
    let classifier = Classifier(try #require(rules))
    let report = RuleTestRunner.run(classifier, folders: [defaultRulesDirectory + "/examples"])
    #expect(report.total >= 100 + 13)
    #expect(report.failures == 0, "\(report.text)")
  }

  @Test("deciding without explanations gives the same decision as with them")
  func explainIsOnlyExplanation() throws {
    let classifier = Classifier(try #require(RuleLoader.load(directory: defaultRulesDirectory).0))
    for example in RuleTestRunner.mailExamples(folders: [defaultRulesDirectory + "/examples"]) {
      let explained = classifier.classify(example.input)
      let plain = classifier.classify(example.input, explain: false)
      #expect(plain.category == explained.category, "\(example.name)")
      #expect(plain.scores.map(\.score) == explained.scores.map(\.score), "\(example.name)")
      #expect(plain.scores.allSatisfy { $0.matches.allSatisfy(\.words.isEmpty) })
    }
  }
}
