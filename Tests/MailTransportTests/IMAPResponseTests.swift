import Foundation
import Testing

@testable import MailTransport

@Suite("IMAP answers parsed without a server")
struct IMAPResponseTests {
  @Test(
    "UID SEARCH results",
    arguments: [
      ("* SEARCH 3 4 17\r\n", [UInt32(3), 4, 17]),
      ("* SEARCH\r\n", []),
      ("* 5 EXISTS\r\n* SEARCH 9\r\n", [9]),
      ("* search 1 2\n", [1, 2]),
    ])
  func search(text: String, expected: [UInt32]) {
    #expect(IMAPResponses.searchResults(text) == expected)
  }

  @Test("STATUS with the attributes in any order and a quoted mailbox name")
  func status() {
    let status = IMAPResponses.status(
      "* STATUS \"Wys\\\"łane\" (UIDNEXT 12 MESSAGES 11 UIDVALIDITY 1732551234 UNSEEN 2)\r\n")
    #expect(status == MailboxStatus(messages: 11, unseen: 2, uidNext: 12, uidValidity: 1_732_551_234))
  }

  @Test("FETCH metadata: flags, size and arrival time")
  func fetch() throws {
    let text = """
      * 1 FETCH (UID 101 FLAGS (\\Seen $SupportbotReplied) RFC822.SIZE 2048 INTERNALDATE "25-Nov-2026 09:30:00 +0100")\r
      * 2 FETCH (FLAGS () UID 102 INTERNALDATE " 5-Dec-2026 23:59:59 -0000" RFC822.SIZE 17)\r
      * 3 FETCH (FLAGS (\\Seen))\r

      """
    let results = IMAPResponses.fetchResults(text)
    #expect(results.map(\.uid) == [101, 102])
    #expect(results[0].flags == ["\\Seen", "$SupportbotReplied"])
    #expect(results[0].isSeen)
    #expect(!results[1].isSeen)
    #expect(results[0].size == 2048)
    #expect(results[0].internalDate == Date(timeIntervalSince1970: 1_795_595_400))  // 08:30 UTC
    #expect(results[1].internalDate == Date(timeIntervalSince1970: 1_796_515_199))
  }

  @Test(
    "UID sets are compressed into ranges",
    arguments: [
      ([UInt32(1), 2, 3, 7], "1:3,7"),
      ([9, 8, 8, 1], "1,8:9"),
      ([42], "42"),
    ])
  func sequenceSet(uids: [UInt32], expected: String) {
    #expect(IMAPClient.sequenceSet(uids) == expected)
  }
}

@Suite("Server URLs from the configuration")
struct EndpointTests {
  @Test(
    "schemes, default ports and TLS policy",
    arguments: [
      (
        "imaps://mail.example.pl/INBOX", ServerEndpoint.Service.imap, "imaps://mail.example.pl:993",
        ServerEndpoint.Security.implicitTLS, "INBOX"
      ),
      ("imap://mail.example.pl", .imap, "imap://mail.example.pl:143", .startTLS, ""),
      // An unencrypted connection says so wherever the server is named (logs, errors).
      (
        "imap://127.0.0.1:10143/?tls=none", .imap, "imap://127.0.0.1:10143 (PLAIN, unencrypted)",
        ServerEndpoint.Security.none, ""
      ),
      ("smtp://mail.example.pl:587", .smtp, "smtp://mail.example.pl:587", .startTLS, ""),
      ("smtps://mail.example.pl", .smtp, "smtps://mail.example.pl:465", .implicitTLS, ""),
      ("imaps://[::1]:993/Support%20PL", .imap, "imaps://[::1]:993", .implicitTLS, "Support PL"),
    ])
  func parses(
    text: String, service: ServerEndpoint.Service, shown: String, security: ServerEndpoint.Security, path: String
  ) throws {
    let endpoint = try ServerEndpoint(text, service: service)
    #expect(endpoint.description == shown)
    #expect(endpoint.security == security)
    #expect(endpoint.path == path)
  }

