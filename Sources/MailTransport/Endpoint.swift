import Foundation

/// A password or token. Printing it, interpolating it or dumping it never
/// shows the value; only the transport reads it, to hand it to libcurl.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
  let value: String

  public init(_ value: String) { self.value = value }

  public var isEmpty: Bool { value.isEmpty }
  public var description: String { "<redacted>" }
  public var debugDescription: String { "<redacted>" }
}

/// Who we log in as: with a password, or with an OAuth2 access token
/// (SASL OAUTHBEARER or XOAUTH2, whichever the server offers).
public struct Account: Sendable, Equatable {
  public var user: String
  public var password: Secret
  /// Where the access token comes from; nil: the password is used.
  public var token: TokenSource?

  public init(user: String, password: Secret) {
    self.user = user
    self.password = password
  }

  public init(user: String, token: TokenSource) {
    self.user = user
    self.password = Secret("")
    self.token = token
  }

  /// What a new connection logs in with: the password, or a freshly read token.
  func credential() throws(TokenError) -> Secret {
    try token?.read() ?? password
  }
}

/// Where a mail server is and how the connection is protected.
///
/// Parsed from the URLs of the configuration: `imaps://mail.example.pl/INBOX`,
/// `imap://host:143` (STARTTLS required), `smtp://host:587` (STARTTLS
/// required), `smtps://host:465`. A plain connection must be asked for
/// explicitly with `?tls=none`; it is never a silent fallback.
public struct ServerEndpoint: Sendable, Hashable, CustomStringConvertible {
  public enum Service: String, Sendable {
    case imap = "IMAP"
    case smtp = "SMTP"
  }

  public enum Security: String, Sendable {
    /// TLS from the first byte (imaps, smtps).
    case implicitTLS
    /// A plain connection upgraded with STARTTLS; the upgrade is required.
    case startTLS
    /// No encryption at all; only when the URL asks for it with `?tls=none`.
    case none
  }

  public let service: Service
  public let host: String
  public let port: Int
  public let security: Security
  /// The decoded path: for IMAP the mailbox (e.g. "INBOX"), may be empty.
  public let path: String

  public init(_ text: String, service: Service) throws(EndpointError) {
    guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
      throw .notAURL(text)
    }
    if components.user != nil || components.password != nil {
      // Never echo the URL here: it contains a secret.
      throw .credentialsInURL(service: service)
    }
    let plainScheme = service == .imap ? "imap" : "smtp"
    let tlsScheme = plainScheme + "s"
    var security: Security
    switch scheme {
    case plainScheme: security = .startTLS
    case tlsScheme: security = .implicitTLS
    default: throw .wrongScheme(text, expected: [plainScheme, tlsScheme])
    }
    for item in components.queryItems ?? [] {
      switch (item.name.lowercased(), item.value?.lowercased()) {
      case ("tls", "none") where security == .startTLS:
        security = .none
      case ("tls", "starttls") where security == .startTLS:
        break
      default:
        // The URL is not echoed: its query may hold what does not belong there (a password).
        throw .unknownParameter(Self.withoutQuery(text), parameter: item.name)
      }
    }
    guard var host = components.host, !host.isEmpty else { throw .missingHost(text) }
    if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }  // IPv6 literal
    let defaultPort =
      switch (service, security) {
      case (.imap, .implicitTLS): 993
      case (.imap, _): 143
      case (.smtp, .implicitTLS): 465
      case (.smtp, _): 587
      }
    var path = components.path
    while path.hasPrefix("/") { path.removeFirst() }
    self.service = service
    self.host = host
    self.port = components.port ?? defaultPort
    self.security = security
    self.path = path
  }

  /// How the server is named in logs and errors: scheme, host and port, never
  /// credentials; an unencrypted connection says so.
  public var description: String {
    curlBase + (security == .none ? " (PLAIN, unencrypted)" : "")
  }

  /// scheme://host:port, as libcurl is given it.
  private var curlBase: String {
    let scheme = security == .implicitTLS ? service.rawValue.lowercased() + "s" : service.rawValue.lowercased()
    return "\(scheme)://\(hostForURL):\(port)"
  }

  /// The URL without its query string (`?…`), for messages.
  static func withoutQuery(_ text: String) -> String {
    text.split(separator: "?", maxSplits: 1).first.map(String.init) ?? text
  }

  private var hostForURL: String { host.contains(":") ? "[\(host)]" : host }

  /// The URL handed to libcurl for `path` (already percent-encoded segments).
  func curlURL(encodedPath: String) -> String {
    "\(curlBase)/\(encodedPath)"
  }

  /// Percent-encodes one path segment (a mailbox name) for a libcurl URL.
  static func encodeSegment(_ segment: String) -> String {
    var allowed = CharacterSet.alphanumerics.intersection(
      CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
    allowed.insert(charactersIn: "-._~")
    return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
  }
}

/// A server URL from the configuration that cannot be used.
public enum EndpointError: Error, Sendable, Equatable, CustomStringConvertible {
  case notAURL(String)
  case credentialsInURL(service: ServerEndpoint.Service)
  case wrongScheme(String, expected: [String])
  case unknownParameter(String, parameter: String)
  case missingHost(String)

  public var description: String {
    switch self {
    case .notAURL(let text):
      return "'\(text)' is not a URL; write it like imaps://mail.example.pl/INBOX or smtp://mail.example.pl:587"
    case .credentialsInURL(let service):
      return
        "the \(service.rawValue) URL contains a user name or password; remove them from the URL and set the user and password separately (the URL is not shown because it holds a secret)"
    case .wrongScheme(let text, let expected):
      return "'\(text)' should start with \(expected.map { "\($0)://" }.joined(separator: " or "))"
    case .unknownParameter(let text, let parameter):
      return
        "'\(text)?…' has the parameter '\(parameter)', which is not understood; the only one is tls=none (no encryption, only on imap:// or smtp://)"
    case .missingHost(let text):
      return "'\(text)' names no server host"
    }
  }
}

/// Connection settings shared by the IMAP and SMTP clients.
public struct TransportOptions: Sendable {
  /// An extra certificate authority to trust (PEM), for servers with a private CA.
  public var caFile: String?
  /// Seconds to wait for the TCP and TLS connection.
  public var connectTimeout: Int
  /// A transfer slower than `minimumSpeed` bytes/s for this many seconds is abandoned.
  public var stallTimeout: Int
  /// See `stallTimeout`: a server that trickles a few bytes a second must not hold the bot.
  public var minimumSpeed: Int
  /// No single exchange (a command and its answer, a fetch, a submission) may take longer, in seconds.
  public var transferTimeout: Int
  /// Message bodies larger than this are refused (bytes).
  public var maxMessageBytes: Int
  /// Name given in EHLO.
  public var heloName: String

  public init(
    caFile: String? = nil,
    connectTimeout: Int = 20,
    stallTimeout: Int = 60,
    minimumSpeed: Int = 256,
    transferTimeout: Int = 300,
    maxMessageBytes: Int = 64 << 20,
    heloName: String = "supportbot.localdomain"
  ) {
    self.caFile = caFile
    self.connectTimeout = connectTimeout
    self.stallTimeout = stallTimeout
    self.minimumSpeed = minimumSpeed
    self.transferTimeout = transferTimeout
    self.maxMessageBytes = maxMessageBytes
    self.heloName = heloName
  }
}
