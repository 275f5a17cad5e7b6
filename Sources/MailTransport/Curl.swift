import CCurl
import Foundation

/// libcurl's process-wide initialisation, done exactly once before the first handle.
private let curlGlobalInit: CURLcode = sb_curl_global_init()

/// The outcome of one `curl_easy_perform` that did not succeed.
struct CurlFailure: Error, Sendable {
  /// The raw libcurl result code.
  var code: Int
  /// libcurl's message for the code, e.g. "Login denied".
  var summary: String
  /// What CURLOPT_ERRORBUFFER said, often more precise ("Mailbox UIDVALIDITY has changed").
  var detail: String
  /// The last reply code the server sent (IMAP: none; SMTP: e.g. 550).
  var responseCode: Int

  /// A one-line explanation combining the details that are present.
  var text: String {
    detail.isEmpty || detail == summary ? summary : "\(summary): \(detail)"
  }
}

/// Accumulates what libcurl writes, with a ceiling so a hostile or huge
/// message cannot exhaust memory.
final class ByteSink {
  var bytes: [UInt8] = []
  let limit: Int
  var overflowed = false

  init(limit: Int) { self.limit = limit }
}

/// Hands bytes to libcurl for an upload.
final class ByteSource {
  let bytes: [UInt8]
  var offset = 0

  init(_ bytes: [UInt8]) { self.bytes = bytes }
}

