import Foundation
import MailMessage
import MailStackTestSupport
import Testing

@testable import MailTransport

/// IMAP and SMTP against the real Dovecot and Postfix of scripts/mailstack.sh.
/// Each test uses its own unique Message-ID in klient2's mailbox, so they can
/// run side by side.
@Suite("IMAP and SMTP against the local mail stack", .enabled(if: MailStack.isAvailable))
struct LiveTransportTests {
  let stack = MailStack.current!
  let mailbox = MailStack.otherCustomer

  /// Delivers a mail to klient2 and returns its UID and UIDVALIDITY.
  private func deliver(body: String, subject: String = "Test") async throws -> (IMAPClient, UInt32, UInt32, [UInt8]) {
    let id = uniqueMessageID()
    let raw = customerMail(from: MailStack.customer, to: mailbox, subject: subject, body: body, messageID: id)
    try await stack.inject(raw, from: MailStack.customer, to: [mailbox])
    _ = try await stack.waitForMessages(mailbox, header: "Message-ID", contains: id)
    let client = try stack.imap(mailbox)
    let validity = try #require(try await client.status(of: "INBOX").uidValidity)
    let uid = try #require(
      try await client.uids(in: "INBOX", uidValidity: validity, header: "Message-ID", contains: id).first)
    return (client, validity, uid, raw)
  }

  @Test("IMAPS with the stack's CA: STATUS answers with UIDVALIDITY and UIDNEXT")
  func imapsVerified() async throws {
    let status = try await stack.imap(mailbox).status(of: "INBOX")
    #expect(status.uidValidity != nil)
    #expect(status.uidNext != nil)
  }

  @Test("IMAPS without the CA fails with a TLS verification error")
  func imapsUnverified() async throws {
    let client = IMAPClient(
      endpoint: try ServerEndpoint(stack.imapsURL, service: .imap),
      account: Account(user: mailbox, password: Secret(stack.password)), options: TransportOptions(connectTimeout: 10),
      logger: MailStack.logger)
    await #expect {
      try await client.status(of: "INBOX")
    } throws: { error in
      (error as? IMAPError)?.reason == .connection(.tlsFailed) && "\(error)".contains("SUPPORTBOT_CA_FILE")
    }
  }

  @Test("imap:// upgrades with STARTTLS on port 143")
  func startTLS() async throws {
    let client = try stack.imap(mailbox, url: stack.imapURL + "/INBOX")
    #expect(client.endpoint.security == .startTLS)
    #expect(try await client.status(of: "INBOX").uidValidity != nil)
  }

  @Test("a wrong password is an authentication error naming server and account, never the password")
  func wrongPassword() async throws {
    let client = try stack.imap(mailbox, password: "Zly-Haslo-987")
    await #expect {
      try await client.status(of: "INBOX")
    } throws: { error in
      let text = "\(error)"
      return (error as? IMAPError)?.reason == .connection(.authenticationFailed)
        && text.contains(mailbox) && text.contains("127.0.0.1") && !text.contains("Zly-Haslo-987")
    }
  }

  @Test("a missing mailbox has its own error, and the connection stays usable")
  func missingMailbox() async throws {
    let client = try stack.imap(mailbox)
    await #expect {
      try await client.uids(in: "Nie-Ma-Takiego", uidValidity: 1, above: 0)
    } throws: { error in
      (error as? IMAPError)?.reason == .mailboxMissing
    }
    await #expect {
      try await client.status(of: "Nie-Ma-Takiego")
    } throws: { error in
      (error as? IMAPError)?.reason == .mailboxMissing
    }
    #expect(try await client.status(of: "INBOX").uidValidity != nil)
  }

  @Test("lines that look like IMAP responses inside a mail do not cut it short")
  func protocolLookalikes() async throws {
    let body = "Dzień dobry,\r\nA004 OK done\r\n* 99 EXISTS\r\n)\r\nA005 BAD nic\r\nkoniec"
    let (client, validity, uid, raw) = try await deliver(body: body)
    let fetched = try await client.fetchMessage(in: "INBOX", uidValidity: validity, uid: uid)
    // Postfix and Dovecot add trace headers on top: the message we sent is the tail, byte for byte.
    #expect(fetched.count > raw.count)
    #expect(Array(fetched.suffix(raw.count)) == raw)
    // The connection is still in step: the next command on it works.
    let again = try await client.metadata(in: "INBOX", uidValidity: validity, uids: [uid])
    #expect(again.map(\.uid) == [uid])
  }

  @Test("fetching a mail leaves it unread, as staff expect")
  func fetchKeepsUnread() async throws {
    let (client, validity, uid, _) = try await deliver(body: "Proszę o klucz licencyjny.")
    _ = try await client.fetchMessage(in: "INBOX", uidValidity: validity, uid: uid)
    let flags = try await client.metadata(in: "INBOX", uidValidity: validity, uids: [uid])
    #expect(flags.first?.isSeen == false)

    try await client.store(in: "INBOX", uidValidity: validity, uids: [uid], flags: ["\\Seen"], add: true)
    _ = try await client.fetchMessage(in: "INBOX", uidValidity: validity, uid: uid)
    #expect(try await client.metadata(in: "INBOX", uidValidity: validity, uids: [uid]).first?.isSeen == true)
  }

  @Test("keywords are stored and read back")
  func keywords() async throws {
    let (client, validity, uid, _) = try await deliver(body: "Test słów kluczowych.")
    try await client.store(in: "INBOX", uidValidity: validity, uids: [uid], flags: ["$SupportbotReplied"], add: true)
    let flags = try await client.metadata(in: "INBOX", uidValidity: validity, uids: [uid]).first?.flags ?? []
    #expect(flags.contains("$SupportbotReplied"))
  }

  @Test("a stale UIDVALIDITY is refused instead of reading the wrong mail")
  func staleUIDValidity() async throws {
    let (client, validity, uid, _) = try await deliver(body: "UIDVALIDITY")
    await #expect {
      try await client.fetchMessage(in: "INBOX", uidValidity: validity &+ 1, uid: uid)
    } throws: { error in
      (error as? IMAPError)?.reason == .uidValidityChanged
    }
  }

  @Test("a UID that does not exist is 'message missing'")
  func missingUID() async throws {
    let client = try stack.imap(mailbox)
    let status = try await client.status(of: "INBOX")
    let validity = try #require(status.uidValidity)
    await #expect {
      try await client.fetchMessage(in: "INBOX", uidValidity: validity, uid: (status.uidNext ?? 1) + 1000)
    } throws: { error in
      (error as? IMAPError)?.reason == .messageMissing
    }
  }

  @Test("searching above the highest UID returns nothing, not the last mail")
  func searchAboveEnd() async throws {
    let (client, validity, uid, _) = try await deliver(body: "Ostatnia")
    let above = try await client.uids(in: "INBOX", uidValidity: validity, above: uid + 100)
    #expect(above.isEmpty)
  }

  @Test("a mail delivered while the connection has the mailbox selected is seen by the next STATUS and search")
  func freshAfterSelect() async throws {
    // Dovecot answers STATUS on the selected mailbox from the session's view,
    // which only moves on a NOOP: a long-running bot would never see new mail.
    let (client, validity, uid, _) = try await deliver(body: "Pierwsza")
    let id = uniqueMessageID()
    try await stack.inject(
      customerMail(from: MailStack.customer, to: mailbox, subject: "Druga", body: "Druga", messageID: id),
      from: MailStack.customer, to: [mailbox])
    _ = try await stack.waitForMessages(mailbox, header: "Message-ID", contains: id)
    let status = try await client.status(of: "INBOX")
    #expect((status.uidNext ?? 0) > uid + 1)
    #expect(try await client.uids(in: "INBOX", uidValidity: validity, above: uid).count >= 1)
  }

  @Test("SMTP submission with STARTTLS and AUTH delivers, several messages on one connection")
  func submission() async throws {
    let smtp = try stack.submission(MailStack.support)
    var ids: [String] = []
    for number in 1...3 {
      let id = uniqueMessageID()
      ids.append(id)
      let raw = customerMail(
        from: MailStack.support, to: mailbox, subject: "Wiadomość \(number)", body: "Treść \(number)", messageID: id)
      let receipt = try await smtp.send(envelopeSender: nil, recipients: [mailbox], message: raw)
      #expect(receipt.code == 250)
    }
    for id in ids {
      let arrived = try await stack.waitForMessages(mailbox, header: "Message-ID", contains: id)
      #expect(arrived.count == 1)
    }
  }

  @Test("SMTP with a wrong password is an authentication error, not retried, password not shown")
  func submissionWrongPassword() async throws {
    let smtp = try stack.submission(MailStack.support, password: "Zle-Haslo-123")
    let raw = customerMail(from: MailStack.support, to: mailbox, subject: "x", body: "x")
    await #expect {
      try await smtp.send(envelopeSender: nil, recipients: [mailbox], message: raw)
    } throws: { error in
      guard let error = error as? SMTPError else { return false }
      return error.reason == .connection(.authenticationFailed) && !error.isTemporary
        && !error.description.contains("Zle-Haslo-123") && error.description.contains(MailStack.support)
    }
  }

  /// A file holding `text`, for a token file or a token command's script.
  private func temporaryFile(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)").path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test("OAuth2: IMAP and SMTP log in with a bearer token from a file")
  func oauth2FromFile() async throws {
    let token = try stack.issueToken(for: MailStack.support)
    let account = Account(user: MailStack.support, token: TokenSource(file: try temporaryFile(token + "\n")))
    let imap = IMAPClient(
      endpoint: try ServerEndpoint(stack.imapsURL, service: .imap), account: account, options: stack.options,
      logger: MailStack.logger)
    #expect(try await imap.status(of: "INBOX").uidValidity != nil)
    let smtp = SMTPClient(
      endpoint: try ServerEndpoint(stack.submissionURL, service: .smtp), account: account, options: stack.options,
      logger: MailStack.logger)
    let id = uniqueMessageID()
    let raw = customerMail(from: MailStack.support, to: mailbox, subject: "OAuth2", body: "Token.", messageID: id)
    #expect(try await smtp.send(envelopeSender: nil, recipients: [mailbox], message: raw).code == 250)
    #expect(try await stack.waitForMessages(mailbox, header: "Message-ID", contains: id).count == 1)
  }

  @Test("OAuth2: a refused token is read afresh and the login tried once more; a bad one is an error without it")
  func oauth2Refresh() async throws {
    // The command hands out an expired token first, a valid one after, as a refresh would.
    let fresh = try stack.issueToken(for: MailStack.support)
    let counter = try temporaryFile("")
    let script = try temporaryFile(
      """
      if [ -s \(counter) ]; then echo \(fresh); else echo 1 > \(counter); echo tok-expired-secret-value; fi
      """)
    // Read by sh, not executed: a child process another test starts while the
    // script is being written inherits its write handle, and exec'ing a file
    // open for writing fails with "Text file busy".
    let account = Account(user: MailStack.support, token: TokenSource(command: "/bin/sh \(script)"))
    let imap = IMAPClient(
      endpoint: try ServerEndpoint(stack.imapsURL, service: .imap), account: account, options: stack.options,
      logger: MailStack.logger)
    #expect(try await imap.status(of: "INBOX").uidValidity != nil)

    let revoked = Account(user: MailStack.support, token: TokenSource(file: try temporaryFile("tok-never-issued-42")))
    let refused = IMAPClient(
      endpoint: try ServerEndpoint(stack.imapsURL, service: .imap), account: revoked, options: stack.options,
      logger: MailStack.logger)
    await #expect {
      try await refused.status(of: "INBOX")
    } throws: { error in
      guard let error = error as? IMAPError else { return false }
      return error.reason == .connection(.authenticationFailed) && !"\(error)".contains("tok-never-issued-42")
        && "\(error)".contains("OAUTH2_TOKEN")
    }
  }

  @Test(
    "OAuth2: a token command that fails, prints nothing or is missing says so, with its words, never a token",
    arguments: [
      (
        "echo 'invalid_grant: refresh token expired' >&2; exit 3", "exited with 3: invalid_grant: refresh token expired"
      ),
      ("true", "it gave no token"),
      ("/nonexistent/get-token", "exited with 127"),
    ])
  func oauth2CommandFails(command: String, expected: String) async throws {
    let account = Account(user: MailStack.support, token: TokenSource(command: command))
    let imap = IMAPClient(
      endpoint: try ServerEndpoint(stack.imapsURL, service: .imap), account: account, options: stack.options,
      logger: MailStack.logger)
    await #expect {
      try await imap.status(of: "INBOX")
    } throws: { error in
      guard let error = error as? IMAPError else { return false }
      return error.reason == .connection(.tokenUnavailable) && "\(error)".contains(expected)
        && "\(error)".contains("the OAuth2 token command")
    }
  }

  @Test("a recipient the server does not know is a permanent rejection")
  func unknownRecipient() async throws {
    let smtp = try stack.submission(MailStack.support)
    let raw = customerMail(from: MailStack.support, to: "nikt@example.test", subject: "x", body: "x")
    await #expect {
      try await smtp.send(envelopeSender: nil, recipients: ["nikt@example.test"], message: raw)
    } throws: { error in
      guard let error = error as? SMTPError, case .rejectedPermanently(let code) = error.reason else { return false }
      return (500..<600).contains(code) && !error.isTemporary
    }
  }
}