  @Test("a password in the URL is refused without repeating it")
  func credentialsInURL() {
    #expect {
      try ServerEndpoint("imaps://jan:tajne123@mail.example.pl/INBOX", service: .imap)
    } throws: { error in
      "\(error)".contains("password") && !"\(error)".contains("tajne123")
    }
  }

  @Test("an unknown URL parameter is named, but the URL's query is not repeated (it may hold a secret)")
  func queryNotEchoed() {
    #expect {
      try ServerEndpoint("imaps://mail.example.pl/INBOX?password=tajne123", service: .imap)
    } throws: { error in
      "\(error)".contains("'password'") && !"\(error)".contains("tajne123")
    }
  }

  @Test(
    "unusable URLs are explained",
    arguments: [
      ("http://mail.example.pl", "imap://"),
      ("imaps:///INBOX", "host"),
      ("imaps://mail.example.pl/?tls=none", "tls=none"),
      ("imap://mail.example.pl/?secure=1", "secure"),
    ])
  func refused(text: String, mentions: String) {
    #expect {
      try ServerEndpoint(text, service: .imap)
    } throws: { error in
      "\(error)".contains(mentions)
    }
  }

  @Test(
    "libcurl's 'Login denied' told apart by the server's own last refusal",
    arguments: [
      // Dovecot with too many connections from one address: the password is fine.
      (
        ["* OK ready", "A001 NO [LIMIT] Maximum number of connections from user+IP exceeded"], "Login denied",
        IMAPError.Reason.connection(.turnedAway), "Maximum number of connections"
      ),
      (["A001 NO [UNAVAILABLE] Try later"], "Login denied", .connection(.turnedAway), "Try later"),
      (
        ["A001 NO [AUTHENTICATIONFAILED] Authentication failed."], "Login denied", .connection(.authenticationFailed),
        "Authentication failed."
      ),
      (["A001 NO Login failed"], "Login denied", .connection(.authenticationFailed), "Login failed"),
      ([], "Login denied", .connection(.authenticationFailed), "Login denied"),
      (["* BYE [UNAVAILABLE] Shutting down"], "Login denied", .connection(.turnedAway), "Shutting down"),
      // A failed SELECT is reported as "Login denied" too.
      (["A003 NO Mailbox doesn't exist: Nie-Ma"], "Select failed", .mailboxMissing, "Mailbox doesn't exist"),
      // A server that echoes the password never gets it into the detail.
      (["A001 NO bad password hunter2"], "Login denied", .connection(.authenticationFailed), "<redacted>"),
    ])
  func loginRefusal(lines: [String], curlDetail: String, reason: IMAPError.Reason, detail: String) {
    let failure = CurlFailure(code: CurlCode.loginDenied, summary: "Login denied", detail: curlDetail, responseCode: 0)
    let result = IMAPError.classify(failure, serverLines: lines, password: Secret("hunter2"))
    #expect(result.reason == reason)
    #expect(result.detail.contains(detail), "\(result.detail)")
    #expect(!result.detail.contains("hunter2"))
  }

  @Test("the refused command's own words, not the BYE of the logout that follows it")
  func refusalBeforeLogout() {
    let lines = [
      "A004 BAD Error in IMAP command UID SEARCH: Invalid UID messageset", "* BYE Logging out",
      "A005 OK Logout completed",
    ]
    #expect(IMAPResponses.refusal(in: lines)?.text == "Error in IMAP command UID SEARCH: Invalid UID messageset")
  }

  @Test("tagged OK lines and untagged data are not refusals")
  func notRefusals() {
    #expect(IMAPResponses.refusal(in: ["* 3 EXISTS", "A002 OK done", "* NO [ALERT] disk almost full"]) == nil)
    #expect(IMAPResponses.refusal(in: ["A1 BAD", "x"]) == nil)
  }

  @Test("a secret never shows when printed")
  func secretRedacted() {
    let account = Account(user: "support@example.test", password: Secret("hunter2"))
    #expect(!"\(account)".contains("hunter2"))
    #expect(!String(reflecting: account).contains("hunter2"))
  }
}

@Suite("Mailbox names on the wire (modified UTF-7)")
struct MailboxNameTests {
  @Test(
    "names as staff write them become RFC 3501 modified UTF-7",
    arguments: [
      ("INBOX", "INBOX"),
      ("Wysłane", "Wys&AUI-ane"),
      ("Kopie robocze", "Kopie robocze"),
      ("Obsłużone", "Obs&AUI-u&AXw-one"),
      ("Płatne/Zgłoszenia", "P&AUI-atne/Zg&AUI-oszenia"),
      ("R&D", "R&-D"),
      ("日本語", "&ZeVnLIqe-"),
      ("Święta ☃", "&AVo-wi&ARk-ta &JgM-"),
      // Already in wire form (copied from a server listing): kept.
      ("Wys&AUI-ane", "Wys&AUI-ane"),
      ("A&-B", "A&-B"),
    ])
  func wire(name: String, expected: String) {
    #expect(MailboxName.wire(name) == expected)
  }
}

@Suite("OAuth2 token sources in errors")
struct TokenSourceErrorTests {
  @Test("a failing token command is named by its program only: its arguments may hold a client secret")
  func argumentsNotShown() {
    #expect {
      try TokenSource(command: "/bin/false --client-secret=S3CR3T-VALUE").read()
    } throws: { error in
      "\(error)".contains("'/bin/false'") && !"\(error)".contains("S3CR3T")
    }
  }
}
