import Foundation

/// Where an OAuth2 access token comes from, for servers that take no
/// passwords (Gmail, Microsoft 365): a file that something else keeps fresh,
/// or a command that prints a fresh token (and does the refresh itself, so
/// rotating refresh tokens are its business, not ours).
///
/// A token is read whenever a connection logs in, and once more when the
/// server refuses it (it may just have expired); it is never cached longer
/// than a connection, and never logged.
public struct TokenSource: Sendable, Equatable, CustomStringConvertible {
  public enum Origin: Sendable, Equatable {
    case file(String)
    case command(String)
  }

  public let origin: Origin

  public init(file path: String) { origin = .file(path) }
  public init(command: String) { origin = .command(command) }

  public var description: String {
    switch origin {
    case .file(let path): "the OAuth2 token file \(path)"
    // Only the program: its arguments may carry a client secret or a refresh token.
    case .command(let command):
      "the OAuth2 token command '\(command.split(separator: " ").first.map(String.init) ?? "")'"
    }
  }

  /// How long the command may take: it may have to ask the provider over the network.
  static let commandTimeout: Duration = .seconds(30)

  /// A fresh token: the file's content, or the first line the command prints.
  public func read() throws(TokenError) -> Secret {
    let text: String
    switch origin {
    case .file(let path):
      do {
        text = try String(contentsOfFile: path, encoding: .utf8)
      } catch {
        throw TokenError(source: description, problem: "it cannot be read (\(error.localizedDescription))")
      }
    case .command(let command):
      text = try run(command)
    }
    let token = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    guard !token.isEmpty else { throw TokenError(source: description, problem: "it gave no token") }
    return Secret(token)
  }

  /// Runs `command` with /bin/sh; its standard output, or an error with the first line it wrote to standard error.
  private func run(_ command: String) throws(TokenError) -> String {
    var output: [Int32] = [0, 0]
    var errors: [Int32] = [0, 0]
    guard pipe(&output) == 0, pipe(&errors) == 0 else {
      throw TokenError(source: description, problem: "no pipe could be made")
    }
    // Not inherited by other children (a token command started at the same time
    // for the other client would hold our write end open, and we would wait for
    // it to exit); the dup2 onto 1 and 2 below makes fresh, inheritable copies.
    for descriptor in output + errors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, output[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errors[1], 2)
    posix_spawn_file_actions_addclose(&actions, output[0])
    posix_spawn_file_actions_addclose(&actions, errors[0])
    let words: [String] = ["/bin/sh", "-c", command]
    let argv = words.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ)
    close(output[1])
    close(errors[1])
    defer {
      close(output[0])
      close(errors[0])
    }
    guard spawned == 0 else {
      throw TokenError(source: description, problem: "it cannot be started (\(String(cString: strerror(spawned))))")
    }
    let (stdout, stderr, finished) = Self.collect(output[0], errors[0], until: .now + Self.commandTimeout)
    if !finished { kill(pid, SIGKILL) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) == -1, errno == EINTR {}
    let complaint = String(decoding: stderr, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)
    guard finished else {
      throw TokenError(source: description, problem: "it did not finish within \(Self.commandTimeout)")
    }
    guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
      let code = status & 0x7f == 0 ? "exited with \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
      throw TokenError(source: description, problem: "it \(code)" + (complaint.map { ": \($0)" } ?? ""))
    }
    return String(decoding: stdout, as: UTF8.self)
  }

  /// Reads both pipes to their end (or the deadline); whether they ended.
  private static func collect(
    _ out: Int32, _ err: Int32, until deadline: ContinuousClock.Instant
  )
    -> ([UInt8], [UInt8], Bool)
  {
    var collected: [[UInt8]] = [[], []]
    var open = [true, true]
    var buffer = [UInt8](repeating: 0, count: 4096)
    while open.contains(true) {
      let remaining = deadline - .now
      guard remaining > .zero else { return (collected[0], collected[1], false) }
      var fds = [out, err].enumerated().filter { open[$0.offset] }.map {
        pollfd(fd: $0.element, events: Int16(POLLIN), revents: 0)
      }
      let milliseconds = Int32(min(remaining.components.seconds * 1000 + 1, 1000))
      guard poll(&fds, nfds_t(fds.count), milliseconds) >= 0 || errno == EINTR else { break }
      for descriptor in fds where descriptor.revents != 0 {
        let index = descriptor.fd == out ? 0 : 1
        let count = Glibc.read(descriptor.fd, &buffer, buffer.count)
        if count > 0 {
          collected[index] += buffer[0..<count]
        } else {
          open[index] = false
        }
      }
    }
    return (collected[0], collected[1], true)
  }
}

/// An OAuth2 token could not be had; says which source and why, never the token.
public struct TokenError: Error, Sendable, CustomStringConvertible {
  public let source: String
  public let problem: String

  public var description: String { "\(source) failed: \(problem)" }
}