@Suite("The mail stack is there when the test script says it must be")
struct MailStackPresence {
  @Test("SUPPORTBOT_REQUIRE_MAILSTACK=1 means the network tests really ran")
  func present() {
    if MailStack.isRequired {
      #expect(MailStack.isAvailable, "scripts/test.sh started the mail stack but its settings did not reach the tests")
    }
  }
}

/// The IMAP paths beyond reading: capabilities, APPEND, MOVE and its
/// COPY/EXPUNGE fallback, partial fetches of big mails, large mailboxes.
@Suite("IMAP mailbox work against the local stack", .enabled(if: MailStack.isAvailable))
struct LiveMailboxTests {
  let stack = MailStack.current!
  let account = MailStack.otherCustomer

  func folder(_ client: IMAPClient, _ name: String) async throws -> String {
    let folder = "\(name)-\(UUID().uuidString.prefix(8))"
    try await client.createMailbox(folder)
    return folder
  }

  @Test("Dovecot offers what the bot uses: IDLE, MOVE, UIDPLUS")
  func capabilities() async throws {
    let capabilities = try await stack.imap(account).capabilities()
    #expect(capabilities.isSuperset(of: ["IDLE", "MOVE", "UIDPLUS"]), "\(capabilities)")
  }

  @Test("APPEND stores a message byte for byte, read (libcurl always sends \\Seen), and tells its UID")
  func append() async throws {
    let client = try stack.imap(account)
    let sent = try await folder(client, "Sent")
    let id = uniqueMessageID()
    let raw = customerMail(
      from: MailStack.support, to: account, subject: "Kopia odpowiedzi", body: "Treść", messageID: id)
    let appended = try await client.append(raw, to: sent)
    let validity = try #require(try await client.status(of: sent).uidValidity)
    let uids = try await client.uids(in: sent, uidValidity: validity, header: "Message-ID", contains: id)
    try #require(uids.count == 1)
    #expect(appended?.uid == uids[0] && appended?.uidValidity == validity)
    #expect(try await client.fetchMessage(in: sent, uidValidity: validity, uid: uids[0]) == raw)
    #expect(try await client.metadata(in: sent, uidValidity: validity, uids: uids).first?.isSeen == true)
  }

