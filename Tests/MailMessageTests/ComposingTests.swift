import Foundation
import Testing

@testable import MailMessage

@Suite("Composing the messages we send")
struct ComposingTests {
  static let date = Date(timeIntervalSince1970: 1_795_595_400)  // 2026-11-25 08:30 UTC

  func reply(
    subject: String = "Re: Błąd przy zamykaniu miesiąca", toName: String? = "Anna Nowak",
    text: String = "Dzień dobry,\nzgłoszenie przyjęte."
  )
    -> OutgoingMessage
  {
    OutgoingMessage(
      from: MailAddress(name: "Pomoc techniczna PWSK", address: "pomoc@pwsk.pl"),
      to: [MailAddress(name: toName, address: "anna.nowak@hurtownia-lublin.pl")],
      subject: subject, date: Self.date, messageID: "<sb.0123456789abcdef@pwsk.pl>",
      inReplyTo: "<orig@hurtownia-lublin.pl>", references: ["<first@x.pl>", "<orig@hurtownia-lublin.pl>"],
      extraHeaders: [HeaderField(name: "Auto-Submitted", value: "auto-replied")], text: text)
  }

  func headerNames(_ bytes: [UInt8]) -> [String] {
    let text = String(decoding: bytes, as: UTF8.self)
    let head = text.components(separatedBy: "\r\n\r\n")[0]
    return head.components(separatedBy: "\r\n").filter { !$0.hasPrefix(" ") }.map { String($0.prefix { $0 != ":" }) }
  }

