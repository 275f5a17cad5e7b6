import CCurl
import Foundation

/// What went wrong on the wire, in terms a person can act on. Shared by both
/// clients' error types; each adds the failures only it knows.
public enum ConnectionProblem: Sendable, Equatable {
  case hostNotFound
  case cannotConnect
  case tlsFailed
  case authenticationFailed
  /// No OAuth2 token could be had from its file or command.
  case tokenUnavailable
  /// The login was turned away for now: too many connections, server busy.
  case turnedAway
  case timedOut
  case connectionLost
  case protocolError

  var explanation: String {
    switch self {
    case .hostNotFound: "the host name could not be resolved"
    case .cannotConnect: "no connection could be made"
    case .tlsFailed: "the TLS connection could not be established or the certificate could not be verified"
    case .authenticationFailed: "the server refused the login"
    case .tokenUnavailable: "no OAuth2 access token could be had"
    case .turnedAway: "the server turned the login away for now"
    case .timedOut: "the server did not answer in time"
    case .connectionLost: "the connection broke off"
    case .protocolError: "the server's answer was not understood"
    }
  }

  func hint(service: ServerEndpoint.Service) -> String {
    let prefix = "SUPPORTBOT_\(service.rawValue)"
    return switch self {
    case .hostNotFound: "Check the host in \(prefix)_URL and this machine's DNS."
    case .cannotConnect: "Check that the server runs and that the port in \(prefix)_URL is right and reachable."
    case .tlsFailed:
      "If the server uses a private certificate authority, point SUPPORTBOT_CA_FILE at its certificate; for STARTTLS the server must offer it."
    case .authenticationFailed:
      "Check \(prefix)_USER and \(prefix)_PASSWORD (or \(prefix)_PASSWORD_FILE); with OAuth2, that \(prefix)_OAUTH2_TOKEN_FILE or _COMMAND gives a current token for that user, with the mail scope."
    case .tokenUnavailable:
      "Check \(prefix)_OAUTH2_TOKEN_FILE or \(prefix)_OAUTH2_TOKEN_COMMAND; run the command by hand as the bot's user. The bot tries again on the next attempt."
    case .turnedAway:
      "Its words above say why; often too many connections to this account from this address (Dovecot: mail_max_userip_connections). The bot tries again later."
    case .timedOut: "Check the network; the bot will try again on the next poll."
    case .connectionLost: "The bot will reconnect on the next attempt."
    case .protocolError: "Run again with --verbose and report the log."
    }
  }

  /// Maps the libcurl codes every protocol shares; nil for protocol-specific ones.
  init?(_ failure: CurlFailure) {
    switch failure.code {
    case CurlCode.couldNotResolveHost: self = .hostNotFound
    case CurlCode.couldNotConnect: self = .cannotConnect
    case CurlCode.sslConnectError, CurlCode.peerFailedVerification, CurlCode.useSSLFailed, CurlCode.badCAFile:
      self = .tlsFailed
    case CurlCode.loginDenied, CurlCode.authError: self = .authenticationFailed
    case CurlCode.operationTimedOut: self = .timedOut
    case CurlCode.gotNothing, CurlCode.sendError, CurlCode.receiveError: self = .connectionLost
    case CurlCode.weirdServerReply: self = .protocolError
    default: return nil
    }
  }
}

/// An IMAP operation that failed. The message names the server, the account
/// and the operation, never the password.
public struct IMAPError: Error, Sendable, CustomStringConvertible {
  public enum Reason: Sendable, Equatable {
    case connection(ConnectionProblem)
    /// The mailbox (folder) does not exist or cannot be selected.
    case mailboxMissing
    /// The mailbox was recreated: its UIDs no longer mean what we stored.
    case uidValidityChanged
    /// The message with that UID is gone (expunged by someone else).
    case messageMissing
    /// The server answered NO or BAD to a command.
    case commandRefused
    /// The message is larger than the configured ceiling.
    case messageTooLarge(limit: Int)
    /// The request itself was malformed (a bug or an unusable setting).
    case invalidRequest
    case other(curlCode: Int)
  }

  public let reason: Reason
  public let server: String
  public let account: String
  /// What we were doing, e.g. "selecting INBOX".
  public let operation: String
  /// libcurl's own words, for the log.
  public let detail: String

  public var description: String {
    var text = "IMAP \(operation) on \(server) as \(account) failed: \(explanation)"
    if !detail.isEmpty { text += " (\(detail))" }
    if let hint { text += ". \(hint)" }
    return text
  }

  private var explanation: String {
    switch reason {
    case .connection(let problem): problem.explanation
    case .mailboxMissing: "the mailbox does not exist or cannot be opened"
    case .uidValidityChanged: "the mailbox was recreated on the server (UIDVALIDITY changed)"
    case .messageMissing: "the message is no longer there"
    case .commandRefused: "the server refused the command"
    case .messageTooLarge(let limit): "the message is larger than \(limit) bytes"
    case .invalidRequest: "the request was malformed"
    case .other(let code): "libcurl error \(code)"
    }
  }

  private var hint: String? {
    switch reason {
    case .connection(let problem): problem.hint(service: .imap)
    case .mailboxMissing: "Check the mailbox name in the path of SUPPORTBOT_IMAP_URL."
    default: nil
    }
  }

