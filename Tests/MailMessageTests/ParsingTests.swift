import Foundation
import Testing

@testable import MailMessage

/// A fixture from Tests/MailMessageTests/Fixtures, parsed.
func fixture(_ name: String) throws -> Message {
  let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
  return Message(parsing: [UInt8](try Data(contentsOf: url)))
}

struct FixtureExpectation: Sendable, CustomTestStringConvertible {
  var file: String
  var subject: String
  var fromName: String?
  var fromAddress: String
  var replyAddress: String
  var messageID: String
  var textContains: [String]
  var textLacks: [String] = []

  var testDescription: String { file }
}

@Suite("Parsing mail as real clients send it")
struct ParsingTests {
  @Test(
    "decoded fields of each fixture",
    arguments: [
      FixtureExpectation(
        file: "thunderbird-utf8.eml", subject: "Błąd przy zamykaniu miesiąca", fromName: "Anna Nowak",
        fromAddress: "anna.nowak@hurtownia-lublin.pl", replyAddress: "anna.nowak@hurtownia-lublin.pl",
        messageID: "<5f1c2a9e-3b4d-4c1e-9a7b-2d0e6f1a8c3b@hurtownia-lublin.pl>",
        textContains: ["Dzień dobry,", "Błąd 1045"]),
      FixtureExpectation(
        file: "outlook-cp1250-qp.eml", subject: "Klucz licencyjny – zmiana serwera", fromName: "Łukasz Wiśniewski",
        fromAddress: "l.wisniewski@magazyny-polska.pl", replyAddress: "l.wisniewski@magazyny-polska.pl",
        messageID: "<DB9PR01MB1234ABCD@DB9PR01MB1234.eurprd01.prod.outlook.com>",
        textContains: ["proszę o przesłanie klucza licencyjnego", "Z poważaniem"]),
      FixtureExpectation(
        file: "gmail-alternative.eml", subject: "Wymagania systemowe", fromName: "Tomasz Zieliński",
        fromAddress: "tomasz.zielinski.firma@gmail.com", replyAddress: "biuro@zielinski-transport.pl",
        messageID: "<CAF8xZ1kQmN3rT+YpQ@mail.gmail.com>",
        textContains: ["czy program działa na Windows 11"], textLacks: ["<div", "&nbsp;"]),
      FixtureExpectation(
        file: "html-only-latin2-lf.eml", subject: "Drukarka fiskalna", fromName: nil,
        fromAddress: "biuro@sklep-gdansk.pl", replyAddress: "biuro@sklep-gdansk.pl",
        messageID: "<20261125100100.4711@sklep-gdansk.pl>",
        textContains: ["Dzień dobry,", "drukarka fiskalna nie drukuje paragonów – proszę o pomoc.", "- model: Posnet"],
        textLacks: ["<p>", "color:red"]),
    ])
  func fixtureFields(_ expected: FixtureExpectation) throws {
    let message = try fixture(expected.file)
    #expect(message.subject == expected.subject)
    #expect(message.from?.name == expected.fromName)
    #expect(message.from?.address == expected.fromAddress)
    #expect(message.replyAddress?.address == expected.replyAddress)
    #expect(message.messageID == expected.messageID)
    for phrase in expected.textContains { #expect(message.text.contains(phrase), "text lacks \(phrase)") }
    for phrase in expected.textLacks { #expect(!message.text.contains(phrase), "text has \(phrase)") }
    #expect(message.warnings.isEmpty)
  }

  @Test(
    "RFC 2047 encoded words",
    arguments: [
      ("=?UTF-8?Q?Zg=C5=82oszenie?=", "Zgłoszenie"),
      ("=?utf-8?b?WmfFgm9zemVuaWU=?=", "Zgłoszenie"),
      ("Re: =?UTF-8?Q?b=C5=82=C4=85d?= w programie", "Re: błąd w programie"),
      // Whitespace between adjacent encoded words disappears.
      ("=?UTF-8?Q?Dzie=C5=84?= =?UTF-8?Q?_dobry?=", "Dzień dobry"),
      // A two-byte character split across two words comes out whole.
      ("=?UTF-8?Q?Zg=C5?= =?UTF-8?Q?=82oszenie?=", "Zgłoszenie"),
      ("=?iso-8859-2?Q?=A3=F3d=BC?=", "Łódź"),
      ("=?unknown-charset?Q?abc?=", "abc"),
      ("not =?encoded", "not =?encoded"),
      // Blanks after an encoded word stay when plain text follows, and at the end.
      ("=?UTF-8?Q?Zg=C5=82oszenie?= nr 12", "Zgłoszenie nr 12"),
      ("=?UTF-8?Q?Zg=C5=82oszenie?=  ", "Zgłoszenie  "),
      // Adjacent words in different charsets are decoded each in its own; case of the charset does not matter.
      ("=?UTF-8?Q?=C5=81?= =?iso-8859-2?Q?=F3d=BC?=", "Łódź"),
      ("=?utf-8?q?Zg=C5?=\t=?UTF-8?Q?=82oszenie?=", "Zgłoszenie"),
      ("=?UTF-8*pl?Q?J=C4=99zyk?=", "Język"),
      // Not encoded words: unknown encoding, a space inside, no end.
      ("=?UTF-8?X?abc?=", "=?UTF-8?X?abc?="),
      ("=?UTF-8?Q?a b?=", "=?UTF-8?Q?a b?="),
      ("=?UTF-8?Q?abc", "=?UTF-8?Q?abc"),
    ])
  func encodedWords(raw: String, decoded: String) {
    #expect(EncodedWords.decode(raw) == decoded)
  }

  @Test(
    "address lists",
    arguments: [
      ("Jan Kowalski <jan@firma.pl>", [MailAddress(name: "Jan Kowalski", address: "jan@firma.pl")]),
      (
        "\"Kowalski, Jan\" <jan@firma.pl>, anna@firma.pl",
        [
          MailAddress(name: "Kowalski, Jan", address: "jan@firma.pl"), MailAddress(address: "anna@firma.pl"),
        ]
      ),
      ("jan@firma.pl (Jan Kowalski)", [MailAddress(name: "Jan Kowalski", address: "jan@firma.pl")]),
      ("=?UTF-8?Q?=C5=81ukasz?= <l@x.pl>", [MailAddress(name: "Łukasz", address: "l@x.pl")]),
      ("Zarząd: a@x.pl, b@x.pl;", [MailAddress(address: "a@x.pl"), MailAddress(address: "b@x.pl")]),
      ("undisclosed-recipients:;", []),
      ("\"Jan \\\"Szef\\\" K.\" <jan@firma.pl>", [MailAddress(name: "Jan \"Szef\" K.", address: "jan@firma.pl")]),
      ("Jan (dział IT) Kowalski <jan@firma.pl>", [MailAddress(name: "Jan  Kowalski", address: "jan@firma.pl")]),
      ("<@relay.pl:jan@firma.pl>", [MailAddress(address: "jan@firma.pl")]),
      ("Zażółć Gęślą <zg@firma.pl>", [MailAddress(name: "Zażółć Gęślą", address: "zg@firma.pl")]),
      ("\u{A0}jan@firma.pl\u{A0}(Jan)", [MailAddress(name: "Jan", address: "jan@firma.pl")]),
      ("Jan Kowalski", []),
    ])
  func addresses(raw: String, expected: [MailAddress]) {
    #expect(MailAddress.parseList(raw) == expected)
  }

  @Test("folded headers are unfolded; In-Reply-To and References keep their order")
  func folding() {
    let message = Message(
      parsing:
        "Subject: Pierwsza linia\r\n  druga linia\r\nReferences: <a@x>\r\n <b@x>\r\n\t<c@x>\r\nIn-Reply-To: <c@x>\r\n\r\nbody"
    )
    #expect(message.subject == "Pierwsza linia  druga linia")
    #expect(message.references == ["<a@x>", "<b@x>", "<c@x>"])
    #expect(message.inReplyTo == ["<c@x>"])
    #expect(message.text == "body")
  }

  @Test("a multipart without its closing boundary still yields its text, with a warning")
  func missingClosingBoundary() {
    let message = Message(
      parsing: "Content-Type: multipart/mixed; boundary=XYZ\r\n\r\n--XYZ\r\nContent-Type: text/plain\r\n\r\nTreść\r\n")
    #expect(message.text.hasPrefix("Treść"))
    #expect(message.warnings.contains(.missingClosingBoundary))
  }

  @Test("deep nesting stops at the limit instead of recursing without end")
  func nestingLimit() {
    var text = ""
    for level in 0..<50 { text += "Content-Type: multipart/mixed; boundary=b\(level)\r\n\r\n--b\(level)\r\n" }
    text += "Content-Type: text/plain\r\n\r\nna dnie\r\n"
    let message = Message(parsing: text, limits: ParserLimits(maxDepth: 10))
    #expect(message.warnings.contains(.nestingTooDeep(limit: 10)))
  }

  @Test(
    "quoted-printable decoding: soft breaks, escapes, and broken escapes kept",
    arguments: [
      ("Zg=C5=82oszenie", "Zgłoszenie"),
      ("d=\r\nlugi wiersz", "dlugi wiersz"),
      ("d=\nlugi", "dlugi"),
      ("50=% rabatu", "50=% rabatu"),
      ("koniec=", "koniec"),
      ("koniec=  \t", "koniec"),
      ("d= \t\r\nalej", "dalej"),
      ("=3D=3d", "=="),
      ("", ""),
      ("bez znaku r\u{F3}wno\u{15B}ci", "bez znaku r\u{F3}wno\u{15B}ci"),
      ("=4", "=4"),
      ("a=\rb", "a=\rb"),
    ])
  func quotedPrintable(raw: String, decoded: String) {
    #expect(String(decoding: TransferEncoding.decodeQuotedPrintable(Array(raw.utf8)), as: UTF8.self) == decoded)
    // The same from a slice of a larger buffer (the parser hands over parts of the message).
    let framed = Array(("xx" + raw + "yy").utf8)
    let slice = framed[2..<(framed.count - 2)]
    #expect(String(decoding: TransferEncoding.decodeQuotedPrintable(slice), as: UTF8.self) == decoded)
  }

  @Test(
    "broken quoted-printable escapes are reported",
    arguments: [("=ZZ", true), ("=4", true), ("a=41", false), ("x=\r\n", false)])
  func quotedPrintableDamage(raw: String, damaged: Bool) {
    var wasDamaged = false
    _ = TransferEncoding.decodeQuotedPrintable(Array(raw.utf8), damaged: &wasDamaged)
    #expect(wasDamaged == damaged)
  }

  @Test("base64 with line breaks and missing padding")
  func base64() {
    #expect(
      String(decoding: TransferEncoding.decodeBase64(Array("WmfFgm9z\r\nemVuaWU".utf8)), as: UTF8.self) == "Zgłoszenie")
    #expect(TransferEncoding.encodeBase64(Array("Zgłoszenie".utf8)) == "WmfFgm9zemVuaWU=")
  }
}