  @Test("the reply has exactly the expected headers, in order")
  func headerSet() throws {
    let bytes = try reply().render()
    #expect(
      headerNames(bytes) == [
        "Date", "From", "To", "Subject", "Message-ID", "In-Reply-To", "References", "Auto-Submitted", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding",
      ])
    let text = String(decoding: bytes, as: UTF8.self)
    #expect(text.contains("Date: Wed, 25 Nov 2026 09:30:00 +0100\r\n"))
    #expect(text.contains("Content-Type: text/plain; charset=UTF-8\r\n"))
    #expect(text.contains("Content-Transfer-Encoding: quoted-printable\r\n"))
    #expect(text.contains("In-Reply-To: <orig@hurtownia-lublin.pl>\r\n"))
  }

  @Test("CRLF everywhere, no bare LF or CR, 7-bit only, lines within limits")
  func lineDiscipline() throws {
    let long = String(repeating: "Bardzo długi wiersz z polskimi znakami: zażółć gęślą jaźń. ", count: 8)
    let bytes = try reply(
      subject: "Re: " + long, toName: "Przedsiębiorstwo Handlowo-Usługowe Żółć i Wspólnicy Spółka Jawna",
      text: long + "\n\n" + long
    ).render()
    #expect(bytes.allSatisfy { $0 < 0x80 })
    for (index, byte) in bytes.enumerated() {
      if byte == 0x0A { #expect(index > 0 && bytes[index - 1] == 0x0D, "bare LF at \(index)") }
      if byte == 0x0D { #expect(index + 1 < bytes.count && bytes[index + 1] == 0x0A, "bare CR at \(index)") }
    }
    let text = String(decoding: bytes, as: UTF8.self)
    let parts = text.components(separatedBy: "\r\n\r\n")
    for line in parts[0].components(separatedBy: "\r\n") {
      #expect(line.utf8.count <= 78, "header line too long: \(line)")
    }
    for line in parts.dropFirst().joined(separator: "\r\n\r\n").components(separatedBy: "\r\n") {
      #expect(line.utf8.count <= 76)
    }
  }

  @Test("what we write, we read back: subject, names and text survive the round trip")
  func roundTrip() throws {
    let original = reply(subject: "Re: Zażółć gęślą jaźń – „cudzysłów” i emoji 📦", toName: "Łukasz \"Łuki\" Wiśniewski")
    let parsed = Message(parsing: try original.render())
    #expect(parsed.subject == original.subject)
    #expect(parsed.to.first?.name == "Łukasz \"Łuki\" Wiśniewski")
    #expect(parsed.from == original.from)
    #expect(parsed.messageID == original.messageID)
    #expect(parsed.references == original.references)
    #expect(parsed.text == "Dzień dobry,\nzgłoszenie przyjęte.")
  }

  @Test(
    "CR, LF and NUL from a customer's subject or name can never start a header",
    arguments: [
      "Pytanie\r\nBcc: ofiara@example.com",
      "Pytanie\nBcc: ofiara@example.com",
      "Pytanie\rBcc: ofiara@example.com",
      "Pytanie\0\r\n\r\nwstrzyknięta treść",
    ])
  func headerInjection(hostile: String) throws {
    let bytes = try reply(subject: hostile, toName: hostile).render()
    let parsed = Message(parsing: bytes)
    #expect(!parsed.headers.contains("Bcc"))
    #expect(parsed.headers.all("Subject").count == 1)
    #expect(!parsed.text.contains("wstrzyknięta"))
    #expect(!bytes.contains(0))
  }

  @Test(
    "addresses that cannot be written safely are refused",
    arguments: ["anna@x.pl\r\nBcc: b@y.pl", "anna", "a b@x.pl", "<anna@x.pl>", "anna@x.pl, b@y.pl"])
  func unsafeAddress(address: String) {
    var message = reply()
    message.to = [MailAddress(address: address)]
    #expect(throws: MailMessageError.invalidAddress(address)) { try message.render() }
  }

  @Test("quoted-printable output: escapes '=', trailing spaces and a leading dot")
  func quotedPrintableEncoding() {
    #expect(TransferEncoding.encodeQuotedPrintable("a=b") == "a=3Db")
    #expect(TransferEncoding.encodeQuotedPrintable("koniec ") == "koniec=20")
    #expect(TransferEncoding.encodeQuotedPrintable(".\nFrom x") == "=2E\r\n=46rom x")
    let long = String(repeating: "ą", count: 60)
    let encoded = TransferEncoding.encodeQuotedPrintable(long)
    #expect(encoded.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 76 })
    #expect(String(decoding: TransferEncoding.decodeQuotedPrintable(Array(encoded.utf8)), as: UTF8.self) == long)
  }

  @Test("encoded words hold whole characters and stay within 75 characters")
  func encodedWordLimits() {
    let subject = String(repeating: "żółw ", count: 30)
    let encoded = EncodedWords.encode(subject)
    for word in encoded.split(separator: " ") { #expect(word.count <= 75) }
    #expect(EncodedWords.decode(encoded) == subject)
    #expect(EncodedWords.encode("Plain ASCII subject") == "Plain ASCII subject")
  }
}

@Suite("Composing with an HTML alternative")
struct HTMLAlternativeTests {
  @Test("plain and HTML parts, both quoted-printable UTF-8; readers see the plain text; same bytes every time")
  func alternative() throws {
    let message = OutgoingMessage(
      from: MailAddress(address: "pomoc@pwsk.pl"), to: [MailAddress(address: "jan@firma.pl")], subject: "Re: Błąd",
      date: Date(timeIntervalSince1970: 0), messageID: "<sb.1@pwsk.pl>", text: "Dzień dobry,\nzgłoszenie przyjęte.",
      html: "<p>Dzień dobry,<br>zgłoszenie <b>przyjęte</b>.</p>")
    let bytes = try message.render()
    #expect(bytes == (try message.render()))
    #expect(bytes.allSatisfy { $0 < 0x80 })
    let parsed = Message(parsing: bytes)
    #expect(parsed.root.contentType.value == "multipart/alternative")
    #expect(parsed.root.parts.map(\.contentType.value) == ["text/plain", "text/html"])
    #expect(parsed.text == "Dzień dobry,\nzgłoszenie przyjęte.")
    #expect(parsed.root.parts[1].decodedText.contains("<b>przyjęte</b>"))
    #expect(parsed.warnings.isEmpty)
  }
}