private let writeToSink: curl_write_callback = { data, size, count, context in
  guard let context else { return 0 }
  let sink = Unmanaged<ByteSink>.fromOpaque(context).takeUnretainedValue()
  let length = size * count
  guard length > 0, let data else { return length }
  if sink.bytes.count + length > sink.limit {
    sink.overflowed = true
    return 0  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  data.withMemoryRebound(to: UInt8.self, capacity: length) {
    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
  }
  return length
}

private let readFromSource: curl_read_callback = { buffer, size, count, context in
  guard let context, let buffer else { return 0 }
  let source = Unmanaged<ByteSource>.fromOpaque(context).takeUnretainedValue()
  let length = min(size * count, source.bytes.count - source.offset)
  guard length > 0 else { return 0 }
  source.bytes.withUnsafeBufferPointer { all in
    let start = all.baseAddress!.advanced(by: source.offset)
    buffer.withMemoryRebound(to: UInt8.self, capacity: length) {
      $0.update(from: start, count: length)
    }
  }
  source.offset += length
  return length
}

/// The server's reply lines of the last transfer (SMTP's "250 2.0.0 Ok:
/// queued as …", "550 5.1.1 … User unknown"), kept for logs and errors.
final class ServerLines {
  var lines: [String] = []

  var last: String? { lines.last }
}

private let appendServerLines: curl_debug_callback = { _, type, data, size, context in
  guard type == CURLINFO_HEADER_IN, let context, let data else { return 0 }
  let lines = Unmanaged<ServerLines>.fromOpaque(context).takeUnretainedValue()
  let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
  for line in text.split(whereSeparator: \.isNewline) where !line.isEmpty {
    lines.lines.append(String(line.prefix(500)))
    if lines.lines.count > 50 { lines.lines.removeFirst(lines.lines.count - 50) }
  }
  return 0
}

/// One libcurl easy handle. Not thread-safe and not Sendable on purpose: it
/// lives inside an actor running on a `ThreadExecutor`. Reusing the handle
/// reuses its connection, so one login serves many commands.
final class CurlHandle {
  private let raw: UnsafeMutableRawPointer
  private let errorBuffer: UnsafeMutablePointer<CChar>
  private let errorBufferSize = Int(sb_error_buffer_size())

  init() {
    _ = curlGlobalInit
    guard let raw = curl_easy_init() else {
      // curl_easy_init fails only when memory is exhausted; nothing sensible is left to do.
      fatalError("curl_easy_init failed: out of memory")
    }
    self.raw = raw
    errorBuffer = .allocate(capacity: errorBufferSize)
    errorBuffer.initialize(repeating: 0, count: errorBufferSize)
    _ = sb_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer)
    _ = sb_setopt_long(raw, CURLOPT_NOSIGNAL, 1)
  }

  deinit {
    curl_easy_cleanup(raw)
    errorBuffer.deallocate()
  }

  func set(_ option: CURLoption, _ value: Int) {
    _ = sb_setopt_long(raw, option, value)
  }

  func set(_ option: CURLoption, _ value: Bool) {
    _ = sb_setopt_long(raw, option, value ? 1 : 0)
  }

  /// Sets a string option; libcurl keeps its own copy. `nil` resets it.
  func set(_ option: CURLoption, _ value: String?) {
    if let value {
      _ = value.withCString { sb_setopt_string(raw, option, $0) }
    } else {
      _ = sb_setopt_string(raw, option, nil)
    }
  }

  /// Collects the server's reply lines into `lines` (needs CURLOPT_VERBOSE;
  /// nothing is printed). The object must outlive the handle's transfers.
  func collectServerLines(into lines: ServerLines) {
    _ = sb_setopt_long(raw, CURLOPT_VERBOSE, 1)
    _ = sb_setopt_debug_function(raw, appendServerLines)
    _ = sb_setopt_pointer(raw, CURLOPT_DEBUGDATA, Unmanaged.passUnretained(lines).toOpaque())
  }

  func set(_ option: CURLoption, offset value: Int64) {
    _ = sb_setopt_offset(raw, option, curl_off_t(value))
  }

  /// Runs one transfer. `sink` receives the response body (IMAP: the untagged
  /// lines of a custom command, or the message literal of a URL fetch);
  /// `source`, if given, is uploaded (SMTP DATA, IMAP APPEND). `recipients`
  /// becomes CURLOPT_MAIL_RCPT for this transfer only.
  func perform(sink: ByteSink, source: ByteSource? = nil, recipients: [String] = []) -> Result<Void, CurlFailure> {
    errorBuffer[0] = 0
    _ = sb_setopt_write_function(raw, writeToSink)
    _ = sb_setopt_pointer(raw, CURLOPT_WRITEDATA, Unmanaged.passUnretained(sink).toOpaque())
    if let source {
      _ = sb_setopt_long(raw, CURLOPT_UPLOAD, 1)
      _ = sb_setopt_read_function(raw, readFromSource)
      _ = sb_setopt_pointer(raw, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque())
      _ = sb_setopt_offset(raw, CURLOPT_INFILESIZE_LARGE, curl_off_t(source.bytes.count))
    } else {
      _ = sb_setopt_long(raw, CURLOPT_UPLOAD, 0)
      _ = sb_setopt_pointer(raw, CURLOPT_READDATA, nil)
    }
    var list: UnsafeMutablePointer<curl_slist>? = nil
    for recipient in recipients {
      list = curl_slist_append(list, recipient)
    }
    _ = sb_setopt_slist(raw, CURLOPT_MAIL_RCPT, list)
    defer {
      _ = sb_setopt_slist(raw, CURLOPT_MAIL_RCPT, nil)
      curl_slist_free_all(list)
      // The sink and source die with this call: never leave dangling pointers behind.
      _ = sb_setopt_pointer(raw, CURLOPT_WRITEDATA, nil)
      _ = sb_setopt_pointer(raw, CURLOPT_READDATA, nil)
    }

    let code = curl_easy_perform(raw)
    guard code != CURLE_OK else { return .success(()) }
    return .failure(
      CurlFailure(
        code: Int(code.rawValue),
        summary: String(cString: curl_easy_strerror(code)),
        detail: String(cString: errorBuffer),
        responseCode: responseCode
      ))
  }

  /// After a CURLOPT_CONNECT_ONLY transfer: sends raw bytes on the connection.
  func send(_ bytes: [UInt8]) -> CURLcode {
    var offset = 0
    while offset < bytes.count {
      var sent = 0
      let code = bytes[offset...].withUnsafeBytes { curl_easy_send(raw, $0.baseAddress, $0.count, &sent) }
      if code == CURLE_AGAIN {
        _ = waitForSocket(writable: true, milliseconds: 1000)
        continue
      }
      guard code == CURLE_OK else { return code }
      offset += sent
    }
    return CURLE_OK
  }

  /// After a CURLOPT_CONNECT_ONLY transfer: whatever bytes are there now
  /// (empty when none), or the error that ended the connection.
  func receiveAvailable() -> Result<[UInt8], CurlFailure> {
    var collected: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16_384)
    while true {
      var received = 0
      let code = buffer.withUnsafeMutableBytes { curl_easy_recv(raw, $0.baseAddress, $0.count, &received) }
      if code == CURLE_AGAIN { return .success(collected) }
      guard code == CURLE_OK else {
        return .failure(
          CurlFailure(
            code: Int(code.rawValue), summary: String(cString: curl_easy_strerror(code)), detail: "", responseCode: 0))
      }
      if received == 0 {
        return .failure(
          CurlFailure(
            code: CurlCode.gotNothing, summary: "the server closed the connection", detail: "", responseCode: 0))
      }
      collected += buffer[..<received]
    }
  }

  /// Waits until the connection's socket is readable (or writable); false on timeout.
  func waitForSocket(writable: Bool = false, milliseconds: Int32) -> Bool {
    var socket: curl_socket_t = -1
    guard sb_getinfo_socket(raw, &socket) == CURLE_OK, socket >= 0 else { return false }
    var descriptor = pollfd(fd: socket, events: Int16(writable ? POLLOUT : POLLIN), revents: 0)
    return poll(&descriptor, 1, milliseconds) > 0
  }

  /// The last numeric reply of the server (SMTP: the final reply to DATA).
  var responseCode: Int {
    var value = 0
    _ = sb_getinfo_long(raw, CURLINFO_RESPONSE_CODE, &value)
    return value
  }
}

