import Foundation
import Testing

@testable import MailMessage

@Suite("Header parameters, dates and charsets")
struct DecodingTests {
  @Test(
    "RFC 2231 and RFC 2047 file names",
    arguments: [
      ("attachment; filename*=UTF-8''faktura%20za%20us%C5%82ug%C4%99.pdf", "faktura za usługę.pdf"),
      ("attachment; filename*0*=UTF-8''Zam%C3%B3wienie%20; filename*1*=nr%2012.xlsx", "Zamówienie nr 12.xlsx"),
      ("attachment; filename*0=\"raport \"; filename*1=\"roczny.pdf\"", "raport roczny.pdf"),
      ("attachment; filename*=iso-8859-2'pl'%B6ci%B1ga.txt", "ściąga.txt"),
      ("attachment; filename=\"=?UTF-8?Q?Cennik_us=C5=82ug.pdf?=\"", "Cennik usług.pdf"),
      ("attachment; filename=\"plain.pdf\"; filename*=UTF-8''lepsza%20nazwa.pdf", "lepsza nazwa.pdf"),
      ("attachment; filename=\"a\\\"b.txt\"", "a\"b.txt"),
    ])
  func filenames(header: String, expected: String) {
    #expect(HeaderParameters(parsing: header).parameters["filename"] == expected)
  }

  @Test(
    "line ends of body text become LF and NUL bytes go",
    arguments: [
      ("a\r\nb\rc\n", "a\nb\nc\n"), ("\r\r\n", "\n\n"), ("abc", "abc"), ("a\u{0}b\r\n", "ab\n"), ("\r", "\n"),
      ("x\r\n\r\ny", "x\n\ny"), ("", ""), ("\u{0}", ""), ("żółć\r\nąę\r", "żółć\nąę\n"),
    ])
  func lineEnds(text: String, expected: String) {
    var bytes = Array(text.utf8)
    MIMEPart.normalizeLineEnds(&bytes)
    #expect(String(decoding: bytes, as: UTF8.self) == expected)
  }

  @Test(
    "line breaks in a decoded subject are found as Character.isNewline finds them",
    arguments: [
      "Zgłoszenie", "a\nb", "a\r\nb", "a\u{0B}b", "a\u{0C}", "\r", "a\u{85}b", "a\u{2028}b", "a\u{2029}",
      "a\u{2027}b", "Łódź ąę", "\u{A0}\u{C2}\u{85}",
    ])
  func lineBreaks(text: String) {
    #expect(text.utf8.containsLineBreak == text.contains(where: \.isNewline))
  }

  @Test(
    "Content-Type read from bytes agrees with the general parser",
    arguments: [
      "text/plain; charset=\"utf-8\"; format=flowed", "multipart/mixed;\tboundary=\"----=_Part_1_2.3\"",
      "TEXT/HTML; CHARSET=ISO-8859-2", "text/plain; charset=utf-8; charset=iso-8859-2", "text/plain;;",
      "text/plain; name",
      "multipart/alternative; boundary=\"a;b\"; x=1", "", "; charset=utf-8", "text/plain; =x; charset = \"\"",
      "application/pdf; name=\"=?UTF-8?Q?Cennik_us=C5=82ug.pdf?=\"", "text/plain; charset*=utf-8''x",
    ])
  func contentTypeFromBytes(value: String) {
    #expect(HeaderParameters(parsing: Array(value.utf8)[...]) == HeaderParameters(parsing: value))
  }

