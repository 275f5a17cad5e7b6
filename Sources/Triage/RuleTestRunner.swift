import Foundation
import MailMessage

/// A mail or sentence with the category it should get.
public struct LabelledExample: Sendable {
  /// Where it comes from: a file path, or FILE:LINE of an inline example.
  public var name: String
  /// The expected category id, or "unclassified".
  public var expected: String
  /// For a `not-example:` line: the category it must NOT get.
  public var mustNotBe: String?
  public var input: TriageInput

  public init(name: String, expected: String, mustNotBe: String? = nil, input: TriageInput) {
    self.name = name
    self.expected = expected
    self.mustNotBe = mustNotBe
    self.input = input
  }
}

/// `supportbot rules test` and `rules words`: labelled examples through the classifier.
public enum RuleTestRunner {
  public struct Report: Sendable {
    public var total = 0
    public var failures = 0
    public var text = ""
  }

  /// Inline examples of the rules plus the labelled mails in `folders`.
  public static func run(_ classifier: Classifier, folders: [String], verbose: Bool = false) -> Report {
    evaluate(classifier, examples: inlineExamples(classifier.rules) + mailExamples(folders: folders), verbose: verbose)
  }

  public static func inlineExamples(_ rules: RuleSet) -> [LabelledExample] {
    rules.categories.flatMap { category in
      category.examples.map {
        LabelledExample(name: "\($0.location)", expected: category.id, input: TriageInput(example: $0.text))
      }
        + category.counterExamples.map {
          LabelledExample(
            name: "\($0.location)", expected: "", mustNotBe: category.id, input: TriageInput(example: $0.text))
        }
    }
  }

