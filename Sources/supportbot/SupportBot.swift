import ArgumentParser
import Foundation
import Logging
import SupportDesk

@main
struct SupportBot: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "supportbot",
    abstract: "Answers the PWSK support mailbox: reads new mail over IMAP and sends an automatic reply over SMTP.",
    discussion: """
      supportbot watches the support mailbox, answers every new customer mail once \
      with an automatic reply that says whether free basic support covers it, under \
      which plan, and what happens next (never auto-replies, bounces, mailing lists \
      or its own mail), marks the mail with a keyword for staff (and files it into a \
      folder per outcome, if asked to), and remembers what it did in a state \
      database, so a restart never answers twice.

      It is configured through environment variables, or a YAML file given with \
      --config (see deploy/supportbot.example.yaml), where imap.url stands for \
      SUPPORTBOT_IMAP_URL and so on; the variables override the file:

      \(SettingVariable.all.map { "  \($0.name)\n      \($0.helpLine)" }.joined(separator: "\n"))

      Examples:
        supportbot run --once --dry-run   what would be answered; changes nothing
        supportbot run --once             one pass, e.g. from cron
        supportbot run --config /etc/supportbot/supportbot.yaml
                                          the service: answers new mail as it arrives
        supportbot status                 what the state database knows
        supportbot inspect mail.eml       how a saved mail is read
      """,
    subcommands: [Run.self, Status.self, Inspect.self, Classify.self, Preview.self, Rules.self]
  )
}

/// Options every command that logs shares.
struct LoggingOptions: ParsableArguments {
  @Flag(name: .shortAndLong, help: "Log every IMAP and SMTP step, not just one line per mail.")
  var verbose = false

  /// Sets up swift-log once: human-readable lines on standard error.
  func bootstrap() -> Logger {
    let level: Logger.Level = verbose ? .trace : .info
    let timestamps = SettingVariable.logTimestamps.value(in: ProcessInfo.processInfo.environment) != "0"
    LoggingSystem.bootstrap { _ in ConsoleLogHandler(level: level, timestamps: timestamps) }
    return Logger(label: "supportbot")
  }
}

/// Where the settings come from: a YAML file (`--config`, or SUPPORTBOT_CONFIG)
/// and the environment variables, which override it.
struct ConfigOptions: ParsableArguments {
  @Option(
    name: .long,
    help: ArgumentHelp(
      "A YAML config file (default: SUPPORTBOT_CONFIG); environment variables override it.",
      valueName: "file"))
  var config: String?

  var path: String? { config ?? SettingVariable.config.value(in: ProcessInfo.processInfo.environment) }

  /// The variables of the file, overridden by those of the process.
  func environment() throws -> [String: String] {
    let process = ProcessInfo.processInfo.environment
    guard let path else { return process }
    do {
      return try ConfigFile.environment(contentsOf: path).merging(process) { _, fromProcess in fromProcess }
    } catch {
      throw Failure(message: error.description, exitCode: .configuration)
    }
  }

  /// Reads the settings; on problems, lists each one to fix and exits with 78 (EX_CONFIG).
  func settings() throws -> Settings {
    do {
      return try Settings.fromEnvironment(try environment())
    } catch let error as ConfigError {
      throw Failure(message: error.description, exitCode: .configuration)
    }
  }
}

/// Ends the program: the message goes to standard error, prefixed with the
/// program's name, and the process exits with the given code.
struct Failure: Error {
  /// The exit codes a script or systemd can tell apart (sysexits.h).
  enum Code: Int32 {
    /// Something failed while running: a server, the network, the disk.
    case runtime = 1
    /// The configuration is incomplete or wrong (EX_CONFIG).
    case configuration = 78
  }

  var message: String
  var exitCode: Code = .runtime

  /// Prints the message and turns into the exit code ArgumentParser understands.
  func exit() -> ExitCode {
    FileHandle.standardError.write(Data("supportbot: \(message)\n".utf8))
    return ExitCode(exitCode.rawValue)
  }
}

extension AsyncParsableCommand {
  /// Runs `body`; a `Failure` becomes its message and exit code.
  func reportingFailures(_ body: () async throws -> Void) async throws {
    do {
      try await body()
    } catch let failure as Failure {
      throw failure.exit()
    }
  }
}

extension Encodable {
  /// One line of JSON with sorted keys: what the --json options print per file.
  func jsonLine() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self)
  }
}