  @Test(
    "dates in the forms clients really send",
    arguments: [
      ("Wed, 25 Nov 2026 10:00:00 +0100", "2026-11-25T09:00:00Z"),
      ("25 Nov 2026 10:00:00 +0100", "2026-11-25T09:00:00Z"),
      ("Wed, 25 Nov 2026 10:00 +0100", "2026-11-25T09:00:00Z"),
      ("Wed, 25 Nov 26 10:00:00 +0100", "2026-11-25T09:00:00Z"),
      ("Wed, 25 Nov 2026 10:00:00 CET", "2026-11-25T09:00:00Z"),
      ("Wed, 25 Nov 2026 10:00:00 GMT+0100", "2026-11-25T09:00:00Z"),
      ("Wed, 25 Nov 2026 09:00:00 +0000 (UTC)", "2026-11-25T09:00:00Z"),
      ("Wed, 25 Nov 2026 10:00:00 (CET)", "2026-11-25T09:00:00Z"),
      ("Wed,  5 Nov 2026 10:00:00 -0500", "2026-11-05T15:00:00Z"),
      ("2026-11-25T10:00:00+01:00", "2026-11-25T09:00:00Z"),
      ("25-11-2026 10:00", "2026-11-25T09:00:00Z"),  // no zone: Poland (CET in November)
      ("25.07.2026 10:00", "2026-07-25T08:00:00Z"),  // no zone: Poland (CEST in July)
      ("śr., 25 lis 2026 10:00:00 +0100", "2026-11-25T09:00:00Z"),
      ("Thu, 29 Feb 2024 12:00:00 +0000", "2024-02-29T12:00:00Z"),
      ("Wed, 25 Nov 2026 10:00:00 +0100 (CET)", "2026-11-25T09:00:00Z"),
      ("wed, 25 NOV 2026 10:00:00 +0100", "2026-11-25T09:00:00Z"),
      ("Thu, 31 Dec 2026 23:59:60 -0000", "2026-12-31T23:59:59Z"),
      ("Wed, 25 Nov 2026 10:00:00 +0100 (CET) Dec", "2026-12-25T09:00:00Z"),  // a month word outside the comment
      ("GMT, 25 Nov 2026 10:00:00 +0100", "2026-11-25T10:00:00Z"),  // the first zone named wins
    ])
  func dates(text: String, expected: String) throws {
    let date = try #require(MailDate.parse(text))
    #expect(date.formatted(.iso8601) == expected)
    // The header path reads the common form from bytes: it must agree with the general parser.
    #expect(MailDate.parse(bytes: Array(text.utf8)[...]) == date)
  }

  @Test(
    "dates that are not dates",
    arguments: [
      "", "jutro", "Wed, 31 Feb 2026 10:00:00 +0100", "25 Nov 2026", "Fri, 29 Feb 2026 10:00 +0000",
      "Wed, 25 Nov 2026 24:00:00 +0100", "Wed, 25 Nov 2026 10:60:00 +0100",
    ])
  func notDates(text: String) {
    #expect(MailDate.parse(text) == nil)
    #expect(MailDate.parse(bytes: Array(text.utf8)[...]) == nil)
  }

  @Test(
    "the byte tables of the single-byte charsets read every byte as Foundation does",
    arguments: [String.Encoding.isoLatin1, .isoLatin2, .windowsCP1250])
  func singleByteTables(encoding: String.Encoding) throws {
    let bytes = (0...255).map(UInt8.init)
    let table = try #require(SingleByteCharset(encoding))
    #expect(table.decode(bytes) == String(data: Data(bytes), encoding: encoding))
  }

  static let polish = "Zażółć gęślą jaźń. Świętokrzyskie, Łódź, Ącki."

  @Test(
    "a wrongly declared or missing charset is recovered from the bytes",
    arguments: [
      (String.Encoding.windowsCP1250, "iso-8859-2", true),
      (.isoLatin2, "windows-1250", true),
      (.windowsCP1250, "us-ascii", true),
      (.isoLatin2, "utf-8", true),
      (.windowsCP1250, "windows-1250", false),
      (.isoLatin2, "iso-8859-2", false),
      (.utf8, "iso-8859-2", true),
    ] as [(String.Encoding, String, Bool)])
  func charsetRecovery(actual: String.Encoding, declared: String, recovered: Bool) throws {
    let bytes = try #require(Self.polish.data(using: actual))
    let result = Charset.decodeRecovering([UInt8](bytes), declared: declared)
    #expect(result.text == Self.polish)
    #expect(result.recovered == recovered || declared == "us-ascii")
  }

