import Foundation

/// The figures a set of labelled mails must not fall below (CI's ratchet):
/// a small text file next to the set, moved only by a better result.
///
///     # supportbot rules test --update-ratchet: only a better result moves these.
///     coverage: 81.5
///     swaps: 1.2
///     unclassified: 9.0
///     accuracy: 74.0
///     robots: 100.0
public struct Ratchet: Sendable, Equatable {
  public var coverage: Double
  public var swaps: Double
  public var unclassified: Double
  public var accuracy: Double
  public var robots: Double

  /// The worst figures there are: a first run only moves them up.
  public static let floor = Ratchet(coverage: 0, swaps: 100, unclassified: 100, accuracy: 0, robots: 0)

  public init(coverage: Double, swaps: Double, unclassified: Double, accuracy: Double, robots: Double) {
    self.coverage = coverage
    self.swaps = swaps
    self.unclassified = unclassified
    self.accuracy = accuracy
    self.robots = robots
  }

  public init(_ score: QualityScore) {
    func rounded(_ value: Double) -> Double { (value * 10).rounded() / 10 }
    self.init(
      coverage: rounded(score.coverageRate), swaps: rounded(score.swapRate),
      unclassified: rounded(score.unclassifiedRate), accuracy: rounded(score.accuracy), robots: rounded(score.robotRate)
    )
  }

  /// Reads a ratchet file; errors name the file and line.
  public static func parse(_ text: String, file: String) throws(RatchetError) -> Ratchet {
    var ratchet = Ratchet.floor
    for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
        .trimmingCharacters(in: .whitespaces)
      guard !line.isEmpty else { continue }
      let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
      guard parts.count == 2, let value = Double(parts[1].replacingOccurrences(of: "%", with: "")) else {
        throw RatchetError(file: file, line: index + 1, message: "expected 'name: number', found '\(line)'")
      }
      switch parts[0] {
      case "coverage": ratchet.coverage = value
      case "swaps": ratchet.swaps = value
      case "unclassified": ratchet.unclassified = value
      case "accuracy": ratchet.accuracy = value
      case "robots": ratchet.robots = value
      default:
        throw RatchetError(
          file: file, line: index + 1,
          message: "unknown figure '\(parts[0])'; the figures are coverage, swaps, unclassified, accuracy, robots")
      }
    }
    return ratchet
  }

  public var text: String {
    """
    # supportbot rules test --update-ratchet writes this; only a better result moves a figure.
    # CI fails when the labelled mails score worse than this (percent).
    coverage: \(String(format: "%.1f", coverage))
    swaps: \(String(format: "%.1f", swaps))
    unclassified: \(String(format: "%.1f", unclassified))
    accuracy: \(String(format: "%.1f", accuracy))
    robots: \(String(format: "%.1f", robots))

    """
  }

  /// The figures of `score` that are worse than this, as sentences; empty: it holds.
  public func regressions(_ score: QualityScore) -> [String] {
    let now = Ratchet(score)
    var worse: [String] = []
    func check(_ name: String, _ value: Double, _ limit: Double, higherIsBetter: Bool) {
      if higherIsBetter ? value < limit : value > limit {
        worse.append(
          "\(name) is \(String(format: "%.1f", value)) %, the ratchet says \(higherIsBetter ? "at least" : "at most") \(String(format: "%.1f", limit)) %"
        )
      }
    }
    check("coverage", now.coverage, coverage, higherIsBetter: true)
    check("swaps", now.swaps, swaps, higherIsBetter: false)
    check("unclassified", now.unclassified, unclassified, higherIsBetter: false)
    check("accuracy", now.accuracy, accuracy, higherIsBetter: true)
    check("robots", now.robots, robots, higherIsBetter: true)
    return worse
  }

  /// Each figure moved to `score`'s where that is better, and only there.
  public func raised(by score: QualityScore) -> Ratchet {
    let now = Ratchet(score)
    return Ratchet(
      coverage: max(coverage, now.coverage), swaps: min(swaps, now.swaps),
      unclassified: min(unclassified, now.unclassified), accuracy: max(accuracy, now.accuracy),
      robots: max(robots, now.robots))
  }
}

public struct RatchetError: Error, Sendable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var message: String

  public var description: String { "\(file):\(line): \(message)" }
}

extension RuleTestRunner {
  /// `rules test --compare`: every labelled mail whose category or coverage
  /// differs between two rule sets, and how many each set gets right — a dry
  /// run of a rule change before it goes live. Sealed: only the counts.
  public static func compare(
    _ current: Classifier, with other: Classifier, otherName: String, examples: [LabelledExample],
    detail: Detail = .full, skipCheck: SkipCheck? = nil
  ) -> String {
    var lines: [String] = []
    var fixed = 0
    var broken = 0
    var changed = 0
    var before = QualityScore()
    var after = QualityScore()
    for example in examples where example.isMail {
      let now = outcome(current, example, explain: false, skipCheck: skipCheck)
      let then = outcome(other, example, explain: false, skipCheck: skipCheck)
      func coverage(_ outcome: Outcome, _ classifier: Classifier) -> Coverage? {
        outcome.skip != nil ? nil : outcome.result.coverage
      }
      let expectedCoverage = current.rules.categories.first { $0.id == example.expected }?.coverage
      after.add(
        expected: example.expected, got: now.got, expectedCoverage: expectedCoverage,
        gotCoverage: coverage(now, current), settings: current.rules.settings)
      before.add(
        expected: example.expected, got: then.got, expectedCoverage: expectedCoverage,
        gotCoverage: coverage(then, other), settings: current.rules.settings)
      guard now.got != then.got || now.result.coverage != then.result.coverage else { continue }
      changed += 1
      let mark: String
      if now.got == example.expected {
        fixed += 1
        mark = "fixed "
      } else if then.got == example.expected {
        broken += 1
        mark = "BROKEN"
      } else {
        mark = "other "
      }
      if detail != .sealed {
        lines.append(
          "\(mark) \(example.name): \(then.got) (\(then.result.coverage.rawValue)) → \(now.got) (\(now.result.coverage.rawValue)); expected \(example.expected)"
        )
      }
    }
    lines.append("")
    lines.append("\(changed) mails change: \(fixed) fixed, \(broken) broken, \(changed - fixed - broken) still wrong")
    lines.append("before (\(otherName)): \(before.summary)")
    lines.append("after  (these rules): \(after.summary)")
    return lines.joined(separator: "\n")
  }
}
