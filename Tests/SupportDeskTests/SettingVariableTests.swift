import Foundation
import Testing

@testable import SupportDesk

/// The one table of settings, and what is derived from it: the config file's
/// keys, `--help`, and README's table of variables.
@Suite("The table of settings")
struct SettingVariableTests {
  @Test("names are unique, and each key path joined with '_' is its variable's name")
  func names() {
    let names = SettingVariable.all.map(\.name)
    #expect(Set(names).count == names.count)
    for variable in SettingVariable.all {
      #expect(variable.name.hasPrefix("SUPPORTBOT_"))
      if let keyPath = variable.keyPath {
        #expect(ConfigFile.variable(for: keyPath.split(separator: ".").map(String.init)) == variable.name)
      }
    }
  }

  @Test("a number's default lies in its range")
  func numbers() {
    for variable in SettingVariable.all {
      guard case .number(let range) = variable.kind else { continue }
      let value = variable.defaultText.flatMap { Int($0) }
      #expect(value.map(range.contains) == true, "\(variable.name)")
    }
  }

  @Test("the config file takes every key of the table, a password only as the file holding it")
  func fileKeys() throws {
    for variable in SettingVariable.all {
      guard let keyPath = variable.keyPath else { continue }
      let parts = keyPath.split(separator: ".")
      let yaml = parts.dropLast().enumerated().map { String(repeating: "  ", count: $0) + "\($1):" }
        .joined(separator: "\n")
      let indent = String(repeating: "  ", count: parts.count - 1)
      let key = parts.last.map(String.init)! + (variable.isSecret ? "_file" : "")
      let text = (yaml.isEmpty ? "" : yaml + "\n") + indent + key + ": /etc/x\n"
      let environment = try ConfigFile.environment(yaml: text, file: "t.yaml")
      #expect(environment == [variable.fileVariable ?? variable.name: "/etc/x"], "\(text)")
    }
  }

  @Test("README's table of variables names every setting, and nothing else; defaults agree")
  func readme() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    var documented: [String: String] = [:]  // name → its row's default cell
    for line in readme.split(separator: "\n") where line.hasPrefix("| `SUPPORTBOT_") {
      let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
        $0.trimmingCharacters(in: .whitespaces)
      }
      let names = cells[1].split(separator: "`").map(String.init).filter {
        $0.hasPrefix("SUPPORTBOT_") || $0.hasPrefix("_")
      }
      // `SUPPORTBOT_FOLDER_COVERED`, `_UNCOVERED`: a name that starts with '_' shares the first one's prefix.
      let first = try #require(names.first)
      let prefix = first.split(separator: "_").dropLast().joined(separator: "_")
      for name in names {
        documented[name.hasPrefix("_") ? prefix + name : name] = cells[cells.count - 2]
      }
    }
    let files = Set(SettingVariable.all.compactMap(\.fileVariable))
    for variable in SettingVariable.all {
      let row = documented[variable.name]
      #expect(row != nil, "README's table lacks \(variable.name)")
      if let value = variable.defaultText, let row {
        #expect(row.contains(value), "README's default of \(variable.name) is not \(value)")
      }
    }
    for name in documented.keys {
      #expect(SettingVariable.named(name) != nil || files.contains(name), "README names \(name), which is no setting")
    }
  }
}
