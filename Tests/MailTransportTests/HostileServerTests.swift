import Foundation
import Logging
import MailStackTestSupport
import MailTransport
import Testing

/// A server that misbehaves on purpose (`FakeIMAPServer`): the client must
/// end every exchange, report what happened, and trust only what it asked for.
@Suite("IMAP against a misbehaving server")
struct HostileServerTests {
  let account = Account(user: "bot", password: Secret("secret"))

  func client(_ server: FakeIMAPServer, stall: Int = 2, total: Int = 10) throws -> IMAPClient {
    IMAPClient(
      endpoint: try ServerEndpoint(server.url + "?tls=none", service: .imap), account: account,
      options: TransportOptions(connectTimeout: 5, stallTimeout: stall, minimumSpeed: 256, transferTimeout: total),
      logger: Logger(label: "test"))
  }

  /// The IMAP error `body` ends with; nil when it succeeds (or fails otherwise).
  func failure(_ body: () async throws -> Void) async -> IMAPError? {
    do {
      try await body()
      return nil
    } catch {
      return error as? IMAPError
    }
  }

  @Test("a server that trickles 2 bytes a second is given up as a timeout", .timeLimit(.minutes(1)))
  func trickle() async throws {
    let server = try FakeIMAPServer(mode: .trickle(bytesPerSecond: 2))
    defer { server.stop() }
    let imap = try client(server)
    let error = await failure { _ = try await imap.status(of: "INBOX") }
    #expect(error?.reason == .connection(.timedOut), "\(String(describing: error))")
  }

  @Test("UIDs in a FETCH answer that were not asked for are left out")
  func unrequested() async throws {
    let server = try FakeIMAPServer(mode: .unrequestedUID(999_999))
    defer { server.stop() }
    let imap = try client(server)
    let metadata = try await imap.metadata(in: "INBOX", uidValidity: 1000, uids: [1, 2, 3])
    #expect(metadata.map(\.uid) == [1, 2, 3])
  }

  @Test("a UIDNEXT near 4 billion without ESEARCH: one search of the rest, not millions", .timeLimit(.minutes(1)))
  func hugeUIDNext() async throws {
    let server = try FakeIMAPServer(mode: .hugeUIDNext(4_000_000_000), uids: [1, 2, 3])
    defer { server.stop() }
    let imap = try client(server)
    #expect(try await imap.uids(in: "INBOX", uidValidity: 1000, above: 0) == [1, 2, 3])
    #expect(try await imap.uids(in: "INBOX", uidValidity: 1000, above: 3) == [])
    let searches = server.commands.filter { $0.uppercased().hasPrefix("UID SEARCH") }
    // Per call: the windows that find mail, one empty window, the refused ESEARCH and one search of the rest.
    #expect(searches.count == 7, "\(searches)")
  }

  @Test("a UIDVALIDITY that changes under the bot is reported as such")
  func changingValidity() async throws {
    let server = try FakeIMAPServer(mode: .changingUIDValidity)
    defer { server.stop() }
    let imap = try client(server)
    let error = await failure { _ = try await imap.uids(in: "INBOX", uidValidity: 1000, above: 0) }
    #expect(error?.reason == .uidValidityChanged)
  }

  @Test("answers that are not IMAP fail the exchange with a clear error", .timeLimit(.minutes(1)))
  func garbage() async throws {
    let server = try FakeIMAPServer(mode: .garbage)
    defer { server.stop() }
    let imap = try client(server)
    let error = await failure { _ = try await imap.status(of: "INBOX") }
    #expect(error != nil)
    #expect(error?.description.contains("secret") == false)
  }

  @Test("a body literal that announces more bytes than come ends as a timeout, not a hang", .timeLimit(.minutes(1)))
  func lyingLiteral() async throws {
    let server = try FakeIMAPServer(mode: .literalTooLong(500))
    defer { server.stop() }
    let imap = try client(server)
    let error = await failure { _ = try await imap.fetchMessage(in: "INBOX", uidValidity: 1000, uid: 1) }
    #expect(error != nil)
  }
}