  /// `<folder>/<category>/*.eml`, labelled by the sub-folder's name.
  public static func mailExamples(folders: [String]) -> [LabelledExample] {
    var examples: [LabelledExample] = []
    for folder in folders {
      let labels = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
      for label in labels {
        let directory = "\(folder)/\(label)"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
          continue
        }
        for file in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        where file.hasSuffix(".eml") {
          guard let data = FileManager.default.contents(atPath: "\(directory)/\(file)") else { continue }
          examples.append(
            LabelledExample(
              name: "\(directory)/\(file)", expected: label, input: TriageInput(Message(parsing: [UInt8](data)))))
        }
      }
    }
    return examples
  }

  /// Classifies every example and writes the report.
  public static func evaluate(_ classifier: Classifier, examples: [LabelledExample], verbose: Bool = false) -> Report {
    var report = Report()
    var lines: [String] = []
    var confusion: [String: [String: Int]] = [:]
    var hits: [String: (inside: Int, outside: Int, rule: RuleMatch)] = [:]
    var failureLines: [String] = []

    for example in examples {
      report.total += 1
      let result = classifier.classify(example.input)
      let got = result.category ?? "unclassified"
      let passed: Bool
      if let forbidden = example.mustNotBe {
        passed = got != forbidden
      } else {
        passed = got == example.expected
        confusion[example.expected, default: [:]][got, default: 0] += 1
        for score in result.scores {
          // Penalties (negative weights) and exclusions are meant to hit elsewhere: not counted.
          for match in score.matches where !match.isExclusion && match.weight > 0 {
            let key = "\(match.file):\(match.line)"
            var entry = hits[key] ?? (0, 0, match)
            if match.category == example.expected { entry.inside += 1 } else { entry.outside += 1 }
            hits[key] = entry
          }
        }
      }
      if passed {
        if verbose { lines.append("ok    \(example.name): \(got)") }
        continue
      }
      report.failures += 1
      let expectation = example.mustNotBe.map { "anything but \($0)" } ?? example.expected
      failureLines.append("FAIL  \(example.name)\n      expected \(expectation), got \(got): \(result.reason)")
      failureLines += explanation(result).map { "      " + $0 }
    }

    lines += failureLines
    let mailCount = confusion.values.reduce(0) { $0 + $1.values.reduce(0, +) }
    let correct = confusion.reduce(0) { $0 + ($1.value[$1.key] ?? 0) }
    lines.append("")
    lines.append("Confusion (rows: expected, columns: got) over \(mailCount) labelled examples:")
    lines += confusionTable(confusion)
    lines.append("")
    lines.append("Rule hits inside / outside their own category (mails and inline examples):")
    for (key, entry) in hits.sorted(by: { $0.key.localizedStandardCompare($1.key) == .orderedAscending }) {
      let warning = entry.outside > entry.inside ? "   <- hits other categories more often" : ""
      lines.append("  \(key)  \(entry.inside) / \(entry.outside)\(warning)")
    }
    lines.append("")
    let accuracy = mailCount == 0 ? 100 : Double(correct) / Double(mailCount) * 100
    lines.append(
      String(format: "accuracy %.1f%% (%d of %d); ", accuracy, correct, mailCount)
        + "\(report.total - report.failures) of \(report.total) checks passed, \(report.failures) failed")
    report.text = lines.joined(separator: "\n")
    return report
  }

  /// The scores and matched lines behind a result, for people.
  public static func explanation(_ result: TriageResult) -> [String] {
    var lines: [String] = []
    for score in result.scores.prefix(4) {
      let veto = score.vetoedBy.map { " — excluded by \($0.file):\($0.line)" } ?? ""
      lines.append("\(score.id): \(score.score) of \(score.threshold) points\(veto)")
      for match in score.matches {
        let points = match.isExclusion ? "exclude" : (match.weight > 0 ? "+\(match.weight)" : "\(match.weight)")
        lines.append(
          "  \(points)  \(match.file):\(match.line)  \(match.words.map { "\"\($0)\"" }.joined(separator: ", "))")
      }
    }
    return lines
  }

  private static func confusionTable(_ confusion: [String: [String: Int]]) -> [String] {
    let labels = Array(Set(confusion.keys).union(confusion.values.flatMap(\.keys))).sorted()
    guard !labels.isEmpty else { return ["  (no labelled mails)"] }
    let width = max(12, (labels.map(\.count).max() ?? 0) + 1)
    func short(_ label: String) -> String { String(label.prefix(5)) }
    var lines = [
      "  " + "".padding(toLength: width, withPad: " ", startingAt: 0)
        + labels.map { short($0).padding(toLength: 6, withPad: " ", startingAt: 0) }.joined()
    ]
    for expected in labels where confusion[expected] != nil {
      let row = labels.map { got -> String in
        let count = confusion[expected]?[got] ?? 0
        let cell = count == 0 ? "." : (got == expected ? "\(count)" : "\(count)!")
        return cell.padding(toLength: 6, withPad: " ", startingAt: 0)
      }
      lines.append("  " + expected.padding(toLength: width, withPad: " ", startingAt: 0) + row.joined())
    }
    return lines
  }

  /// The distinct words of the mails in `folders` that `pattern` matches, and
  /// near misses: words that start like it but are not matched.
  public static func words(matching pattern: String, folders: [String]) -> String {
    let (term, diagnostics) = RuleParser.term(pattern)
    guard let term else { return diagnostics.map(\.description).joined(separator: "\n") }
    var counts: [String: (count: Int, original: String)] = [:]
    for example in mailExamples(folders: folders) {
      for text in [example.input.subject, example.input.body, example.input.quoted] {
        for token in Normalizer.tokens(text) {
          counts[token.text, default: (0, token.original(in: text))].count += 1
        }
      }
    }
    var matched: [(String, Int, String)] = []
    var near: [(String, Int, String)] = []
    let core: String =
      switch term.kind {
      case .word(let word), .prefix(let word), .suffix(let word), .infix(let word): word
      default: ""
      }
    for (word, entry) in counts {
      if term.matches(word: word) {
        matched.append((word, entry.count, entry.original))
      } else if core.count >= 3, word.hasPrefix(String(core.prefix(3))) {
        near.append((word, entry.count, entry.original))
      }
    }
    var lines = diagnostics.map(\.description)
    lines.append("\(pattern) matches \(matched.count) distinct words in the example mails:")
    for (word, count, original) in matched.sorted(by: { ($1.1, $0.0) < ($0.1, $1.0) }) {
      lines.append("  \(word.padding(toLength: 24, withPad: " ", startingAt: 0)) \(count)×  (e.g. \"\(original)\")")
    }
    if !near.isEmpty {
      lines.append("Words that start alike but are NOT matched (add a stem if they belong):")
      for (word, count, _) in near.sorted(by: { ($1.1, $0.0) < ($0.1, $1.0) }).prefix(30) {
        lines.append("  \(word.padding(toLength: 24, withPad: " ", startingAt: 0)) \(count)×")
      }
    }
    return lines.joined(separator: "\n")
  }
}