  @Test("MOVE, and the COPY + \\Deleted + UID EXPUNGE path for servers without it", arguments: [true, false])
  func move(useMove: Bool) async throws {
    let client = IMAPClient(
      endpoint: try ServerEndpoint(stack.imapsURL, service: .imap),
      account: Account(user: account, password: Secret(stack.password)), options: stack.options,
      logger: MailStack.logger, useMove: useMove)
    let source = try await folder(client, "Move-From")
    let target = try await folder(client, "Move-To")
    let ids = [uniqueMessageID(), uniqueMessageID(), uniqueMessageID()]
    for id in ids {
      try await client.append(
        customerMail(from: "a@b.pl", to: account, subject: "x", body: "x", messageID: id), to: source)
    }
    let sourceValidity = try #require(try await client.status(of: source).uidValidity)
    let all = try await client.uids(in: source, uidValidity: sourceValidity, above: 0)
    try await client.move(from: source, uidValidity: sourceValidity, uids: Array(all.prefix(2)), to: target)
    #expect(try await client.uids(in: source, uidValidity: sourceValidity, above: 0) == [all[2]])
    let targetValidity = try #require(try await client.status(of: target).uidValidity)
    #expect(
      try await client.uids(in: target, uidValidity: targetValidity, header: "Message-ID", contains: ids[0]).count == 1)
    #expect(try await client.status(of: target).messages == 2)
  }

  @Test("a 30 MB mail is read only as far as the limit, headers and text included")
  func partialFetch() async throws {
    let id = uniqueMessageID()
    let attachment = TransferEncoding.encodeBase64([UInt8](repeating: 0x42, count: 22 << 20))
    var lines: [String] = []
    var index = attachment.startIndex
    while index < attachment.endIndex {
      let end = attachment.index(index, offsetBy: 76, limitedBy: attachment.endIndex) ?? attachment.endIndex
      lines.append(String(attachment[index..<end]))
      index = end
    }
    let raw = Array(
      ([
        "From: Jan <jan@firma.pl>", "To: \(account)", "Subject: =?UTF-8?Q?Du=C5=BCy_za=C5=82=C4=85cznik?=",
        "Message-ID: \(id)", "MIME-Version: 1.0", "Content-Type: multipart/mixed; boundary=b1", "", "--b1",
        "Content-Type: text/plain; charset=UTF-8", "", "W załączniku baza do analizy.", "--b1",
        "Content-Type: application/octet-stream; name=baza.fdb", "Content-Transfer-Encoding: base64", "",
      ] + lines + ["--b1--", ""]).joined(separator: "\r\n").utf8)
    #expect(raw.count > 30_000_000)
    try await stack.inject(raw, from: "jan@firma.pl", to: [account])
    _ = try await stack.waitForMessages(account, header: "Message-ID", contains: id, timeout: .seconds(60))
    let client = try stack.imap(account)
    let validity = try #require(try await client.status(of: "INBOX").uidValidity)
    let uid = try #require(
      try await client.uids(in: "INBOX", uidValidity: validity, header: "Message-ID", contains: id).first)
    let fetched = try await client.fetchMessage(in: "INBOX", uidValidity: validity, uid: uid, limit: 1 << 20)
    #expect(fetched.isPartial)
    #expect(fetched.bytes.count == 1 << 20)
    #expect(fetched.size > 30_000_000)
    let message = Message(parsing: fetched.bytes)
    #expect(message.subject == "Duży załącznik")
    #expect(message.text.contains("W załączniku baza do analizy."))
    #expect(message.attachments.first?.filename == "baza.fdb")
  }

  @Test("a mailbox of 2,000 messages: after 3 new arrivals the search returns exactly those 3")
  func largeMailbox() async throws {
    let client = try stack.imap(account)
    let big = try await folder(client, "Big")
    for number in 0..<2000 {
      try await client.append(
        Array("From: a@b.pl\r\nSubject: \(number)\r\nMessage-ID: <big-\(number)@b.pl>\r\n\r\nx\r\n".utf8), to: big)
    }
    let validity = try #require(try await client.status(of: big).uidValidity)
    let last = try #require(try await client.uids(in: big, uidValidity: validity, above: 0).last)
    let fresh = (0..<3).map { "<new-\($0)-\(UUID().uuidString)@b.pl>" }
    for id in fresh { try await client.append(Array("From: a@b.pl\r\nMessage-ID: \(id)\r\n\r\nnew\r\n".utf8), to: big) }
    let found = try await client.uids(in: big, uidValidity: validity, above: last)
    #expect(found.count == 3, "last \(last), found \(found)")
    let metadata = try await client.metadata(in: big, uidValidity: validity, uids: found)
    #expect(metadata.map(\.uid) == found)
    #expect(try await client.status(of: big).messages == 2003)
  }

  @Test(
    "a UIDNEXT near 4 billion over a sparse mailbox costs a few searches, and finds every mail",
    .timeLimit(.minutes(1)))
  func hugeUIDNext() async throws {
    let client = try stack.imap(account)
    let box = try await folder(client, "Sparse")
    for number in 0..<3 {
      try await client.append(Array("From: a@b.pl\r\nSubject: \(number)\r\n\r\nx\r\n".utf8), to: box)
    }
    // The server jumps its UIDs (as after an import or a migration); the next mail gets a UID near 4 billion.
    try stack.doveadm(["mailbox", "update", "-u", account, "--min-next-uid", "4000000000", box])
    try await client.append(Array("From: a@b.pl\r\nSubject: late\r\n\r\nx\r\n".utf8), to: box)
    let validity = try #require(try await client.status(of: box).uidValidity)
    // Before, each 1,000-UID window was searched: four million searches.
    let all = try await client.uids(in: box, uidValidity: validity, above: 0)
    #expect(all.count == 4)
    #expect(all.last.map { $0 >= 4_000_000_000 } == true, "\(all)")
    #expect(try await client.uids(in: box, uidValidity: validity, above: all[2]) == [all[3]])
    #expect(try await client.uids(in: box, uidValidity: validity, above: all[3]).isEmpty)
  }

  @Test("flags of 300 mails, read 20 times on one connection, never trip libcurl's overcounting of response lines")
  func manyResponseLines() async throws {
    let client = try stack.imap(account)
    let box = try await folder(client, "Long")
    for number in 0..<300 {
      try await client.append(Array("From: a@b.pl\r\nSubject: \(number)\r\n\r\nx\r\n".utf8), to: box)
    }
    let validity = try #require(try await client.status(of: box).uidValidity)
    let uids = try await client.uids(in: box, uidValidity: validity, above: 0)
    // 200 metadata lines in one answer are enough to fail now and then.
    for _ in 0..<20 {
      #expect(try await client.metadata(in: box, uidValidity: validity, uids: uids).count == 300)
    }
  }

  @Test("SMTP keeps the server's words: 'queued as' on success, the reason of a refusal")
  func smtpWords() async throws {
    let smtp = try stack.submission(MailStack.support)
    let receipt = try await smtp.send(
      envelopeSender: nil, recipients: [account],
      message: customerMail(from: MailStack.support, to: account, subject: "x", body: "x"))
    #expect(receipt.text.contains("queued as"), "\(receipt.text)")
    await #expect {
      try await smtp.send(
        envelopeSender: nil, recipients: ["nikt@example.test"],
        message: customerMail(from: MailStack.support, to: "nikt@example.test", subject: "x", body: "x"))
    } throws: { error in
      "\(error)".contains("User unknown")
    }
  }
}

