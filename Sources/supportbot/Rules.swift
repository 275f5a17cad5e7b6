import ArgumentParser
import Foundation
import MailMessage
import SupportDesk
import SupportPolicy
import Triage

/// Where the rules are: --rules, else SUPPORTBOT_RULES, else ./rules.
struct RulesLocation: ParsableArguments {
  @Option(name: .customLong("rules"), help: "The rules folder (default: SUPPORTBOT_RULES, else ./rules).")
  var directory: String?

  var resolved: String {
    directory ?? ProcessInfo.processInfo.environment["SUPPORTBOT_RULES"] ?? "rules"
  }

  /// Loads the rules; on errors prints them and fails.
  func load(printWarnings: Bool = false) throws -> RuleSet {
    let (rules, diagnostics) = RuleLoader.load(directory: resolved)
    for diagnostic in diagnostics where diagnostic.severity == .error || printWarnings {
      FileHandle.standardError.write(Data("\(diagnostic)\n".utf8))
    }
    guard let rules else {
      throw Failure(
        message: "the rules in \(resolved) have errors (listed above); check them with: supportbot rules check")
    }
    return rules
  }

  /// The classifier: the rules and, if settings.rules asks for it, the examples' second opinion.
  func loadClassifier() throws -> Classifier {
    let (classifier, diagnostics) = RuleLoader.classifier(directory: resolved)
    for diagnostic in diagnostics where diagnostic.severity == .error {
      FileHandle.standardError.write(Data("\(diagnostic)\n".utf8))
    }
    guard let classifier else {
      throw Failure(
        message: "the rules in \(resolved) have errors (listed above); check them with: supportbot rules check")
    }
    return classifier
  }

  /// The labelled mails of the given folders (default: the rules' own examples).
  func examples(_ folders: [String]) throws -> [LabelledExample] {
    do {
      return try RuleTestRunner.mailExamples(folders: folders)
    } catch {
      throw Failure(message: error.description)
    }
  }
}

/// What the service would not answer at all (the loop guard: auto-replies,
/// bounces, lists, robots): the `robot` label of the examples.
func robotCheck() -> RuleTestRunner.SkipCheck {
  let loopGuard = LoopGuard(ownAddresses: Settings.ownAddresses(in: ProcessInfo.processInfo.environment))
  return { loopGuard.reasonToSkip($0)?.rawValue }
}

