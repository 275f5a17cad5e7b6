import ArgumentParser
import Foundation
import MailMessage
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
}

struct Rules: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Check and test the classification rules staff keep in rules/.",
    discussion: """
      The rules are text files: rules/categories/*.rules (one category each), \
      rules/lists.rules (word lists) and rules/settings.rules. rules/README.md \
      explains the format in Polish.
      """,
    subcommands: [Check.self, TestRules.self, Words.self]
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
        "Run the labelled examples through the rules: accuracy, confusions, failures explained; exit 1 on failure.",
      discussion: """
        The examples are the 'example:' and 'not-example:' lines of each category \
        and the mails in rules/examples/<category>/*.eml (and any folders given), \
        where the folder's name is the expected category ('unclassified' for \
        mails a person should read).
        """
    )

    @OptionGroup var rules: RulesLocation

    @Argument(help: "More folders of labelled mails (<folder>/<category>/*.eml).")
    var folders: [String] = []

    @Flag(help: "Also list every example that passed.")
    var verbose = false

    func run() async throws {
      try await reportingFailures {
        let ruleSet = try rules.load()
        let report = RuleTestRunner.run(
          Classifier(ruleSet), folders: [rules.resolved + "/examples"] + folders, verbose: verbose)
        print(report.text)
        if report.failures > 0 { throw ExitCode(1) }
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
      print(RuleTestRunner.words(matching: pattern, folders: [rules.resolved + "/examples"] + folders))
    }
  }
}
