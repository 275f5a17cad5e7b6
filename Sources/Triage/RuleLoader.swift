import Foundation

/// Reads a rules folder: `settings.rules`, `lists.rules` and
/// `categories/*.rules`. The only part of Triage that touches the disk.
public enum RuleLoader {
  /// Loads and checks every rule file under `directory`. The rule set is nil
  /// when anything is wrong; the diagnostics say what and where.
  public static func load(directory: String) -> (RuleSet?, [Diagnostic]) {
    let (files, problems) = read(directory: directory)
    guard problems.isEmpty else { return (nil, problems) }
    let (rules, diagnostics) = RuleParser.parse(files)
    return (rules, diagnostics)
  }

  /// The classifier of `directory`: its rules and, when settings.rules asks
  /// for the examples' second opinion (`examples-vote`), the labelled mails
  /// of `directory/examples`. Nil when anything is wrong.
  public static func classifier(directory: String) -> (Classifier?, [Diagnostic]) {
    let (rules, diagnostics) = load(directory: directory)
    guard let rules else { return (nil, diagnostics) }
    var classifier = Classifier(rules)
    guard rules.settings.examplesVote != nil else { return (classifier, diagnostics) }
    let folder = "\(directory)/examples"
    do {
      classifier.examples = ExampleModel(
        try RuleTestRunner.mailExamples(folders: [folder]), categories: Set(rules.categories.map(\.id)))
    } catch {
      let location = SourceLocation(file: "\(directory)/settings.rules", line: 1)
      return (
        nil,
        diagnostics + [
          Diagnostic(
            .error, location, "examples-vote needs the labelled examples, but \(error)",
            hint: "put them in \(folder)/<category>/*.eml, or write examples-vote: off")
        ]
      )
    }
    return (classifier, diagnostics)
  }

  /// The files the classifier of `directory` is made from: the rule files and,
  /// for the examples' second opinion, the example mails (a change reloads it).
  public static func classifierPaths(directory: String) -> [String] {
    let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    var paths = rulePaths(directory: directory)
    let examples = "\(base)/examples"
    let files = FileManager.default
    for label in ((try? files.contentsOfDirectory(atPath: examples)) ?? []).sorted() {
      let folder = "\(examples)/\(label)"
      // A missing or unreadable folder is reported when the examples are loaded.
      for name in ((try? files.contentsOfDirectory(atPath: folder)) ?? []).sorted() where name.hasSuffix(".eml") {
        paths.append("\(folder)/\(name)")
      }
    }
    return paths
  }

  /// The rule files of `directory`, in the order they are read.
  public static func rulePaths(directory: String) -> [String] {
    let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    var paths = ["settings.rules", "lists.rules"].map { "\(base)/\($0)" }.filter {
      FileManager.default.fileExists(atPath: $0)
    }
    let categories = "\(base)/categories"
    // No categories folder: the parser reports "there are no category files".
    let names = (try? FileManager.default.contentsOfDirectory(atPath: categories)) ?? []
    paths += names.filter { $0.hasSuffix(".rules") }.sorted().map { "\(categories)/\($0)" }
    return paths
  }

  /// The rule files of `directory` as texts, or what keeps them from being read.
  public static func read(directory: String) -> ([RuleFile], [Diagnostic]) {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
      return (
        [],
        [
          Diagnostic(
            .error, SourceLocation(file: directory, line: 1), "the rules folder does not exist",
            hint: "give it with --rules DIR or SUPPORTBOT_RULES, or run from the folder that holds rules/")
        ]
      )
    }
    var files: [RuleFile] = []
    var problems: [Diagnostic] = []
    for path in rulePaths(directory: directory) {
      let name = (path as NSString).lastPathComponent
      let kind: RuleFile.Kind =
        path.hasSuffix("/categories/\(name)") ? .category : name == "settings.rules" ? .settings : .lists
      guard let data = FileManager.default.contents(atPath: path) else {
        problems.append(Diagnostic(.error, SourceLocation(file: path, line: 1), "cannot read the file"))
        continue
      }
      guard let text = String(data: data, encoding: .utf8) else {
        problems.append(
          Diagnostic(
            .error, SourceLocation(file: path, line: 1), "the file is not UTF-8 text",
            hint: "save it as UTF-8 (in Notepad: Save as… → Encoding: UTF-8)"))
        continue
      }
      files.append(RuleFile(path: path, text: text, kind: kind))
    }
    return (files, problems)
  }
}
