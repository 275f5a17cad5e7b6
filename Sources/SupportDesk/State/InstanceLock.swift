import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Only one bot at a time works with a state database: the one holding an
/// exclusive lock on `<state>.lock` beside it. The kernel drops the lock when
/// its process ends, however it ends (a crash, `kill -9`), so a standby that
/// waits for it takes over without anyone cleaning up. The file holds the
/// holder's process id and host, for the message the others show.
///
/// (A lock on a file works for the processes of one machine and a local
/// disk; the PostgreSQL state takes it across machines.)
public final class InstanceLock: Sendable {
  /// The lock file.
  public let path: String
  private let descriptor: Int32

  private init(path: String, descriptor: Int32) {
    self.path = path
    self.descriptor = descriptor
  }

  deinit { close(descriptor) }

  /// The lock file of the state database at `statePath`.
  public static func path(beside statePath: String) -> String { statePath + ".lock" }

  /// What taking the lock found.
  public enum Outcome: Sendable {
    /// This process holds it now, until the lock is released.
    case acquired(InstanceLock)
    /// Another process holds it; what its lock file says about it ("pid 4711 on host").
    case heldBy(String)
  }

  /// Takes the lock of the state database at `statePath` if no one holds it; never waits.
  public static func acquire(beside statePath: String) throws(StateError) -> Outcome {
    let path = path(beside: statePath)
    let directory = (path as NSString).deletingLastPathComponent
    if !directory.isEmpty {
      try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw .cannotOpen(path: path, cause: "the lock file cannot be opened: \(String(cString: strerror(errno)))")
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      let failure = errno
      let holder = Self.holder(descriptor)
      close(descriptor)
      guard failure == EWOULDBLOCK else {
        throw .cannotOpen(path: path, cause: "the lock file cannot be locked: \(String(cString: strerror(failure)))")
      }
      return .heldBy(holder.isEmpty ? "another process" : holder)
    }
    let identity = "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)\n"
    _ = ftruncate(descriptor, 0)
    _ = identity.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    return .acquired(InstanceLock(path: path, descriptor: descriptor))
  }

  /// The first line of the lock file (who holds it), at most 200 bytes, control characters dropped.
  private static func holder(_ descriptor: Int32) -> String {
    var buffer = [UInt8](repeating: 0, count: 200)
    let count = pread(descriptor, &buffer, buffer.count, 0)
    guard count > 0 else { return "" }
    let text = String(decoding: buffer[..<count], as: UTF8.self)
    let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
    return String(line.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.map(Character.init))
  }
}