/// Well-known libcurl result codes, by name, so the error mapping reads as prose.
enum CurlCode {
  static let unsupportedProtocol = Int(CURLE_UNSUPPORTED_PROTOCOL.rawValue)
  static let malformedURL = Int(CURLE_URL_MALFORMAT.rawValue)
  static let couldNotResolveHost = Int(CURLE_COULDNT_RESOLVE_HOST.rawValue)
  static let couldNotConnect = Int(CURLE_COULDNT_CONNECT.rawValue)
  static let weirdServerReply = Int(CURLE_WEIRD_SERVER_REPLY.rawValue)
  static let quoteError = Int(CURLE_QUOTE_ERROR.rawValue)
  static let writeError = Int(CURLE_WRITE_ERROR.rawValue)
  static let operationTimedOut = Int(CURLE_OPERATION_TIMEDOUT.rawValue)
  static let sslConnectError = Int(CURLE_SSL_CONNECT_ERROR.rawValue)
  static let gotNothing = Int(CURLE_GOT_NOTHING.rawValue)
  static let sendError = Int(CURLE_SEND_ERROR.rawValue)
  static let receiveError = Int(CURLE_RECV_ERROR.rawValue)
  static let peerFailedVerification = Int(CURLE_PEER_FAILED_VERIFICATION.rawValue)
  static let useSSLFailed = Int(CURLE_USE_SSL_FAILED.rawValue)
  static let loginDenied = Int(CURLE_LOGIN_DENIED.rawValue)
  static let badCAFile = Int(CURLE_SSL_CACERT_BADFILE.rawValue)
  static let remoteFileNotFound = Int(CURLE_REMOTE_FILE_NOT_FOUND.rawValue)
  static let authError = Int(CURLE_AUTH_ERROR.rawValue)
}
