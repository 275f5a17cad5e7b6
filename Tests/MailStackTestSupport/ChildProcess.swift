import Foundation

/// A program started with posix_spawn, stdin from /dev/null, stdout and
/// stderr into a file, and awaited by hand.
///
/// Not Foundation's Process: it sometimes never notices a child exit (its
/// SIGCHLD goes unseen and `waitUntilExit` waits forever beside a zombie),
/// seen with the mail stack's script and the daemons it starts. Output goes to
/// a file, which such daemons cannot keep open for us the way they keep a pipe.
public struct ChildProcess: Sendable {
  public let pid: pid_t
  public let started: ContinuousClock.Instant

  /// How a child ended: wall time since its start, its peak memory (max RSS,
  /// KB), and its exit code (nil when a signal ended it).
  public struct Ending: Sendable {
    public var seconds: Double
    public var maxRSSKB: Int
    public var exitCode: Int32?
  }

  /// Starts `path`; `environment` nil inherits ours.
  public init(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil, output: String = "/dev/null"
  ) throws {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    let variables = environment.map { $0.map { strdup("\($0.key)=\($0.value)") } + [nil] }
    defer { variables?.forEach { free($0) } }
    started = ContinuousClock.now
    var pid: pid_t = 0
    let spawned =
      variables.map { posix_spawn(&pid, path, &actions, nil, argv, $0) }
      ?? posix_spawn(&pid, path, &actions, nil, argv, environ)
    guard spawned == 0 else {
      throw MailStackError(message: "cannot start \(path): \(String(cString: strerror(spawned)))")
    }
    self.pid = pid
  }

  /// Waits for the end.
  public func wait() -> Ending {
    var status: Int32 = 0
    var usage = rusage()
    while wait4(pid, &status, 0, &usage) == -1, errno == EINTR {}
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    // Exited normally: no signal bits, the exit code in the second byte.
    return Ending(
      seconds: seconds, maxRSSKB: usage.ru_maxrss, exitCode: status & 0x7f == 0 ? (status >> 8) & 0xff : nil)
  }

  /// Sends SIGTERM and waits for the end.
  public func stop() -> Ending {
    kill(pid, SIGTERM)
    return wait()
  }

  /// Runs a program to its end.
  @discardableResult
  public static func run(
    _ path: String, _ arguments: [String], environment: [String: String]? = nil, output: String = "/dev/null"
  ) throws -> Ending {
    try ChildProcess(path, arguments, environment: environment, output: output).wait()
  }
}