@Suite("IMAP IDLE against the local stack", .enabled(if: MailStack.isAvailable))
struct LiveIdleTests {
  let stack = MailStack.current!

  @Test("a mail delivered over SMTP wakes an idling client within seconds; it then idles again")
  func idle() async throws {
    let account = MailStack.otherCustomer
    let idler = IMAPIdler(
      endpoint: try ServerEndpoint(stack.imapsURL, service: .imap),
      account: Account(user: account, password: Secret(stack.password)), mailbox: "INBOX", options: stack.options,
      logger: MailStack.logger)
    // Connect, EXAMINE, IDLE; other tests may deliver meanwhile, so drain what they caused.
    while try await idler.waitForChange(timeout: .milliseconds(300)) {}
    let started = ContinuousClock.now
    try await stack.inject(
      customerMail(from: "jan@firma.pl", to: account, subject: "IDLE", body: "Nowa wiadomość"), from: "jan@firma.pl",
      to: [account])
    #expect(try await idler.waitForChange(timeout: .seconds(10)))
    let latency = ContinuousClock.now - started
    print("IDLE reported the new mail after \(latency)")
    #expect(latency < .seconds(10))
    // Idling again works on the same connection.
    _ = try await idler.waitForChange(timeout: .milliseconds(200))
    await idler.close()
  }

  @Test("IDLE on a mailbox that does not exist is its own error")
  func missingMailbox() async throws {
    let idler = IMAPIdler(
      endpoint: try ServerEndpoint(stack.imapsURL, service: .imap),
      account: Account(user: MailStack.otherCustomer, password: Secret(stack.password)), mailbox: "Nie-Ma",
      options: stack.options, logger: MailStack.logger)
    await #expect {
      try await idler.waitForChange(timeout: .seconds(1))
    } throws: { error in
      (error as? IMAPError)?.reason == .mailboxMissing
    }
  }
}
