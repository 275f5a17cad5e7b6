import Foundation
import Yams

/// The YAML configuration file: the settings of the environment variables
/// (`SettingVariable.all`), grouped the way an admin reads them:
///
/// ```yaml
/// imap:
///   url: imaps://mail.pwsk.pl/INBOX
///   user: pomoc@pwsk.pl
///   password_file: /etc/supportbot/imap-password
/// state: /var/lib/supportbot/state.sqlite
/// ```
///
/// A key path names its variable: `imap.url` is `SUPPORTBOT_IMAP_URL`,
/// `sent.grace_seconds` is `SUPPORTBOT_SENT_GRACE_SECONDS`. Environment
/// variables override the file. Passwords never go into it, only the files
/// holding them; relative paths are taken from the file's folder.
public enum ConfigFile {
  /// The key an admin may write, by the variable it sets: every setting the
  /// file may hold, a password only as the file holding it (`imap.password_file`).
  static let keys: [String: String] = Dictionary(
    uniqueKeysWithValues: SettingVariable.all.compactMap { variable in
      variable.keyPath.map { key in
        variable.fileVariable.map { ($0, key + "_file") } ?? (variable.name, key)
      }
    })

  /// Variables whose value is a path, resolved against the file's folder: the
  /// paths, and the files holding secrets.
  static let paths: Set<String> = Set(
    SettingVariable.all.compactMap { variable in variable.fileVariable ?? (variable.kind == .path ? variable.name : nil)
    }
  )

  /// The variable a key path sets: `imap.url` (or `imap_url`) → `SUPPORTBOT_IMAP_URL`.
  static func variable(for keyPath: [String]) -> String {
    "SUPPORTBOT_" + keyPath.joined(separator: "_").uppercased()
  }

  /// Reads the file into the variables it sets.
  public static func environment(contentsOf path: String) throws(ConfigError) -> [String: String] {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw .file(path: path, line: nil, message: "cannot be read: \(error.localizedDescription)")
    }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
    return try environment(yaml: text, file: path, folder: folder)
  }

  /// The variables the YAML text sets; `file` names it in errors, `folder`
  /// anchors relative paths.
  public static func environment(
    yaml text: String, file: String, folder: URL? = nil
  ) throws(ConfigError)
    -> [String: String]
  {
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch let error as YamlError {
      throw yamlProblem(error, file: file)
    } catch {
      throw .file(path: file, line: nil, message: "\(error)")
    }
    guard let root else { return [:] }
    guard case .mapping(let mapping) = root else {
      throw .file(path: file, line: root.mark?.line, message: "the file must hold settings as 'key: value' lines")
    }
    var result: [String: String] = [:]
    try collect(mapping, path: [], file: file, folder: folder, into: &result)
    return result
  }

  private static func collect(
    _ mapping: Node.Mapping, path: [String], file: String, folder: URL?, into result: inout [String: String]
  ) throws(ConfigError) {
    for (keyNode, value) in mapping {
      let line = keyNode.mark?.line
      guard let name = keyNode.string, !name.isEmpty else {
        throw .file(path: file, line: line, message: "a key must be a plain word such as 'url'")
      }
      let keyPath = path + [name]
      let shown = keyPath.joined(separator: ".")
      switch value {
      case .mapping(let inner):
        try collect(inner, path: keyPath, file: file, folder: folder, into: &result)
      case .sequence:
        throw .file(path: file, line: line, message: "'\(shown)' takes one value, not a list")
      case .alias:
        throw .file(path: file, line: line, message: "'\(shown)': aliases are not supported here")
      case .scalar(let scalar):
        let variable = variable(for: keyPath)
        if SettingVariable.named(variable)?.isSecret == true {
          throw .file(
            path: file, line: line,
            message:
              "a password does not belong in the config file; put it in a file only the bot can read and name that file with '\(shown)_file'"
          )
        }
        guard keys[variable] != nil else {
          throw .file(path: file, line: line, message: unknownKeyMessage(shown))
        }
        // An empty value (`customers:`, `~`, `null`) leaves the setting at its default.
        let text = scalar.string.trimmingCharacters(in: .whitespaces)
        if text.isEmpty || (scalar.style == .plain && ["~", "null", "Null", "NULL"].contains(text)) { continue }
        if paths.contains(variable), let folder, !text.hasPrefix("/") {
          result[variable] = folder.appendingPathComponent(text).standardizedFileURL.path
        } else {
          result[variable] = text
        }
      }
    }
  }

  private static func unknownKeyMessage(_ key: String) -> String {
    let known = keys.values.sorted()
    let group = key.split(separator: ".").first.map(String.init) ?? key
    let near = known.filter { $0.hasPrefix(group + ".") || $0.hasPrefix(group + "_") }
    let listed = (near.isEmpty ? known : near).joined(separator: ", ")
    return "'\(key)' is not a setting; \(near.isEmpty ? "the settings are" : "did you mean one of"): \(listed)"
  }
}

/// The place and words of a YAML syntax error.
private func yamlProblem(_ error: YamlError, file: String) -> ConfigError {
  switch error {
  case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
    .composer(_, let problem, let mark, _):
    .file(path: file, line: mark.line, message: "this is not valid YAML: \(problem)")
  default:
    .file(path: file, line: nil, message: "this is not valid YAML: \(error)")
  }
}