struct Rules: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check and test the classification rules staff keep in rules/.",
    discussion: """
      The rules are text files: rules/categories/*.rules (one category each), \
      rules/lists.rules (word lists) and rules/settings.rules. rules/README.md \
      explains the format in Polish.
      """,
    subcommands: [Check.self, TestRules.self, Suggest.self, Words.self]
  )

  struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check the rule files: errors and warnings as FILE:LINE:COL, exit 1 on any error.")

    @OptionGroup var rules: RulesLocation

    func run() async throws {
      let (ruleSet, diagnostics) = RuleLoader.load(directory: rules.resolved)
      for diagnostic in diagnostics { print(diagnostic) }
      let errors = diagnostics.filter { $0.severity == .error }.count
      let warnings = diagnostics.count - errors
      if let ruleSet {
        let conditions = ruleSet.categories.reduce(0) { $0 + $1.conditions.count }
        print(
          "\(rules.resolved): \(ruleSet.categories.count) categories, \(conditions) conditions; "
            + "\(errors) errors, \(warnings) warnings")
      } else {
        print(
          "\(rules.resolved): \(errors) errors, \(warnings) warnings; the rules cannot be used until the errors are fixed"
        )
        throw ExitCode(1)
      }
    }
  }

  struct TestRules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "test",
      abstract:
        "Run the labelled examples through the rules: a quality report, failures explained; exit 1 on failure.",
      discussion: """
        The examples are the 'example:' and 'not-example:' lines of each category \
        and the mails in rules/examples/<category>/*.eml (or the folders given), \
        where the folder's name is the expected category ('unclassified' for \
        mails a person should read, 'robot' for machine mail the bot must not \
        answer). The report: every failure with its explanation, the confusion \
        matrix, precision and recall per category, and the figures that matter \
        most: coverage right on covered/uncovered mails, swaps (covered read as \
        uncovered or the other way round), unclassified, robots skipped, and a \
        cost where a swap costs more than an unclassified mail (settings.rules).

        --sealed is for the validation set that rule writers must not read: it \
        prints only the figures, never a mail. --ratchet FILE compares the \
        figures with the last ones recorded there and fails only when one got \
        worse (what CI does); --update-ratchet moves the recorded figures up to \
        today's where they are better. --compare DIR shows every mail whose \
        category or coverage changes between DIR's rules and these: a dry run \
        of a rule change.

        Examples:
          supportbot rules test
          supportbot rules test --compare /tmp/rules-before
          supportbot rules test --sealed Tests/Validation --ratchet Tests/Validation/ratchet.txt
        """
    )

    @OptionGroup var rules: RulesLocation

    @Argument(help: "Folders of labelled mails (<folder>/<category>/*.eml); default: the rules' examples folder.")
    var folders: [String] = []

    @Flag(help: "Also list every example that passed.")
    var verbose = false

    @Flag(help: "Print only the figures: no mail, subject or rule line (for the sealed validation set).")
    var sealed = false

    @Option(
      help: "Fail only when a figure is worse than in this file (coverage, swaps, unclassified, accuracy, robots).")
    var ratchet: String?

    @Flag(help: "With --ratchet: write today's figures where they are better.")
    var updateRatchet = false

    @Option(help: "Another rules folder: show every mail whose category or coverage differs from these rules.")
    var compare: String?

    func run() async throws {
      try await reportingFailures {
        let classifier = try rules.loadClassifier()
        let folders = folders.isEmpty ? [rules.resolved + "/examples"] : folders
        let detail: RuleTestRunner.Detail = sealed ? .sealed : verbose ? .verbose : .full
        let examples = RuleTestRunner.inlineExamples(classifier.rules) + (try rules.examples(folders))
        if let compare {
          var other = rules
          other.directory = compare
          print(
            RuleTestRunner.compare(
              classifier, with: try other.loadClassifier(), otherName: compare, examples: examples, detail: detail,
              skipCheck: robotCheck()))
          return
        }
        let report = RuleTestRunner.evaluate(classifier, examples: examples, detail: detail, skipCheck: robotCheck())
        print(report.text)
        guard let ratchet else {
          if report.failures > 0 { throw ExitCode(1) }
          return
        }
        try check(report, against: ratchet)
      }
    }

    /// With a ratchet, only staff's own example lines must all pass; the mails must not score worse than before.
    private func check(_ report: RuleTestRunner.Report, against path: String) throws {
      var recorded = Ratchet.floor
      if !FileManager.default.fileExists(atPath: path), !updateRatchet {
        throw Failure(
          message: "there is no ratchet \(path); write the first one with: "
            + "supportbot rules test --ratchet \(path) --update-ratchet")
      }
      if FileManager.default.fileExists(atPath: path) {
        do {
          recorded = try Ratchet.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
        } catch {
          throw Failure(message: "\(error)")
        }
      }
      if updateRatchet {
        let raised = recorded.raised(by: report.score)
        do {
          try raised.text.write(toFile: path, atomically: true, encoding: .utf8)
        } catch {
          throw Failure(message: "cannot write the ratchet \(path): \(error.localizedDescription)")
        }
        print(raised == recorded ? "ratchet \(path): unchanged" : "ratchet \(path): raised")
        recorded = raised
      }
      let worse = recorded.regressions(report.score)
      for problem in worse { print("WORSE than the ratchet \(path): \(problem)") }
      if report.inlineFailures > 0 { print("\(report.inlineFailures) example:/not-example: lines fail") }
      if !worse.isEmpty || report.inlineFailures > 0 { throw ExitCode(1) }
      print("ratchet \(path): holds")
    }
  }

  struct Suggest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Suggest rule lines from the labelled mails a category missed, each with its effect on all of them.",
      discussion: """
        For each category (or the one named), the words and two-word phrases \
        typical of its labelled mails that the rules did not give it — compared \
        with the mails of every other category — are tried one by one as a new \
        line of the category's file, on every labelled mail. Only lines that fix \
        more mails than they break are shown, ready to paste, with their file. \
        Nothing is changed.

        Examples:
          supportbot rules suggest devices
          supportbot rules suggest
        """
    )

    @OptionGroup var rules: RulesLocation

    @Argument(help: "The category to suggest lines for (default: every category that misses mails).")
    var category: String?

    @Option(help: "Folders of labelled mails to learn from (default: the rules' examples folder); never a sealed set.")
    var examples: [String] = []

    @Option(help: "Suggestions per category.")
    var count = 5

    func run() async throws {
      try await reportingFailures {
        let (files, problems) = RuleLoader.read(directory: rules.resolved)
        guard problems.isEmpty else { throw Failure(message: problems.map(\.description).joined(separator: "\n")) }
        let mails = try rules.examples(examples.isEmpty ? [rules.resolved + "/examples"] : examples)
        print(
          RuleSuggester.report(
            RuleSuggester.suggest(
              rules: files, examples: mails, category: category, perCategory: count, skipCheck: robotCheck())))
      }
    }
  }

  struct Words: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List the words of the example mails that a pattern such as drukar* matches, and near misses.")

    @OptionGroup var rules: RulesLocation

    @Argument(help: "A pattern as written in a rule: drukar*, *instal*, kolektor.")
    var pattern: String

    @Argument(help: "More folders of mails to look in.")
    var folders: [String] = []

    func run() async throws {
      try await reportingFailures {
        do {
          print(try RuleTestRunner.words(matching: pattern, folders: [rules.resolved + "/examples"] + folders))
        } catch {
          throw Failure(message: "\(error)")
        }
      }
    }
  }
}
