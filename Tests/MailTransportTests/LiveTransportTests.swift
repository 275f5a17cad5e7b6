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