  /// What a failed libcurl transfer means. libcurl says "Login denied" both
  /// for a wrong password and for a server that turns the login away (too many
  /// connections), and for a failed SELECT; the server's own last refusal tells
  /// them apart, and its words make the better detail.
  static func classify(
    _ failure: CurlFailure, serverLines: [String], password: Secret?, overflowed: Bool = false, limit: Int = 0
  ) -> (reason: Reason, detail: String) {
    let refusal = IMAPResponses.refusal(in: serverLines)
    var detail = failure.redactedText(password)
    if let refusal {
      detail = refusal.text
      if let password, !password.isEmpty {
        detail = detail.replacingOccurrences(of: password.value, with: "<redacted>")
      }
    }
    if failure.code == CurlCode.loginDenied {
      // libcurl 7.88.1 reports a failed SELECT as CURLE_LOGIN_DENIED ("Select failed"):
      // the login worked, the mailbox is the problem.
      if failure.detail.localizedCaseInsensitiveContains("select") { return (.mailboxMissing, detail) }
      // RFC 5530 codes for "not now": the password is fine.
      if let code = refusal?.code, ["LIMIT", "UNAVAILABLE", "INUSE", "SERVERBUG"].contains(code) {
        return (.connection(.turnedAway), detail)
      }
    }
    if let problem = ConnectionProblem(failure) { return (.connection(problem), detail) }
    let reason: Reason =
      switch failure.code {
      case CurlCode.writeError where overflowed: .messageTooLarge(limit: limit)
      case CurlCode.remoteFileNotFound where failure.detail.localizedCaseInsensitiveContains("UIDVALIDITY"):
        .uidValidityChanged
      case CurlCode.remoteFileNotFound: .messageMissing
      case CurlCode.quoteError: .commandRefused
      case CurlCode.malformedURL, CurlCode.unsupportedProtocol: .invalidRequest
      default: .other(curlCode: failure.code)
      }
    return (reason, detail)
  }

  /// Whether the connection is still in a known state after this error.
  var keepsConnection: Bool {
    switch reason {
    case .mailboxMissing, .uidValidityChanged, .messageMissing, .commandRefused: true
    default: false
    }
  }
}

/// An SMTP submission that failed. `isTemporary` tells whether trying again
/// later can help (4xx replies, network trouble) or not (5xx replies).
public struct SMTPError: Error, Sendable, CustomStringConvertible {
  public enum Reason: Sendable, Equatable {
    case connection(ConnectionProblem)
    /// The server answered with a 4xx code: try again later.
    case rejectedTemporarily(code: Int)
    /// The server answered with a 5xx code: this message will not go out.
    case rejectedPermanently(code: Int)
    case invalidRequest
    case other(curlCode: Int)
  }

  public let reason: Reason
  public let server: String
  public let account: String
  public let detail: String

  public var isTemporary: Bool {
    switch reason {
    case .connection(let problem): problem != .authenticationFailed
    case .rejectedTemporarily: true
    case .rejectedPermanently, .invalidRequest: false
    case .other: true
    }
  }

  public var description: String {
    let who = account.isEmpty ? "without login" : "as \(account)"
    var text = "SMTP submission to \(server) \(who) failed: \(explanation)"
    if !detail.isEmpty { text += " (\(detail))" }
    if case .connection(let problem) = reason { text += ". " + problem.hint(service: .smtp) }
    return text
  }

  private var explanation: String {
    switch reason {
    case .connection(let problem): problem.explanation
    case .rejectedTemporarily(let code): "the server deferred the message with code \(code); it will be retried"
    case .rejectedPermanently(let code): "the server rejected the message with code \(code)"
    case .invalidRequest: "the request was malformed"
    case .other(let code): "libcurl error \(code)"
    }
  }
}

extension CurlFailure {
  /// The failure's text with every occurrence of the secret blanked out,
  /// in case a server echoes it back.
  func redactedText(_ secret: Secret?) -> String {
    guard let secret, !secret.isEmpty else { return text }
    return text.replacingOccurrences(of: secret.value, with: "<redacted>")
  }
}

extension CurlHandle {
  /// The options every connection to `endpoint` shares: TLS policy, trust,
  /// login and timeouts.
  /// `credential` is the account's password or its current OAuth2 token.
  func configure(endpoint: ServerEndpoint, account: Account?, credential: Secret?, options: TransportOptions) {
    switch endpoint.security {
    case .implicitTLS, .startTLS: set(CURLOPT_USE_SSL, Int(CURLUSESSL_ALL.rawValue))
    case .none: set(CURLOPT_USE_SSL, Int(CURLUSESSL_NONE.rawValue))
    }
    if let caFile = options.caFile {
      // CAINFO replaces the default bundle; keep the system's CAs through CAPATH.
      set(CURLOPT_CAINFO, caFile)
      set(CURLOPT_CAPATH, "/etc/ssl/certs")
    }
    if let account {
      set(CURLOPT_USERNAME, account.user)
      if account.token != nil {
        // libcurl then logs in with OAUTHBEARER, or XOAUTH2 when that is all the server offers.
        set(CURLOPT_XOAUTH2_BEARER, credential?.value)
      } else {
        set(CURLOPT_PASSWORD, credential?.value)
      }
      set(CURLOPT_SASL_IR, true)
    }
    // libcurl 7.88.1 clips any response line longer than half this buffer to
    // 40 bytes ("Excessive server response line length"): with the default
    // 16 KB a UID SEARCH answer of ~1,500 UIDs lost all but the first few.
    set(CURLOPT_BUFFERSIZE, 512 * 1024)
    set(CURLOPT_CONNECTTIMEOUT, options.connectTimeout)
    // A server that trickles (2 bytes a second) or never ends an answer must
    // not hold the bot: too slow for stallTimeout seconds, or longer than
    // transferTimeout in all, and the exchange fails as a timeout.
    set(CURLOPT_LOW_SPEED_LIMIT, options.minimumSpeed)
    set(CURLOPT_LOW_SPEED_TIME, options.stallTimeout)
    set(CURLOPT_TIMEOUT, options.transferTimeout)
  }
}
