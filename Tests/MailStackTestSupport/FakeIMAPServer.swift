import Foundation
import Synchronization

/// A deliberately broken IMAP server on loopback, for what a real Dovecot
/// never does: answers that trickle, lie about literal lengths, carry UIDs
/// nobody asked for, a UIDNEXT near 4 billion, a UIDVALIDITY that changes,
/// garbage. It speaks just enough IMAP4rev1 for libcurl (greeting,
/// CAPABILITY, LOGIN, SELECT/EXAMINE, STATUS, UID SEARCH, UID FETCH, UID
/// STORE, NOOP, LOGOUT), one connection at a time, on a thread of its own.
/// Tests of the real protocol use the mail stack; this is for the faults.
public final class FakeIMAPServer: Sendable {
  /// How the server misbehaves.
  public enum Mode: Sendable, Equatable {
    /// A well-behaved server with `messages` mails of UIDs 1…n.
    case normal
    /// Every answer is sent at this many bytes per second.
    case trickle(bytesPerSecond: Int)
    /// FETCH answers also carry a message with this UID, which was not asked for.
    case unrequestedUID(UInt32)
    /// STATUS says UIDNEXT is this; SEARCH knows no ESEARCH.
    case hugeUIDNext(UInt32)
    /// Every STATUS reports a new UIDVALIDITY.
    case changingUIDValidity
    /// Answers every command after the login with bytes that are not IMAP.
    case garbage
    /// A body literal announced this many bytes longer than it is.
    case literalTooLong(Int)
  }

  public let port: Int
  public let mode: Mode
  /// The UIDs in the mailbox.
  public let uids: [UInt32]
  private let listener: Int32
  private struct State {
    var stopped = false
    var commands: [String] = []
    var validity: UInt32 = 1000
  }
  private let state = Mutex(State())

  /// Starts listening on a free loopback port.
  public init(mode: Mode, uids: [UInt32] = [1, 2, 3]) throws {
    self.mode = mode
    self.uids = uids
    let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard socket >= 0 else { throw FakeServerError(message: "socket: \(errno)") }
    var reuse: Int32 = 1
    setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, listen(socket, 4) == 0 else {
      close(socket)
      throw FakeServerError(message: "bind/listen: \(errno)")
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
    }
    port = Int(UInt16(bigEndian: address.sin_port))
    listener = socket
    let thread = Thread { [self] in self.serve() }
    thread.start()
  }

  /// `imap://127.0.0.1:PORT/INBOX`.
  public var url: String { "imap://127.0.0.1:\(port)/INBOX" }

  /// The commands received so far (without their tags), for assertions on the work done.
  public var commands: [String] { state.withLock { $0.commands } }

  public func stop() {
    state.withLock { $0.stopped = true }
    shutdown(listener, Int32(SHUT_RDWR))
    close(listener)
  }

  private var stopped: Bool { state.withLock { $0.stopped } }

  private func serve() {
    while !stopped {
      let connection = accept(listener, nil, nil)
      guard connection >= 0 else { return }
      handle(connection)
      close(connection)
    }
  }

  private func send(_ connection: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    if case .trickle(let rate) = mode {
      // A byte at a time, `rate` a second: until the client gives up (or the test stops us).
      for byte in bytes {
        guard !stopped else { return }
        var one = byte
        guard Glibc.send(connection, &one, 1, Int32(MSG_NOSIGNAL)) == 1 else { return }
        usleep(useconds_t(1_000_000 / max(rate, 1)))
      }
      return
    }
    var offset = 0
    while offset < bytes.count {
      let sent = bytes[offset...].withUnsafeBytes {
        Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
      }
      guard sent > 0 else { return }
      offset += sent
    }
  }

  /// Reads one CRLF-terminated line, or nil when the connection closed.
  private func readLine(_ connection: Int32, buffer: inout [UInt8]) -> String? {
    while true {
      if let end = buffer.firstIndex(of: 0x0A) {
        let line = String(decoding: buffer[..<end], as: UTF8.self).trimmingCharacters(in: .newlines)
        buffer.removeSubrange(...end)
        return line
      }
      var chunk = [UInt8](repeating: 0, count: 4096)
      let count = recv(connection, &chunk, chunk.count, 0)
      guard count > 0 else { return nil }
      buffer += chunk[..<count]
    }
  }

