/// What is wrong with the configuration: the settings (every problem at
/// once, each naming its variable and how to fix it), or the config file (its
/// place, `FILE:LINE: …`). The bot exits with 78 (EX_CONFIG) on either.
public enum ConfigError: Error, Sendable, CustomStringConvertible {
  /// Settings missing or wrong, each with its variable and its fix.
  case settings(problems: [String])
  /// A mistake in the config file, at this line (nil: the whole file).
  case file(path: String, line: Int?, message: String)

  public var description: String {
    switch self {
    case .settings(let problems):
      "the configuration is incomplete:\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    case .file(let path, let line, let message):
      "\(path)\(line.map { ":\($0)" } ?? ""): \(message)"
    }
  }
}
