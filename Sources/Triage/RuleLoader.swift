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

  /// The rule files of `directory`, in the order they are read.
  public static func rulePaths(directory: String) -> [String] {
    let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
    var paths = ["settings.rules", "lists.rules"].map { "\(base)/\($0)" }.filter {
      FileManager.default.fileExists(atPath: $0)
    }
    let categories = "\(base)/categories"
    let names = (try? FileManager.default.contentsOfDirectory(atPath: categories)) ?? []
    paths += names.filter { $0.hasSuffix(".rules") }.sorted().map { "\(categories)/\($0)" }
    return paths
  }

  static func read(directory: String) -> ([RuleFile], [Diagnostic]) {
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
