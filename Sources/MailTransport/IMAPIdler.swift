import CCurl
import Foundation
import Logging

/// Waits for new mail with IMAP IDLE (RFC 2177) on a connection of its own,
/// so the bot hears of a new mail within a second instead of at the next poll.
///
/// libcurl has no IDLE command: a CURLOPT_CONNECT_ONLY transfer does the
/// greeting, STARTTLS and login, then this client speaks on the connection
/// itself (`curl_easy_send`/`curl_easy_recv`): EXAMINE the mailbox (read-only),
/// IDLE, and DONE when a change is reported or before the 29 minutes after
/// which servers may drop an idle client. Like the other clients it runs on
/// its own thread, where waiting on the socket blocks nobody else.
public actor IMAPIdler {
  public nonisolated let endpoint: ServerEndpoint
  private let account: Account
  private let options: TransportOptions
  private let logger: Logger
  private let mailbox: String
  private let executor: ThreadExecutor
  private var handle: CurlHandle?
  /// What the current connection logged in with (password or token), to keep it out of errors.
  private var credential: Secret?
  /// The server's lines while connecting, for its own words when it says no.
  private let serverLines = ServerLines()
  private var tag = 0
  /// Lines received but not yet looked at.
  private var pending: [UInt8] = []
  private var idlingSince: ContinuousClock.Instant?
  /// Renew IDLE before servers' 30-minute inactivity limit (RFC 2177).
  public static let renewal: Duration = .seconds(29 * 60)

  public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

  public init(
    endpoint: ServerEndpoint, account: Account, mailbox: String, options: TransportOptions = .init(), logger: Logger
  ) {
    self.endpoint = endpoint
    self.account = account
    self.mailbox = mailbox
    self.options = options
    self.logger = logger
    self.executor = ThreadExecutor(name: "idle \(endpoint.host)")
  }

  /// Waits up to `timeout` for the server to report a change in the mailbox
  /// (a new or removed mail); true when it did. Errors drop the connection: the
  /// next call connects again. Cancelling the calling task ends the wait within half a second.
  public func waitForChange(timeout: Duration) throws(IMAPError) -> Bool {
    let deadline = ContinuousClock.now + timeout
    let handle = try idling()
    while ContinuousClock.now < deadline, !Task.isCancelled {
      if let since = idlingSince, ContinuousClock.now - since > Self.renewal {
        try stopIdling(handle)
        try startIdling(handle)
      }
      if try takeLines(handle).contains(where: Self.reportsChange) {
        try stopIdling(handle)  // the bot reads the mailbox on its other connection; IDLE again on the next call
        return true
      }
      let remaining = deadline - ContinuousClock.now
      let slice = min(remaining, .milliseconds(500))
      let milliseconds = Int32(
        max(1, slice.components.seconds * 1000 + slice.components.attoseconds / 1_000_000_000_000_000))
      _ = handle.waitForSocket(milliseconds: milliseconds)
    }
    return false
  }

  /// Ends IDLE and logs out (at shutdown).
  public func close() {
    guard let handle else { return }
    if idlingSince != nil { _ = handle.send(Array("DONE\r\n".utf8)) }
    _ = handle.send(Array("\(nextTag()) LOGOUT\r\n".utf8))
    self.handle = nil
  }

  static func reportsChange(_ line: String) -> Bool {
    let words = line.uppercased().split(separator: " ")
    return words.count >= 3 && words[0] == "*"
      && (words[2] == "EXISTS" || words[2] == "EXPUNGE" || words[2] == "RECENT")
  }

  // MARK: - The conversation

  /// A connection in IDLE, connecting and examining the mailbox first when needed.
  private func idling() throws(IMAPError) -> CurlHandle {
    if let handle {
      if idlingSince == nil { try startIdling(handle) }
      return handle
    }
    do {
      credential = try account.credential()
    } catch {
      throw failure(.connection(.tokenUnavailable), "connecting for IDLE", detail: error.description)
    }
    let handle = CurlHandle()
    handle.configure(endpoint: endpoint, account: account, credential: credential, options: options)
    handle.set(CURLOPT_URL, endpoint.curlURL(encodedPath: ""))
    handle.set(CURLOPT_CONNECT_ONLY, 1)
    serverLines.lines.removeAll()
    handle.collectServerLines(into: serverLines)
    if case .failure(let failure) = handle.perform(sink: ByteSink(limit: 1 << 16)) {
      throw classify(failure, operation: "connecting for IDLE")
    }
    self.handle = handle
    pending = []
    do {
      let examine = nextTag()
      try send(handle, "\(examine) EXAMINE \(Self.quoted(MailboxName.wire(mailbox)))")
      // EXAMINE is refused for a mailbox that does not exist (or cannot be opened).
      try awaitAnswer(handle, tag: examine, operation: "opening \(mailbox) for IDLE", refusal: .mailboxMissing)
      try startIdling(handle)
    } catch {
      self.handle = nil
      throw error
    }
    return handle
  }

  private func startIdling(_ handle: CurlHandle) throws(IMAPError) {
    let idle = nextTag()
    try send(handle, "\(idle) IDLE")
    let deadline = ContinuousClock.now + .seconds(options.stallTimeout)
    while ContinuousClock.now < deadline {
      for line in try takeLines(handle) {
        if line.hasPrefix("+") {
          idlingSince = .now
          currentIdleTag = idle
          return
        }
        if line.hasPrefix("\(idle) ") {
          throw failure(.commandRefused, "IDLE", detail: line)  // NO/BAD: the server has no IDLE
        }
      }
      _ = handle.waitForSocket(milliseconds: 500)
    }
    throw failure(.connection(.timedOut), "starting IDLE", detail: "no continuation")
  }

  private var currentIdleTag: String?

  private func stopIdling(_ handle: CurlHandle) throws(IMAPError) {
    guard idlingSince != nil, let tag = currentIdleTag else { return }
    try send(handle, "DONE")
    idlingSince = nil
    try awaitAnswer(handle, tag: tag, operation: "ending IDLE")
  }

  /// Reads until the tagged answer to `tag`; NO or BAD is `refusal`.
  private func awaitAnswer(
    _ handle: CurlHandle, tag: String, operation: String, refusal: IMAPError.Reason = .commandRefused
  ) throws(IMAPError) {
    let deadline = ContinuousClock.now + .seconds(options.stallTimeout)
    while ContinuousClock.now < deadline {
      for line in try takeLines(handle) where line.hasPrefix("\(tag) ") {
        if line.dropFirst(tag.count + 1).uppercased().hasPrefix("OK") { return }
        throw failure(refusal, operation, detail: line)
      }
      _ = handle.waitForSocket(milliseconds: 500)
    }
    throw failure(.connection(.timedOut), operation, detail: "no answer")
  }

  private func send(_ handle: CurlHandle, _ line: String) throws(IMAPError) {
    let code = handle.send(Array((line + "\r\n").utf8))
    guard code == CURLE_OK else {
      self.handle = nil
      idlingSince = nil
      throw failure(
        .connection(.connectionLost), "sending to the server", detail: String(cString: curl_easy_strerror(code)))
    }
  }

  /// The complete lines that arrived, without their line ends.
  private func takeLines(_ handle: CurlHandle) throws(IMAPError) -> [String] {
    switch handle.receiveAvailable() {
    case .success(let bytes): pending += bytes
    case .failure(let failure):
      self.handle = nil
      idlingSince = nil
      throw self.failure(.connection(.connectionLost), "waiting for new mail", detail: failure.text)
    }
    var lines: [String] = []
    while let end = pending.firstIndex(of: 0x0A) {
      var line = pending[..<end]
      if line.last == 0x0D { line = line.dropLast() }
      lines.append(String(decoding: line, as: UTF8.self))
      pending.removeSubrange(...end)
    }
    if pending.count > 1 << 20 { pending.removeAll() }  // a hostile never-ending line
    return lines
  }

  private func nextTag() -> String {
    tag += 1
    return "I\(tag)"
  }

  private func classify(_ failure: CurlFailure, operation: String) -> IMAPError {
    let (reason, detail) = IMAPError.classify(failure, serverLines: serverLines.lines, password: credential)
    return self.failure(reason, operation, detail: detail)
  }

  private func failure(_ reason: IMAPError.Reason, _ operation: String, detail: String) -> IMAPError {
    IMAPError(reason: reason, server: endpoint.description, account: account.user, operation: operation, detail: detail)
  }

  private static func quoted(_ text: String) -> String {
    "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }
}
