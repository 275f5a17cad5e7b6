import Foundation
import MailMessage

/// A mail or sentence with the category it should get.
public struct LabelledExample: Sendable {
  /// Where it comes from: a file path, or FILE:LINE of an inline example.
  public var name: String
  /// The expected category id, "unclassified", or "robot" (a machine's mail the bot must not answer).
  public var expected: String
  /// For a `not-example:` line: the category it must NOT get.
  public var mustNotBe: String?
  public var input: TriageInput
  /// The parsed mail, for examples read from files (the robot check needs its headers).
  public var message: Message?

  public init(
    name: String, expected: String, mustNotBe: String? = nil, input: TriageInput, message: Message? = nil
  ) {
    self.name = name
    self.expected = expected
    self.mustNotBe = mustNotBe
    self.input = input
    self.message = message
  }

  /// Whether it is a mail (not an inline example line).
  public var isMail: Bool { message != nil }
}

/// The label of machine mail in the examples: auto-replies, bounces, lists.
public let robotLabel = "robot"

/// How well the rules do on a set of labelled mails, the figures that `rules
/// test` prints, CI's ratchet compares and BENCHMARKS.md records.
public struct QualityScore: Sendable, Equatable {
  /// Labelled mails (not inline examples).
  public var mails = 0
  /// Mails whose category was right.
  public var correct = 0
  /// Mails labelled covered or uncovered, and how they fared.
  public var supportMails = 0
  public var coverageRight = 0
  /// Covered read as uncovered or the other way round: the worst mistake.
  public var swaps = 0
  public var unclassified = 0
  /// Robot mails, and how many of them would not be answered.
  public var robots = 0
  public var robotsSkipped = 0
  /// Customer mails the loop guard would not answer.
  public var customersSkipped = 0
  /// Sales mails read as covered.
  public var salesCovered = 0
  /// The weighted cost of the mistakes (settings.rules: cost-swap, cost-unclassified, cost-wrong-category).
  public var cost = 0

  func percent(_ part: Int, of whole: Int) -> Double { whole == 0 ? 100 : Double(part) / Double(whole) * 100 }
  public var accuracy: Double { percent(correct, of: mails) }
  public var coverageRate: Double { percent(coverageRight, of: supportMails) }
  public var swapRate: Double { supportMails == 0 ? 0 : percent(swaps, of: supportMails) }
  public var unclassifiedRate: Double { supportMails == 0 ? 0 : percent(unclassified, of: supportMails) }
  public var robotRate: Double { percent(robotsSkipped, of: robots) }

  /// One line, as the ratchet and the benchmark notes quote it.
  public var summary: String {
    String(
      format:
        "coverage %.1f%% (%d of %d covered/uncovered mails), swaps %.1f%% (%d), unclassified %.1f%% (%d); "
        + "category accuracy %.1f%% (%d of %d); robots skipped %d of %d; customer mails skipped %d; sales read as covered %d; cost %d",
      coverageRate, coverageRight, supportMails, swapRate, swaps, unclassifiedRate, unclassified, accuracy, correct,
      mails, robotsSkipped, robots, customersSkipped, salesCovered, cost)
  }
}

/// `supportbot rules test`, `rules suggest` and `rules words`: labelled examples through the classifier.
public enum RuleTestRunner {
  public struct Report: Sendable {
    public var total = 0
    public var failures = 0
    /// Failed inline examples (`example:` / `not-example:` lines): staff's own checks.
    public var inlineFailures = 0
    public var score = QualityScore()
    public var text = ""
  }

  /// Says whether the service would leave a mail unanswered, and why (the
  /// loop guard lives in the desk, which the caller has).
  public typealias SkipCheck = @Sendable (Message) -> String?

  /// How much a report shows. A sealed set shows only its figures: no mail,
  /// subject, sender or rule line, so that whoever edits the rules cannot
  /// tune them to it.
  public enum Detail: Sendable {
    case full, verbose, sealed
  }

