import CCurl
import Foundation
import Logging

/// What the server said when it accepted a message.
public struct SMTPReceipt: Sendable, Equatable {
  /// The final reply code to the end of DATA (250).
  public var code: Int
  /// The server's words, e.g. "250 2.0.0 Ok: queued as 4F2A1B3C4D".
  public var text: String
}

/// An SMTP submission client over libcurl. Like `IMAPClient`, it runs on its
/// own thread and reuses its connection for several messages.
///
/// libcurl dot-stuffs and ends DATA itself; hand it CRLF text. It never
/// declares 8BITMIME, so bodies must be 7-bit (quoted-printable or base64).
public actor SMTPClient {
  public nonisolated let endpoint: ServerEndpoint
  private let account: Account?
  private let options: TransportOptions
  private let logger: Logger
  private let executor: ThreadExecutor
  private var handle: CurlHandle?
  /// What the current connection logged in with (password or token), to keep it out of errors.
  private var credential: Secret?
  /// The server's reply lines; lives as long as the client, handles come and go.
  private let serverLines = ServerLines()

  public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

  /// `account` nil sends without AUTH (only a server's port 25 for local mail allows that).
  public init(endpoint: ServerEndpoint, account: Account?, options: TransportOptions = .init(), logger: Logger) {
    self.endpoint = endpoint
    self.account = account
    self.options = options
    self.logger = logger
    self.executor = ThreadExecutor(name: "smtp \(endpoint.host)")
  }

  /// Submits one message.
  /// - Parameters:
  ///   - envelopeSender: the MAIL FROM address; nil or empty for the null sender `<>`.
  ///   - recipients: the RCPT TO addresses.
  ///   - message: the complete RFC 5322 message with CRLF line ends.
  public func send(envelopeSender: String?, recipients: [String], message: [UInt8]) throws(SMTPError) -> SMTPReceipt {
    for address in [envelopeSender ?? ""] + recipients
    where address.contains(where: { $0.isNewline || $0 == "<" || $0 == ">" }) {
      throw error(.invalidRequest, detail: "unusable address '\(address.debugDescription)'")
    }
    guard !recipients.isEmpty else { throw error(.invalidRequest, detail: "no recipient") }
    do {
      return try attempt(envelopeSender: envelopeSender, recipients: recipients, message: message)
    } catch {
      // An OAuth2 token may have expired since it was read: log in again with a fresh one, once.
      // (A refused login comes before MAIL FROM: nothing was sent.)
      guard error.reason == .connection(.authenticationFailed), account?.token != nil else { throw error }
      logger.notice(
        "the server refused the OAuth2 token; reading a fresh one from \(account?.token?.description ?? "")")
      return try attempt(envelopeSender: envelopeSender, recipients: recipients, message: message)
    }
  }

  private func attempt(envelopeSender: String?, recipients: [String], message: [UInt8]) throws(SMTPError) -> SMTPReceipt
  {
    let handle = try connection()
    handle.set(CURLOPT_MAIL_FROM, "<\(envelopeSender ?? "")>")
    serverLines.lines.removeAll()
    let started = ContinuousClock.now
    let result = handle.perform(
      sink: ByteSink(limit: 1 << 16), source: ByteSource(message), recipients: recipients.map { "<\($0)>" })
    let code = handle.responseCode
    logger.trace(
      "smtp",
      metadata: [
        "recipients": "\(recipients.count)", "bytes": "\(message.count)", "code": "\(code)",
        "elapsed": started.elapsedForLog,
      ])
    switch result {
    case .success:
      return SMTPReceipt(code: code, text: serverLines.last ?? "")
    case .failure(let failure):
      self.handle = nil  // the SMTP transaction state is unknown: start over
      // The server's own words say more than libcurl's ("RCPT failed: 550").
      var detail = failure.redactedText(credential)
      if (400..<600).contains(code), let words = serverLines.lines.last(where: { $0.hasPrefix(String(code)) }) {
        detail = words
      }
      if (400..<500).contains(code) { throw error(.rejectedTemporarily(code: code), detail: detail) }
      if (500..<600).contains(code) {
        // 535 and friends come from AUTH: a login problem, not a rejected message.
        if failure.code == CurlCode.loginDenied || failure.code == CurlCode.authError {
          throw error(.connection(.authenticationFailed), detail: detail)
        }
        throw error(.rejectedPermanently(code: code), detail: detail)
      }
      if let problem = ConnectionProblem(failure) { throw error(.connection(problem), detail: detail) }
      throw error(.other(curlCode: failure.code), detail: detail)
    }
  }

  private func connection() throws(SMTPError) -> CurlHandle {
    if let handle { return handle }
    do {
      credential = try account?.credential()
    } catch {
      throw self.error(.connection(.tokenUnavailable), detail: error.description)
    }
    let handle = CurlHandle()
    handle.configure(endpoint: endpoint, account: account, credential: credential, options: options)
    handle.collectServerLines(into: serverLines)
    // For SMTP the URL path is the name we give in EHLO.
    handle.set(CURLOPT_URL, endpoint.curlURL(encodedPath: ServerEndpoint.encodeSegment(options.heloName)))
    self.handle = handle
    return handle
  }

  private func error(_ reason: SMTPError.Reason, detail: String) -> SMTPError {
    SMTPError(reason: reason, server: endpoint.description, account: account?.user ?? "", detail: detail)
  }
}
