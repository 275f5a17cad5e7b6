import Foundation
import MailMessage
import SupportPolicy
import Triage

// The loaders: they read the files staff keep (rules/, policy.rules,
// templates/, the customer list) from disk and hand their text to Triage and
// SupportPolicy, which parse and check it.

/// The classification rules in force.
public typealias RuleBook = Reloadable<Classifier>

extension Reloadable where Value == Classifier {
  /// The rules in `directory`; without valid rules every mail is unclassified.
  public convenience init(directory: String) {
    self.init(
      name: "the rules in \(directory)", paths: { RuleLoader.classifierPaths(directory: directory) },
      load: { RuleLoader.classifier(directory: directory) })
  }
}

extension DeskSetup {
  /// `policy.rules` and `templates/` of a rules folder.
  public static func load(rulesDirectory: String) -> (DeskSetup?, [Diagnostic]) {
    let policyPath = "\(rulesDirectory)/policy.rules"
    var diagnostics: [Diagnostic] = []
    var policy = Policy()
    if let data = FileManager.default.contents(atPath: policyPath) {
      let (parsed, problems) = Policy.parse(String(decoding: data, as: UTF8.self), file: policyPath)
      diagnostics += problems
      policy = parsed ?? policy
    }
    let (templates, problems) = TemplateBook.load(directory: "\(rulesDirectory)/templates")
    diagnostics += problems
    guard let templates, !diagnostics.contains(where: { $0.severity == .error }) else { return (nil, diagnostics) }
    return (DeskSetup(policy: policy, templates: templates), diagnostics)
  }

  static func paths(rulesDirectory: String) -> [String] {
    ["\(rulesDirectory)/policy.rules"]
      + TemplateBook.names.flatMap { name in
        Language.allCases.map { "\(rulesDirectory)/templates/\(name).\($0.rawValue).mustache" }
      }
  }
}

extension TemplateBook {
  /// Loads and checks every template in `directory`.
  public static func load(directory: String) -> (TemplateBook?, [Diagnostic]) {
    var files: [(path: String, text: String)] = []
    var problems: [Diagnostic] = []
    for name in names {
      for language in Language.allCases {
        let path = "\(directory)/\(name).\(language.rawValue).mustache"
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
          problems.append(
            Diagnostic(
              .error, SourceLocation(file: path, line: 1), "the template is missing or not UTF-8",
              hint: "every reply exists in Polish and English: \(name).pl.mustache and \(name).en.mustache"))
          continue
        }
        files.append((path, text))
      }
    }
    guard problems.isEmpty else { return (nil, problems) }
    return parse(files)
  }
}

extension CustomerList {
  /// Reads and checks the list at `path`.
  public static func load(path: String, keyPattern: LicenseKeyPattern = .default) -> (CustomerList?, [Diagnostic]) {
    guard let data = FileManager.default.contents(atPath: path) else {
      return (nil, [Diagnostic(.error, SourceLocation(file: path, line: 1), "cannot read the customer list")])
    }
    guard let text = String(data: data, encoding: .utf8) else {
      return (
        nil,
        [
          Diagnostic(
            .error, SourceLocation(file: path, line: 1), "the customer list is not UTF-8",
            hint: "export it as 'CSV UTF-8'")
        ]
      )
    }
    return parse(text, file: path, keyPattern: keyPattern)
  }
}

extension Reloadable where Value == DeskSetup {
  /// The policy and templates of a rules folder, reloaded when they change.
  public convenience init(rulesDirectory: String) {
    self.init(
      name: "the policy and templates in \(rulesDirectory)",
      paths: { DeskSetup.paths(rulesDirectory: rulesDirectory) },
      load: { DeskSetup.load(rulesDirectory: rulesDirectory) })
  }
}

extension CustomerDirectory {
  /// The customer list at `path`, checked, ready to look senders up in.
  public static func load(path: String, keyPattern: LicenseKeyPattern) -> (CustomerDirectory?, [Diagnostic]) {
    let (list, diagnostics) = CustomerList.load(path: path, keyPattern: keyPattern)
    return (list.map { CustomerDirectory($0, keyPattern: keyPattern) }, diagnostics)
  }
}

extension Reloadable where Value == CustomerDirectory {
  /// The customer list at `path`, reloaded when it changes.
  public convenience init(customersPath path: String, keyPattern: @escaping @Sendable () -> LicenseKeyPattern) {
    self.init(
      name: "the customer list \(path)", paths: { [path] },
      load: { CustomerDirectory.load(path: path, keyPattern: keyPattern()) })
  }
}
