import Testing

@testable import Triage

@Suite("Normalising Polish text the same way for mail and rules")
struct NormalizerTests {
  @Test(
    "words come out lower-case, without diacritics, ł as l",
    arguments: [
      ("Zgłoszenie BŁĘDU", "zgloszenie bledu"),
      ("Zażółć gęślą jaźń", "zazolc gesla jazn"),
      ("ŁÓDŹ, Łódź i lodz", "lodz lodz i lodz"),
      ("drukarka/skaner-kolektor", "drukarka skaner kolektor"),
      ("kod 1045: błąd!", "kod 1045 blad"),
      // Soft hyphen and zero-width space inside a word do not split it.
      ("dru\u{AD}karka instal\u{200B}acja", "drukarka instalacja"),
      // NFKC: full-width letters and ligatures become plain letters.
      ("ＰＷＳＫ ﬁrma", "pwsk firma"),
      // Decomposed input (e + combining ogonek) equals the composed form.
      ("gęś", "ges"),
      ("", ""),
    ])
  func normalize(input: String, expected: String) {
    #expect(Normalizer.normalize(input) == expected)
  }

  @Test("each word knows where it stands in the original text")
  func offsets() {
    let text = "Błąd drukarki  Posnet"
    let tokens = Normalizer.tokens(text)
    #expect(tokens.map(\.text) == ["blad", "drukarki", "posnet"])
    #expect(tokens.map { $0.original(in: text) } == ["Błąd", "drukarki", "Posnet"])
  }

  @Test("a word with an invisible character keeps the original span")
  func offsetsAcrossInvisible() {
    let text = "na dru\u{AD}karce"
    let token = Normalizer.tokens(text)[1]
    #expect(token.text == "drukarce")
    #expect(token.original(in: text) == "dru\u{AD}karce")
  }
}