  /// Inline examples of the rules plus the labelled mails in `folders`.
  public static func run(
    _ classifier: Classifier, folders: [String], detail: Detail = .full, skipCheck: SkipCheck? = nil
  ) throws(ExampleError) -> Report {
    evaluate(
      classifier, examples: inlineExamples(classifier.rules) + (try mailExamples(folders: folders)), detail: detail,
      skipCheck: skipCheck)
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

  /// `<folder>/<category>/*.eml`, labelled by the sub-folder's name. A
  /// folder that cannot be read is an error naming it; files that are not
  /// `.eml` (an index, a README) are passed over.
  public static func mailExamples(folders: [String]) throws(ExampleError) -> [LabelledExample] {
    var examples: [LabelledExample] = []
    let files = FileManager.default
    func list(_ folder: String) throws(ExampleError) -> [String] {
      do {
        return try files.contentsOfDirectory(atPath: folder).sorted()
      } catch {
        throw ExampleError(folder: folder, problem: "cannot be read: \(error.localizedDescription)")
      }
    }
    for folder in folders {
      for label in try list(folder) {
        let directory = "\(folder)/\(label)"
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
        for file in try list(directory) where file.hasSuffix(".eml") {
          guard let data = files.contents(atPath: "\(directory)/\(file)") else {
            throw ExampleError(folder: directory, problem: "\(file) cannot be read")
          }
          let message = Message(parsing: [UInt8](data))
          examples.append(
            LabelledExample(
              name: "\(directory)/\(file)", expected: label, input: TriageInput(message), message: message))
        }
      }
    }
    return examples
  }

  /// What one labelled mail got.
  struct Outcome {
    var example: LabelledExample
    var result: TriageResult
    /// Why the service would not answer it, if it would not.
    var skip: String?
    var got: String { skip != nil ? robotLabel : result.category ?? "unclassified" }
  }

  /// Classifies one example; the examples' second opinion leaves the example itself out.
  static func outcome(
    _ classifier: Classifier, _ example: LabelledExample, explain: Bool, skipCheck: SkipCheck?
  ) -> Outcome {
    let skip = example.message.flatMap { message in skipCheck?(message) }
    let result = classifier.classify(example.input, explain: explain, excludingExample: example.name)
    return Outcome(example: example, result: result, skip: skip)
  }

  /// Classifies every example and writes the report.
  public static func evaluate(
    _ classifier: Classifier, examples: [LabelledExample], detail: Detail = .full, skipCheck: SkipCheck? = nil
  ) -> Report {
    var report = Report()
    var lines: [String] = []
    var confusion: [String: [String: Int]] = [:]
    var hits: [String: (inside: Int, outside: Int)] = [:]
    var failureLines: [String] = []
    let settings = classifier.rules.settings
    let coverage = Dictionary(
      classifier.rules.categories.map { ($0.id, $0.coverage) }, uniquingKeysWith: { first, _ in first })

    for example in examples {
      report.total += 1
      let outcome = outcome(classifier, example, explain: detail != .sealed, skipCheck: skipCheck)
      let result = outcome.result
      let got = outcome.got
      let passed: Bool
      if let forbidden = example.mustNotBe {
        passed = got != forbidden
      } else {
        passed = got == example.expected
      }
      if example.isMail {
        confusion[example.expected, default: [:]][got, default: 0] += 1
        report.score.add(
          expected: example.expected, got: got, expectedCoverage: coverage[example.expected],
          gotCoverage: outcome.skip != nil ? nil : result.coverage, settings: settings)
        for score in result.scores {
          // Penalties (negative weights), exclusions and ignored lines are meant to hit elsewhere: not counted.
          for match in score.matches where !match.isExclusion && match.weight > 0 && !match.ignored {
            let key = "\(match.file):\(match.line)"
            if match.category == example.expected {
              hits[key, default: (0, 0)].inside += 1
            } else {
              hits[key, default: (0, 0)].outside += 1
            }
          }
        }
      }
      if passed {
        if detail == .verbose { lines.append("ok    \(example.name): \(got)") }
        continue
      }
      report.failures += 1
      if !example.isMail { report.inlineFailures += 1 }
      guard detail != .sealed else { continue }
      let expectation = example.mustNotBe.map { "anything but \($0)" } ?? example.expected
      let why = outcome.skip.map { "the service would not answer it (\($0))" } ?? result.reason
      failureLines.append("FAIL  \(example.name)\n      expected \(expectation), got \(got): \(why)")
      failureLines += explanation(result).map { "      " + $0 }
    }

    lines += failureLines
    let score = report.score
    lines.append("")
    lines.append("Confusion (rows: expected, columns: got) over \(score.mails) labelled mails:")
    lines += confusionTable(confusion)
    lines.append("")
    lines.append(
      "Per category: precision (of the mails it got, how many were its own) and recall (of its own, how many it got):")
    lines += precisionRecall(confusion)
    if detail != .sealed {
      lines.append("")
      lines.append("Rule hits inside / outside their own category (labelled mails):")
      for (key, entry) in hits.sorted(by: { $0.key.localizedStandardCompare($1.key) == .orderedAscending }) {
        let warning = entry.outside > entry.inside ? "   <- hits other categories more often" : ""
        lines.append("  \(key)  \(entry.inside) / \(entry.outside)\(warning)")
      }
    }
    lines.append("")
    lines.append(score.summary)
    lines.append(
      "\(report.total - report.failures) of \(report.total) checks passed, \(report.failures) failed"
        + " (\(report.inlineFailures) of them example:/not-example: lines)")
    report.text = lines.joined(separator: "\n")
    return report
  }

  /// The scores and matched lines behind a result, for people.
  public static func explanation(_ result: TriageResult) -> [String] {
    var lines = result.notes.map { "note: \($0)" }
    if let also = result.also { lines.append("also: \(also) (\(result.alsoCoverage?.rawValue ?? "?"))") }
    for score in result.scores.prefix(4) {
      let veto = score.vetoedBy.map { " — excluded by \($0.file):\($0.line)" } ?? ""
      lines.append("\(score.id): \(score.score) of \(score.threshold) points\(veto)")
      for match in score.matches {
        let points =
          match.isExclusion
          ? "exclude" : match.ignored ? "0" : match.points > 0 ? "+\(match.points)" : "\(match.points)"
        lines.append(
          "  \(points)  \(match.file):\(match.line)  \(match.words.map { "\"\($0)\"" }.joined(separator: ", "))")
        for note in match.notes { lines.append("        \(note)") }
      }
    }
    return lines
  }