  private func handle(_ connection: Int32) {
    var buffer: [UInt8] = []
    send(connection, "* OK [CAPABILITY IMAP4rev1 UIDPLUS] fake server ready\r\n")
    var loggedIn = false
    while !stopped, let line = readLine(connection, buffer: &buffer) {
      let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
      guard parts.count == 2 else { continue }
      let tag = parts[0]
      let command = parts[1]
      let upper = command.uppercased()
      state.withLock { $0.commands.append(command) }
      if upper.hasPrefix("CAPABILITY") {
        send(connection, "* CAPABILITY IMAP4rev1 UIDPLUS\r\n\(tag) OK done\r\n")
      } else if upper.hasPrefix("LOGIN") {
        loggedIn = true
        send(connection, "\(tag) OK logged in\r\n")
      } else if upper.hasPrefix("LOGOUT") {
        send(connection, "* BYE\r\n\(tag) OK bye\r\n")
        return
      } else if !loggedIn {
        send(connection, "\(tag) BAD log in first\r\n")
      } else if mode == .garbage {
        send(connection, "\u{1}\u{2}ZZZ \(String(repeating: "\u{7F}", count: 40))\r\n\(tag) WHAT?\r\n")
      } else if upper.hasPrefix("SELECT") || upper.hasPrefix("EXAMINE") {
        let validity = state.withLock { $0.validity }
        send(
          connection,
          "* \(uids.count) EXISTS\r\n* OK [UIDVALIDITY \(validity)] v\r\n* OK [UIDNEXT \(uidNext)] n\r\n"
            + "\(tag) OK [READ-WRITE] selected\r\n")
      } else if upper.hasPrefix("STATUS") {
        let validity = state.withLock { state in
          if mode == .changingUIDValidity { state.validity += 1 }
          return state.validity
        }
        let name = command.split(separator: " ").dropFirst().first.map(String.init) ?? "INBOX"
        send(
          connection,
          "* STATUS \(name) (MESSAGES \(uids.count) UNSEEN 0 UIDNEXT \(uidNext) UIDVALIDITY \(validity))\r\n"
            + "\(tag) OK status\r\n")
      } else if upper.hasPrefix("UID SEARCH") {
        if upper.contains("RETURN") {
          send(connection, "\(tag) BAD no ESEARCH here\r\n")
        } else {
          let range = searchRange(command)
          let found = uids.filter { range.contains($0) }
          send(connection, "* SEARCH\(found.map { " \($0)" }.joined())\r\n\(tag) OK search\r\n")
        }
      } else if upper.hasPrefix("UID FETCH") {
        send(connection, fetchAnswer(command, tag: tag))
      } else if upper.hasPrefix("UID STORE") || upper.hasPrefix("NOOP") {
        send(connection, "\(tag) OK done\r\n")
      } else {
        send(connection, "\(tag) BAD unknown command\r\n")
      }
    }
  }

  private var uidNext: UInt32 {
    if case .hugeUIDNext(let next) = mode { return next }
    return (uids.max() ?? 0) + 1
  }

  /// `UID SEARCH UID a:b` or `a:*`.
  private func searchRange(_ command: String) -> ClosedRange<UInt32> {
    guard let set = command.split(separator: " ").last else { return 0...0 }
    let ends = set.split(separator: ":")
    let low = UInt32(ends.first ?? "") ?? 0
    let high = ends.count > 1 ? (ends[1] == "*" ? UInt32.max : UInt32(ends[1]) ?? low) : low
    return min(low, high)...max(low, high)
  }

  private func fetchAnswer(_ command: String, tag: String) -> String {
    let words = command.split(separator: " ")
    let set = words.count > 2 ? String(words[2]) : ""
    var asked: [UInt32] = []
    for item in set.split(separator: ",") {
      let ends = item.split(separator: ":").compactMap { UInt32($0) }
      if ends.count == 2 {
        asked += uids.filter { $0 >= ends[0] && $0 <= ends[1] }
      } else if let one = ends.first {
        asked.append(one)
      }
    }
    if command.uppercased().contains("BODY[]") {
      let body = "From: a@b.pl\r\nSubject: fake\r\nMessage-ID: <fake-\(asked.first ?? 0)@b.pl>\r\n\r\nhello\r\n"
      var announced = body.utf8.count
      if case .literalTooLong(let extra) = mode { announced += extra }
      return "* 1 FETCH (UID \(asked.first ?? 0) BODY[] {\(announced)}\r\n\(body))\r\n\(tag) OK fetched\r\n"
    }
    if case .unrequestedUID(let extra) = mode { asked.append(extra) }
    var text = ""
    for (position, uid) in asked.enumerated() {
      text +=
        "* \(position + 1) FETCH (UID \(uid) FLAGS () RFC822.SIZE 60 INTERNALDATE \"03-Dec-2026 10:00:00 +0100\")\r\n"
    }
    return text + "\(tag) OK fetched\r\n"
  }
}

public struct FakeServerError: Error, CustomStringConvertible {
  public var message: String
  public var description: String { "fake IMAP server: \(message)" }
}
