import Foundation
import Yams

/// The YAML configuration file: the settings of the environment variables
/// (`Settings.variables`), grouped the way an admin reads them:
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
  /// The variables the file may set: every setting, with passwords only as `…_FILE`.
  static let allowed: Set<String> = Set(
    Settings.variables.map { $0.name.hasSuffix("_PASSWORD") ? $0.name + "_FILE" : $0.name })

  /// Variables whose value is a path, resolved against the file's folder.
  static let paths: Set<String> = [
    "SUPPORTBOT_STATE", "SUPPORTBOT_RULES", "SUPPORTBOT_CUSTOMERS", "SUPPORTBOT_CA_FILE",
    "SUPPORTBOT_IMAP_PASSWORD_FILE", "SUPPORTBOT_SMTP_PASSWORD_FILE", "SUPPORTBOT_IMAP_OAUTH2_TOKEN_FILE",
    "SUPPORTBOT_SMTP_OAUTH2_TOKEN_FILE",
  ]

  /// The key an admin writes for a variable: `SUPPORTBOT_IMAP_URL` → `imap.url`.
  static func key(for variable: String) -> String {
    var key = variable.dropFirst("SUPPORTBOT_".count).lowercased()
    for group in ["imap_", "smtp_", "sent_"] where key.hasPrefix(group) {
      key = group.dropLast() + "." + key.dropFirst(group.count)
    }
    return key
  }

  /// Reads the file into the variables it sets.
  public static func environment(contentsOf path: String) throws(ConfigFileError) -> [String: String] {
    let text: String
    do {
      text = try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw ConfigFileError(file: path, line: nil, message: "cannot be read: \(error.localizedDescription)")
    }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
    return try environment(yaml: text, file: path, folder: folder)
  }

  /// The variables the YAML text sets; `file` names it in errors, `folder`
  /// anchors relative paths.
  public static func environment(
    yaml text: String, file: String, folder: URL? = nil
  ) throws(ConfigFileError)
    -> [String: String]
  {
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch let error as YamlError {
      throw ConfigFileError(file: file, yaml: error)
    } catch {
      throw ConfigFileError(file: file, line: nil, message: "\(error)")
    }
    guard let root else { return [:] }
    guard case .mapping(let mapping) = root else {
      throw ConfigFileError(
        file: file, line: root.mark?.line, message: "the file must hold settings as 'key: value' lines")
    }
    var result: [String: String] = [:]
    try collect(mapping, path: [], file: file, folder: folder, into: &result)
    return result
  }

  private static func collect(
    _ mapping: Node.Mapping, path: [String], file: String, folder: URL?, into result: inout [String: String]
  ) throws(ConfigFileError) {
    for (keyNode, value) in mapping {
      let line = keyNode.mark?.line
      guard let name = keyNode.string, !name.isEmpty else {
        throw ConfigFileError(file: file, line: line, message: "a key must be a plain word such as 'url'")
      }
      let keyPath = path + [name]
      let shown = keyPath.joined(separator: ".")
      switch value {
      case .mapping(let inner):
        try collect(inner, path: keyPath, file: file, folder: folder, into: &result)
      case .sequence:
        throw ConfigFileError(file: file, line: line, message: "'\(shown)' takes one value, not a list")
      case .alias:
        throw ConfigFileError(file: file, line: line, message: "'\(shown)': aliases are not supported here")
      case .scalar(let scalar):
        let variable = "SUPPORTBOT_" + keyPath.joined(separator: "_").uppercased()
        if variable == "SUPPORTBOT_IMAP_PASSWORD" || variable == "SUPPORTBOT_SMTP_PASSWORD" {
          throw ConfigFileError(
            file: file, line: line,
            message:
              "a password does not belong in the config file; put it in a file only the bot can read and name that file with '\(shown)_file'"
          )
        }
        guard allowed.contains(variable) else {
          throw ConfigFileError(file: file, line: line, message: unknownKeyMessage(shown))
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
    let known = allowed.map(Self.key(for:)).sorted()
    let group = key.split(separator: ".").first.map(String.init) ?? key
    let near = known.filter { $0.hasPrefix(group + ".") || $0.hasPrefix(group + "_") }
    let listed = (near.isEmpty ? known : near).joined(separator: ", ")
    return "'\(key)' is not a setting; \(near.isEmpty ? "the settings are" : "did you mean one of"): \(listed)"
  }
}

/// A problem in the config file, with its place: `FILE:LINE: message`.
public struct ConfigFileError: Error, Sendable, CustomStringConvertible {
  public var file: String
  public var line: Int?
  public var message: String

  public init(file: String, line: Int?, message: String) {
    self.file = file
    self.line = line
    self.message = message
  }

  init(file: String, yaml error: YamlError) {
    switch error {
    case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
      .composer(_, let problem, let mark, _):
      self.init(file: file, line: mark.line, message: "this is not valid YAML: \(problem)")
    default:
      self.init(file: file, line: nil, message: "this is not valid YAML: \(error)")
    }
  }

  public var description: String {
    "\(file)\(line.map { ":\($0)" } ?? ""): \(message)"
  }
}