  private static func labels(_ confusion: [String: [String: Int]]) -> [String] {
    Array(Set(confusion.keys).union(confusion.values.flatMap(\.keys))).sorted()
  }

  private static func confusionTable(_ confusion: [String: [String: Int]]) -> [String] {
    let labels = labels(confusion)
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

  private static func precisionRecall(_ confusion: [String: [String: Int]]) -> [String] {
    labels(confusion).map { label in
      let own = confusion[label]?.values.reduce(0, +) ?? 0
      let got = confusion.values.reduce(0) { $0 + ($1[label] ?? 0) }
      let right = confusion[label]?[label] ?? 0
      func share(_ part: Int, _ whole: Int) -> String {
        whole == 0 ? "   -  " : String(format: "%5.1f%%", Double(part) / Double(whole) * 100)
      }
      return
        "  \(label.padding(toLength: 18, withPad: " ", startingAt: 0)) precision \(share(right, got)) (\(right)/\(got))"
        + "   recall \(share(right, own)) (\(right)/\(own))"
    }
  }

  /// The distinct words of the mails in `folders` that `pattern` matches, and
  /// near misses: words that start like it but are not matched.
  public static func words(matching pattern: String, folders: [String]) throws(ExampleError) -> String {
    let (term, diagnostics) = RuleParser.term(pattern)
    guard let term else { return diagnostics.map(\.description).joined(separator: "\n") }
    var counts: [String: (count: Int, original: String)] = [:]
    for example in try mailExamples(folders: folders) {
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

extension QualityScore {
  /// Counts one labelled mail.
  mutating func add(
    expected: String, got: String, expectedCoverage: Coverage?, gotCoverage: Coverage?, settings: TriageSettings
  ) {
    mails += 1
    if got == expected { correct += 1 }
    if expected == robotLabel {
      robots += 1
      if got == robotLabel { robotsSkipped += 1 } else { cost += settings.costSwap }
      return
    }
    if got == robotLabel {
      customersSkipped += 1
      cost += settings.costSwap
    }
    if expected == "sales", gotCoverage == .covered { salesCovered += 1 }
    guard let expectedCoverage, expectedCoverage == .covered || expectedCoverage == .uncovered else {
      if got != expected, got != robotLabel { cost += settings.costWrongCategory }
      return
    }
    supportMails += 1
    switch gotCoverage {
    case expectedCoverage?:
      coverageRight += 1
      if got != expected { cost += settings.costWrongCategory }
    case .covered?, .uncovered?:
      swaps += 1
      cost += settings.costSwap
    case .unclassified?:
      unclassified += 1
      cost += settings.costUnclassified
    case .other?, nil:
      if got != robotLabel { cost += settings.costWrongCategory }
    }
  }
}

/// A folder of labelled mails could not be read.
public struct ExampleError: Error, Sendable, CustomStringConvertible {
  public var folder: String
  public var problem: String

  public var description: String { "the labelled examples in \(folder) \(problem)" }
}
