import Foundation
import MailMessage
import Testing

@testable import SupportPolicy

@Suite("Never answering robots, lists or ourselves (RFC 3834)")
struct LoopGuardTests {
  let loopGuard = LoopGuard(ownAddresses: ["pomoc@pwsk.pl"])

  func message(_ headers: [String], from: String = "Jan Kowalski <jan@firma.pl>") -> Message {
    Message(parsing: (["From: \(from)", "Subject: Pytanie"] + headers + ["", "Treść"]).joined(separator: "\r\n"))
  }

  @Test(
    "signals that forbid an automatic reply",
    arguments: [
      (["Auto-Submitted: auto-replied"], "jan@firma.pl", SkipReason.autoSubmitted),
      (["Auto-Submitted: auto-generated; owner-email=x@y.pl"], "jan@firma.pl", .autoSubmitted),
      (["X-Autoreply: yes"], "jan@firma.pl", .autoSubmitted),
      (["Return-Path: <>"], "jan@firma.pl", .bounce),
      (["Content-Type: multipart/report; report-type=delivery-status; boundary=x"], "jan@firma.pl", .bounce),
      (["List-Id: <pwsk-users.lists.pwsk.pl>"], "jan@firma.pl", .list),
      (["List-Unsubscribe: <mailto:leave@x.pl>"], "jan@firma.pl", .list),
      (["Precedence: bulk"], "jan@firma.pl", .bulk),
      (["Precedence: junk"], "jan@firma.pl", .bulk),
      (["X-Auto-Response-Suppress: DR, AutoReply"], "jan@firma.pl", .suppressed),
      (["X-Loop: pomoc@pwsk.pl"], "jan@firma.pl", .loop),
      ([], "Pomoc <POMOC@pwsk.pl>", .ownAddress),
      ([], "MAILER-DAEMON@mx.firma.pl", .robotSender),
      ([], "noreply@allegro.pl", .robotSender),
      ([], "no-reply@sklep.pl", .robotSender),
      ([], "lista-request@lists.pl", .robotSender),
      ([], "owner-lista@lists.pl", .robotSender),
      (["Reply-To: postmaster@firma.pl"], "jan@firma.pl", .robotSender),
      ([], "undisclosed-recipients:;", .noSender),
    ])
  func skips(headers: [String], from: String, reason: SkipReason) {
    #expect(loopGuard.reasonToSkip(message(headers, from: from)) == reason)
  }

  @Test(
    "ordinary customer mail is answered",
    arguments: [
      [],
      ["Auto-Submitted: no"],
      ["Precedence: first-class"],
      ["X-Auto-Response-Suppress: OOF"],
      ["X-Loop: someone-else@x.pl"],
      ["Return-Path: <jan@firma.pl>"],
    ])
  func answers(headers: [String]) {
    #expect(loopGuard.reasonToSkip(message(headers)) == nil)
  }

  @Test("an Exchange out-of-office note is recognised")
  func outOfOffice() throws {
    let url = try #require(
      Bundle.module.url(forResource: "exchange-out-of-office", withExtension: "eml", subdirectory: "Fixtures"))
    let message = Message(parsing: [UInt8](try Data(contentsOf: url)))
    #expect(loopGuard.reasonToSkip(message) == .autoSubmitted)
  }
}

@Suite("The auto-reply's threading and identity")
struct AutoReplyTests {
  @Test(
    "Re: is added once",
    arguments: [
      ("Błąd przy wydruku", "Re: Błąd przy wydruku"),
      ("Re: Błąd przy wydruku", "Re: Błąd przy wydruku"),
      ("RE: Błąd", "RE: Błąd"),
      ("Odp: Błąd", "Odp: Błąd"),
      ("", "Re: zgłoszenie"),
    ])
  func subject(original: String, expected: String) {
    #expect(AutoReply.replySubject(original) == expected)
  }

  @Test("the reply's Message-ID depends only on the original's identity")
  func deterministicID() {
    let first = AutoReply.messageID(for: "<abc@firma.pl>", domain: "pwsk.pl")
    #expect(first == AutoReply.messageID(for: "<abc@firma.pl>", domain: "pwsk.pl"))
    #expect(first != AutoReply.messageID(for: "<abd@firma.pl>", domain: "pwsk.pl"))
    #expect(first.hasPrefix("<sb.") && first.hasSuffix("@pwsk.pl>"))
  }

  @Test("threading headers, loop markers, and the reply goes to Reply-To")
  func threading() throws {
    let original = Message(
      parsing:
        "From: Jan <jan@gmail.com>\r\nReply-To: biuro@firma.pl\r\nSubject: Klucz\r\nMessage-ID: <m2@gmail.com>\r\nReferences: <m1@gmail.com>\r\n\r\nx"
    )
    let recipient = try #require(original.replyAddress)
    let reply = AutoReply.compose(
      to: original, recipient: recipient, from: MailAddress(name: "Pomoc", address: "pomoc@pwsk.pl"),
      text: "Dzień dobry",
      date: Date(timeIntervalSince1970: 0), identity: "<m2@gmail.com>")
    #expect(reply.to.map(\.address) == ["biuro@firma.pl"])
    #expect(reply.inReplyTo == "<m2@gmail.com>")
    #expect(reply.references == ["<m1@gmail.com>", "<m2@gmail.com>"])
    let parsed = Message(parsing: try reply.render())
    #expect(parsed.headers["Auto-Submitted"] == "auto-replied")
    #expect(parsed.headers["X-Loop"] == "pomoc@pwsk.pl")
    // Our own reply, seen again, is never answered.
    #expect(LoopGuard(ownAddresses: ["pomoc@pwsk.pl"]).reasonToSkip(parsed) != nil)
  }
}