  @Test("Latin-1 text that happens to be valid for the declared charset stays as declared")
  func latin1Stays() {
    let bytes = [UInt8]("Café, señor, Müller".data(using: .isoLatin1)!)
    #expect(Charset.decodeRecovering(bytes, declared: "iso-8859-1").text == "Café, señor, Müller")
  }
}

@Suite("Readable text: format=flowed and HTML")
struct ReadableTextTests {
  @Test("format=flowed lines are joined into paragraphs; quotes and the signature delimiter stay")
  func flowed() {
    let text =
      "Dzień dobry, program nie \r\nzapisuje dokumentu \r\nMM.\r\n\r\n> cytat, który \r\n> się zawija\r\n-- \r\nJan"
    #expect(
      FlowedText.unflow(text, deleteSpace: false)
        == "Dzień dobry, program nie zapisuje dokumentu MM.\n\n> cytat, który się zawija\n-- \nJan")
    #expect(FlowedText.unflow("prze \r\nsłanie", deleteSpace: true) == "przesłanie")
    #expect(FlowedText.unflow(" From the start", deleteSpace: false) == "From the start")
    // A change of quote depth ends a paragraph even after a soft line; the last line break stays.
    #expect(FlowedText.unflow(">> stary \n> nowszy\n", deleteSpace: false) == ">> stary \n> nowszy\n")
    #expect(FlowedText.unflow("a \nb \n", deleteSpace: true) == "ab")
  }

  @Test(
    "HTML to text",
    arguments: [
      ("<p>Dzień dobry,</p><p>drukarka&nbsp;nie działa</p>", "Dzień dobry,\ndrukarka nie działa"),
      ("Linia 1<br>Linia 2<BR/>Linia 3", "Linia 1\nLinia 2\nLinia 3"),
      ("<ul><li>jeden</li><li>dwa</li></ul>", "- jeden\n- dwa"),
      ("<ol><li>jeden</li><li>dwa</li></ol>", "1. jeden\n2. dwa"),
      ("<table><tr><td>Kod</td><td>1045</td></tr><tr><td>Opis</td><td>błąd</td></tr></table>", "Kod 1045\nOpis błąd"),
      ("<style>p { color: red }</style><script>alert(1)</script><p>treść</p>", "treść"),
      ("<!--[if mso]><p>tylko Outlook</p><![endif]--><p>dla wszystkich</p>", "dla wszystkich"),
      ("&lt;b&gt; &amp; &#380;&#x142;&oacute;&#322;w &bdquo;cytat&rdquo;", "<b> & żłółw „cytat”"),
      ("<a href=\"x>y\">link</a> i <img alt=\"logo\" src=\"cid:x\">", "link i [logo]"),
      ("A &unknown; B & C", "A &unknown; B & C"),
      ("<p>   dużo    spacji \n\n i  linii </p>", "dużo spacji i linii"),
    ])
  func html(html: String, text: String) {
    #expect(HTMLText.plainText(html) == text)
  }

  @Test(
    "the quoted history of an HTML reply is cut",
    arguments: [
      "<div>Nowe pytanie</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">W dniu…</div><blockquote>stare</blockquote></div>",
      "<div>Nowe pytanie</div><div class=\"moz-cite-prefix\">W dniu 24.11.2026 Anna pisze:</div><blockquote type=\"cite\">stare</blockquote>",
      "<p>Nowe pytanie</p><div id=\"appendonsend\"></div><hr><div id=\"divRplyFwdMsg\">Od: Anna</div><div>stare</div>",
      "<p>Nowe pytanie</p><div style=\"border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm\"><p><b>Od:</b> Anna</p></div><p>stare</p>",
      "<div>Nowe pytanie</div><blockquote type=\"cite\">stare</blockquote>",
    ])
  func htmlQuotes(html: String) {
    #expect(HTMLText.plainText(html, stopAtQuote: true) == "Nowe pytanie")
    #expect(HTMLText.plainText(html).contains("stare"))
  }
}

