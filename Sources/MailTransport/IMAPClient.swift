import CCurl
import Foundation
import Logging

/// An IMAP client over libcurl, for one account on one server.
///
/// Every method runs on the client's own thread (see `ThreadExecutor`), so
/// libcurl's blocking calls never occupy Swift's cooperative pool; callers just
/// `await`. The single easy handle keeps its connection between calls: one
/// login serves a whole poll.
///
/// What libcurl 7.88.1 forces on us (DESIGN.md section 6):
/// - message bodies come only through the URL form
///   `imap://host/MAILBOX;UIDVALIDITY=V/;UID=N`; a custom `UID FETCH … BODY[]`
///   would desynchronise on a line such as `A004 OK` inside the mail;
/// - that fetch sets `\Seen`, so `fetchMessage` clears it again when it was not set;
/// - SELECT happens implicitly through the mailbox in the URL, never as a custom command.
public actor IMAPClient {
  public nonisolated let endpoint: ServerEndpoint
  private let account: Account
  private let options: TransportOptions
  private let logger: Logger
  private let executor: ThreadExecutor
  private var handle: CurlHandle?
  /// What the current connection logged in with (password or token), to keep it out of errors.
  private var credential: Secret?
  /// The server's lines of the current transfer, for its own words when it says no.
  private let serverLines = ServerLines()
  private var knownCapabilities: Set<String>?
  /// Use MOVE when the server offers it; false forces the COPY/EXPUNGE path (for tests).
  private let useMove: Bool

  public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

  public init(
    endpoint: ServerEndpoint, account: Account, options: TransportOptions = .init(), logger: Logger,
    useMove: Bool = true
  ) {
    self.endpoint = endpoint
    self.account = account
    self.options = options
    self.logger = logger
    self.useMove = useMove
    self.executor = ThreadExecutor(name: "imap \(endpoint.host)")
  }

  /// The mailbox named in the endpoint's URL, or INBOX.
  public nonisolated var defaultMailbox: String { endpoint.path.isEmpty ? "INBOX" : endpoint.path }

  // MARK: - Commands

  /// STATUS: the cheap look at a mailbox (message count, UIDNEXT, UIDVALIDITY) without selecting it.
  ///
  /// A NOOP goes first: on a reused connection the mailbox may still be
  /// selected, and Dovecot answers STATUS (and SEARCH) on the selected mailbox
  /// from the session's view, which only takes in new mail at a NOOP. Without
  /// it a long-running bot would never see mail that arrived after its first pass.
  public func status(of mailbox: String) throws(IMAPError) -> MailboxStatus {
    let text: String
    _ = try command("NOOP", in: nil, operation: "asking for news on \(mailbox)")
    do {
      text = try command(
        "STATUS \(try quoted(MailboxName.wire(mailbox))) (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)", in: nil,
        operation: "asking the status of \(mailbox)")
    } catch {
      // STATUS on a mailbox that does not exist is answered with NO.
      guard error.reason == .commandRefused else { throw error }
      throw self.error(.mailboxMissing, operation: error.operation, detail: error.detail)
    }
    guard let status = IMAPResponses.status(text), status.uidValidity != nil else {
      throw error(.connection(.protocolError), operation: "asking the status of \(mailbox)", detail: "no STATUS answer")
    }
    return status
  }

  /// How many UIDs one SEARCH covers: its answer stays a few KB, well under
  /// the line and response limits libcurl enforces.
  static let searchWindow: UInt32 = 1000
  /// How many messages one metadata FETCH covers. Debian's libcurl 7.88.1
  /// refuses an answer once it has counted 300 KB of response lines ("Too
  /// large response headers"), and for IMAP it overcounts, more the more lines
  /// arrive together: 200 lines of about 100 bytes (21 KB) already trip it,
  /// depending on how the data happens to arrive. 50 lines stay far below.
  /// MOVE (one EXPUNGE line per message) goes in the same windows.
  static let fetchWindow = 50

  /// The UIDs above `uid`, ascending, searched in windows of UIDs up to
  /// UIDNEXT. The server may answer `n:*` with the highest existing UID even
  /// when it is below `n`, and a broken one with UIDs nobody asked for: only
  /// those inside the window asked for are kept. After a window that comes
  /// back empty, the next UID that exists is asked for (ESEARCH `RETURN
  /// (MIN)`, RFC 4731) and the search goes on from there, so a huge UIDNEXT
  /// over a sparse mailbox costs a few searches, not millions: at most two
  /// per 1,000 UIDs the server really has, plus one. A server without ESEARCH
  /// is asked for everything above the empty window at once.
  public func uids(in mailbox: String, uidValidity: UInt32, above uid: UInt32) throws(IMAPError) -> [UInt32] {
    let operation = "searching \(mailbox)"
    let status = try status(of: mailbox)
    guard status.uidValidity == uidValidity else {
      throw error(.uidValidityChanged, operation: operation, detail: "UIDVALIDITY is now \(status.uidValidity ?? 0)")
    }
    var found: Set<UInt32> = []
    var start = uid &+ 1
    let end = status.uidNext ?? UInt32.max
    // Nothing above `uid` (an empty mailbox, say): `UID SEARCH UID 1:0` would be refused.
    guard start < end else { return [] }
    while true {
      let windowEnd = end == UInt32.max ? UInt32.max : min(start &+ Self.searchWindow &- 1, end &- 1)
      let rest = windowEnd == UInt32.max || windowEnd &+ 1 >= end
      let last = rest ? "*" : "\(windowEnd)"
      let text = try command("UID SEARCH UID \(start):\(last)", in: (mailbox, uidValidity), operation: operation)
      let inWindow = IMAPResponses.searchResults(text).filter { $0 >= start && (rest ? $0 < end : $0 <= windowEnd) }
      found.formUnion(inWindow)
      if rest { break }
      start = windowEnd &+ 1
      if inWindow.isEmpty {
        // Nothing here: where is the next message?
        guard let next = try nextUID(in: mailbox, uidValidity: uidValidity, from: start, operation: operation) else {
          // No ESEARCH: the rest in one search (it returns only what exists).
          let text = try command("UID SEARCH UID \(start):*", in: (mailbox, uidValidity), operation: operation)
          found.formUnion(IMAPResponses.searchResults(text).filter { $0 >= start && $0 < end })
          break
        }
        guard next >= start, next < end else { break }  // none above (or an answer outside what was asked)
        start = next
      }
    }
    return found.sorted()
  }

  /// The lowest UID at or above `start`: `UInt32.max` when there is none, nil
  /// when the server has no ESEARCH.
  private func nextUID(
    in mailbox: String, uidValidity: UInt32, from start: UInt32, operation: String
  ) throws(IMAPError) -> UInt32? {
    let text: String
    do {
      text = try command("UID SEARCH RETURN (MIN) UID \(start):*", in: (mailbox, uidValidity), operation: operation)
    } catch {
      guard error.reason == .commandRefused else { throw error }
      return nil
    }
    // An ESEARCH answer without MIN: nothing matched.
    return IMAPResponses.esearchMinimum(text) ?? (text.uppercased().contains("ESEARCH") ? UInt32.max : nil)
  }

  /// UIDs of the messages whose header `name` contains `value`.
  public func uids(
    in mailbox: String, uidValidity: UInt32, header name: String, contains value: String
  )
    throws(IMAPError) -> [UInt32]
  {
    let text = try command(
      "UID SEARCH HEADER \(try quoted(name)) \(try quoted(value))", in: (mailbox, uidValidity),
      operation: "searching \(mailbox)")
    return Array(Set(IMAPResponses.searchResults(text))).sorted()
  }

  /// Flags, size and arrival time of the given messages.
  public func metadata(in mailbox: String, uidValidity: UInt32, uids: [UInt32]) throws(IMAPError) -> [MessageMetadata] {
    let sorted = Array(Set(uids)).sorted()
    var results: [MessageMetadata] = []
    for start in stride(from: 0, to: sorted.count, by: Self.fetchWindow) {
      let batch = sorted[start..<min(start + Self.fetchWindow, sorted.count)]
      let text = try command(
        "UID FETCH \(Self.sequenceSet(Array(batch))) (UID FLAGS RFC822.SIZE INTERNALDATE)", in: (mailbox, uidValidity),
        operation: "reading message flags in \(mailbox)")
      // Only what was asked for: a UID the server adds on its own must not move
      // the caller's cursor past mail it has not seen.
      let asked = Set(batch)
      results += IMAPResponses.fetchResults(text).filter { asked.contains($0.uid) }
    }
    return results.sorted { $0.uid < $1.uid }
  }

  /// The complete raw message, byte for byte. The fetch sets `\Seen`; if the
  /// message was unread before, it is marked unread again, because staff
  /// rely on the unread marks.
  public func fetchMessage(in mailbox: String, uidValidity: UInt32, uid: UInt32) throws(IMAPError) -> [UInt8] {
    try fetchMessage(in: mailbox, uidValidity: uidValidity, uid: uid, limit: nil).bytes
  }

  /// A message, or only its first `limit` bytes when it is larger (a 40 MB
  /// mail with attachments: the headers and the text are at the start, which
  /// is what classifying needs). `\Seen` is left as it was.
  ///
  /// `known` is the message's metadata when the caller has just read it (the
  /// engine reads it in batches); it saves one round trip per message, which
  /// on a real server dominates the fetch. Without it the flags and size are
  /// looked up first.
  public func fetchMessage(
    in mailbox: String, uidValidity: UInt32, uid: UInt32, limit: Int?, known: MessageMetadata? = nil
  ) throws(IMAPError)
    -> FetchedMessage
  {
    let operation = "fetching message UID \(uid) from \(mailbox)"
    let flags: MessageMetadata
    if let known, known.uid == uid {
      flags = known
    } else {
      let before = try metadata(in: mailbox, uidValidity: uidValidity, uids: [uid])
      guard let found = before.first(where: { $0.uid == uid }) else {
        throw error(.messageMissing, operation: operation, detail: "")
      }
      flags = found
    }
    var path = "\(ServerEndpoint.encodeSegment(MailboxName.wire(mailbox)));UIDVALIDITY=\(uidValidity)/;UID=\(uid)"
    let partial = limit.map { limit in (flags.size ?? 0) > limit } ?? false
    if partial, let limit { path += "/;PARTIAL=0.\(limit)" }
    let bytes = try transfer(path: path, customRequest: nil, operation: operation)
    if !flags.isSeen {
      try store(in: mailbox, uidValidity: uidValidity, uids: [uid], flags: ["\\Seen"], add: false)
    }
    return FetchedMessage(bytes: bytes, size: flags.size ?? bytes.count, isPartial: partial)
  }

  /// What the server says it can do (`IDLE`, `MOVE`, `UIDPLUS`…), upper-cased; asked once per connection.
  public func capabilities() throws(IMAPError) -> Set<String> {
    if let known = knownCapabilities { return known }
    let text = try command("CAPABILITY", in: nil, operation: "asking the server's capabilities")
    var found: Set<String> = []
    for values in IMAPResponses.untaggedLines(text) where values.first?.text?.uppercased() == "CAPABILITY" {
      for value in values.dropFirst() { if let word = value.text { found.insert(word.uppercased()) } }
    }
    knownCapabilities = found
    return found
  }

  /// Stores a message in a mailbox (our reply in Sent, for staff and for
  /// finding it again after a crash). libcurl 7.88.1 always sends the flag
  /// `\Seen` with APPEND, so the copy arrives read. Returns the new message's
  /// UIDVALIDITY and UID when the server tells them (UIDPLUS, RFC 4315).
  @discardableResult
  public func append(_ message: [UInt8], to mailbox: String) throws(IMAPError) -> (uidValidity: UInt32, uid: UInt32)? {
    let handle = try connection()
    handle.set(CURLOPT_URL, endpoint.curlURL(encodedPath: ServerEndpoint.encodeSegment(MailboxName.wire(mailbox))))
    handle.set(CURLOPT_CUSTOMREQUEST, nil)
    serverLines.lines.removeAll()
    let result = handle.perform(sink: ByteSink(limit: 1 << 16), source: ByteSource(message))
    handle.set(CURLOPT_UPLOAD, false)
    if case .failure(let failure) = result {
      let error = classify(failure, sink: ByteSink(limit: 0), operation: "appending a message to \(mailbox)")
      if !error.keepsConnection { self.handle = nil }
      throw error
    }
    return serverLines.lines.lazy.compactMap(IMAPResponses.appendUID).last
  }

  /// Adds or removes flags or keywords (`\Seen`, `$SupportbotReplied`).
  public func store(
    in mailbox: String, uidValidity: UInt32, uids: [UInt32], flags: [String], add: Bool
  )
    throws(IMAPError)
  {
    guard !uids.isEmpty, !flags.isEmpty else { return }
    for flag in flags where !Self.isValidFlag(flag) {
      throw error(.invalidRequest, operation: "storing flags", detail: "'\(flag)' is not a valid flag name")
    }
    _ = try command(
      "UID STORE \(Self.sequenceSet(uids)) \(add ? "+" : "-")FLAGS.SILENT (\(flags.joined(separator: " ")))",
      in: (mailbox, uidValidity), operation: "storing flags in \(mailbox)")
  }

  /// Creates a mailbox; succeeds when it exists already.
  public func createMailbox(_ name: String) throws(IMAPError) {
    do {
      _ = try command("CREATE \(try quoted(MailboxName.wire(name)))", in: nil, operation: "creating mailbox \(name)")
    } catch let failure where failure.reason == .commandRefused {
      // Servers answer NO [ALREADYEXISTS] (Dovecot) or a plain NO: check it is there now.
      _ = try status(of: name)
    }
  }

  /// Moves messages to another mailbox: RFC 6851 MOVE when the server has
  /// it, else COPY, `\Deleted` and UID EXPUNGE of exactly those messages
  /// (UIDPLUS); without either nothing is moved, rather than expunging
  /// messages someone else marked deleted.
  public func move(from mailbox: String, uidValidity: UInt32, uids: [UInt32], to target: String) throws(IMAPError) {
    let operation = "moving messages from \(mailbox) to \(target)"
    let capabilities = try capabilities()
    let useMove = capabilities.contains("MOVE") && self.useMove
    guard useMove || capabilities.contains("UIDPLUS") else {
      throw error(.commandRefused, operation: operation, detail: "the server supports neither MOVE nor UIDPLUS")
    }
    // Each moved message is answered with an EXPUNGE line: in windows, like the metadata.
    let sorted = uids.sorted()
    for start in stride(from: 0, to: sorted.count, by: Self.fetchWindow) {
      let batch = Array(sorted[start..<min(start + Self.fetchWindow, sorted.count)])
      let set = Self.sequenceSet(batch)
      if useMove {
        _ = try command(
          "UID MOVE \(set) \(try quoted(MailboxName.wire(target)))", in: (mailbox, uidValidity), operation: operation)
        continue
      }
      _ = try command(
        "UID COPY \(set) \(try quoted(MailboxName.wire(target)))", in: (mailbox, uidValidity), operation: operation)
      try store(in: mailbox, uidValidity: uidValidity, uids: batch, flags: ["\\Deleted"], add: true)
      _ = try command("UID EXPUNGE \(set)", in: (mailbox, uidValidity), operation: operation)
    }
  }

  // MARK: - Plumbing

  /// Runs a custom command whose answer has no literals, optionally after
  /// selecting `mailbox` (checked against its UIDVALIDITY) through the URL.
  private func command(
    _ request: String, in mailbox: (String, UInt32)?, operation: String
  ) throws(IMAPError)
    -> String
  {
    let path = mailbox.map { "\(ServerEndpoint.encodeSegment(MailboxName.wire($0.0)));UIDVALIDITY=\($0.1)" } ?? ""
    let bytes = try transfer(path: path, customRequest: request, operation: operation)
    return String(decoding: bytes, as: UTF8.self)
  }

  private func transfer(path: String, customRequest: String?, operation: String) throws(IMAPError) -> [UInt8] {
    do {
      return try attempt(path: path, customRequest: customRequest, operation: operation)
    } catch {
      // An OAuth2 token may have expired since it was read: log in again with a fresh one, once.
      guard error.reason == .connection(.authenticationFailed), account.token != nil else { throw error }
      logger.notice("the server refused the OAuth2 token; reading a fresh one from \(account.token?.description ?? "")")
      return try attempt(path: path, customRequest: customRequest, operation: operation)
    }
  }

  private func attempt(path: String, customRequest: String?, operation: String) throws(IMAPError) -> [UInt8] {
    let handle = try connection()
    handle.set(CURLOPT_URL, endpoint.curlURL(encodedPath: path))
    // Always set (or reset) the custom request: a leftover one would turn a URL fetch into it.
    handle.set(CURLOPT_CUSTOMREQUEST, customRequest)
    let sink = ByteSink(limit: options.maxMessageBytes)
    serverLines.lines.removeAll()
    let started = ContinuousClock.now
    let result = handle.perform(sink: sink)
    logger.trace(
      "imap",
      metadata: [
        "operation": "\(operation)", "request": "\(customRequest ?? "FETCH \(path)")",
        "bytes": "\(sink.bytes.count)", "elapsed": started.elapsedForLog,
      ])
    switch result {
    case .success:
      return sink.bytes
    case .failure(let failure):
      let error = classify(failure, sink: sink, operation: operation)
      if !error.keepsConnection {
        self.handle = nil  // start over with a fresh connection next time
        knownCapabilities = nil
      }
      throw error
    }
  }

  private func connection() throws(IMAPError) -> CurlHandle {
    if let handle { return handle }
    do {
      credential = try account.credential()
    } catch {
      throw self.error(.connection(.tokenUnavailable), operation: "logging in", detail: error.description)
    }
    let handle = CurlHandle()
    handle.configure(endpoint: endpoint, account: account, credential: credential, options: options)
    handle.collectServerLines(into: serverLines)
    self.handle = handle
    return handle
  }

  private func classify(_ failure: CurlFailure, sink: ByteSink, operation: String) -> IMAPError {
    let (reason, detail) = IMAPError.classify(
      failure, serverLines: serverLines.lines, password: credential, overflowed: sink.overflowed,
      limit: options.maxMessageBytes)
    return error(reason, operation: operation, detail: detail)
  }

  private func error(_ reason: IMAPError.Reason, operation: String, detail: String) -> IMAPError {
    IMAPError(reason: reason, server: endpoint.description, account: account.user, operation: operation, detail: detail)
  }

  /// An IMAP quoted string; CR, LF and NUL cannot be quoted and are refused.
  private func quoted(_ text: String) throws(IMAPError) -> String {
    guard !text.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" || $0 == "\r\n" }) else {
      throw error(.invalidRequest, operation: "building a command", detail: "line breaks in '\(text)'")
    }
    return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
  }

  private static func isValidFlag(_ flag: String) -> Bool {
    let body = flag.hasPrefix("\\") ? flag.dropFirst() : Substring(flag)
    return !body.isEmpty
      && body.unicodeScalars.allSatisfy { scalar in
        scalar.isASCII && scalar.value > 0x20 && scalar.value < 0x7F && !"(){%*\"\\]".unicodeScalars.contains(scalar)
      }
  }

  /// `1,2,3,7` as `1:3,7`.
  static func sequenceSet(_ uids: [UInt32]) -> String {
    let sorted = Array(Set(uids)).sorted()
    var ranges: [String] = []
    var index = 0
    while index < sorted.count {
      var end = index
      while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
      ranges.append(end == index ? "\(sorted[index])" : "\(sorted[index]):\(sorted[end])")
      index = end + 1
    }
    return ranges.joined(separator: ",")
  }
}