@Suite("New text: the customer's own words")
struct NewTextTests {
  @Test(
    "quoted history, signatures and footers are cut",
    arguments: [
      (
        "Drukarka nie drukuje.\n\nW dniu 24.11.2026 o 10:15, Pomoc PWSK <pomoc@pwsk.pl> napisał(a):\n> Klucz wysłany.",
        "Drukarka nie drukuje."
      ),
      (
        "Drukarka nie drukuje.\n\nW dniu śr., 25 lis 2026 o 10:15 Jan Kowalski <jan@x.pl>\nnapisał(a):\n> stare",
        "Drukarka nie drukuje."
      ),
      ("Drukarka nie drukuje.\n\nDnia 24.11.2026 o 14:05, Anna Nowak pisze:\n> stare", "Drukarka nie drukuje."),
      (
        "Printer does not print.\n\nOn Wed, Nov 25, 2026 at 10:15 AM Jan <jan@x.pl> wrote:\n> old",
        "Printer does not print."
      ),
      (
        "Drukarka nie drukuje.\n\n-----Oryginalna wiadomość-----\nOd: Pomoc\nWysłano: wtorek\nDo: Jan\nTemat: klucz\n\nKlucz.",
        "Drukarka nie drukuje."
      ),
      (
        "Drukarka nie drukuje.\n\n________________________________\nOd: Pomoc PWSK <pomoc@pwsk.pl>\nWysłano: wtorek, 24 listopada 2026 10:15\nDo: Jan\nTemat: Re: klucz\n\nKlucz.",
        "Drukarka nie drukuje."
      ),
      (
        "Printer broken.\n\nFrom: Support <s@pwsk.pl>\nSent: Tuesday, November 24, 2026 10:15 AM\nTo: Jan\nSubject: key\n\nKey.",
        "Printer broken."
      ),
      ("Drukarka nie drukuje.\n-- \nJan Kowalski\nDrukpol sp. z o.o.", "Drukarka nie drukuje."),
      ("Drukarka nie drukuje.\n\nWysłane z mojego iPhone'a", "Drukarka nie drukuje."),
      (
        "Drukarka nie drukuje.\n\nPozdrawiam,\nJan Kowalski\nDrukpol sp. z o.o.\ntel. 600 100 200",
        "Drukarka nie drukuje.\n\nPozdrawiam,"
      ),
      (
        "Proszę o klucz.\n\nZ poważaniem\nAnna\n\nInformacja o przetwarzaniu danych osobowych (RODO): administratorem jest…",
        "Proszę o klucz.\n\nZ poważaniem"
      ),
      ("Proszę o klucz.\n\nTa wiadomość jest poufna i przeznaczona wyłącznie dla adresata.", "Proszę o klucz."),
      // A footer word only counts where a word starts: "Narodowy" holds "rodo" and is no RODO clause.
      (
        "Proszę o fakturę.\n\nPrzelew z Narodowego Banku nie doszedł.",
        "Proszę o fakturę.\n\nPrzelew z Narodowego Banku nie doszedł."
      ),
      ("Proszę o klucz.\n\n(RODO) Administratorem danych jest PWSK.", "Proszę o klucz."),
      ("> Czy działa?\nTak, działa, dziękuję!\n> A drukarka?\nTeż.", "Tak, działa, dziękuję!\nTeż."),
      ("Dziękuję, wszystko działa.", "Dziękuję, wszystko działa."),
      ("Pozdrawiam\nto jest cała wiadomość", "Pozdrawiam\nto jest cała wiadomość"),
    ])
  func strips(text: String, expected: String) {
    #expect(QuoteStripper.newText(text) == expected)
  }
}
