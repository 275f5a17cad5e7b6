/// Parses the value of a condition line: terms combined with AND, OR (or a
/// comma), NOT and parentheses. The Polish ORAZ, LUB and NIE work too;
/// operators are upper case so that the words "i", "lub" and "nie" stay
/// ordinary words to look for.
struct ExpressionParser {
  struct Token {
    enum Kind: Equatable { case word, phrase, open, close, comma, and, or, not }
    var kind: Kind
    var text: String
    var location: SourceLocation
  }

  /// Splits a value into tokens; reports an unterminated quote.
  struct Tokenizer {
    let line: LogicalLine
    var position: Int

    init(line: LogicalLine, start: Int) {
      self.line = line
      position = start
    }

    mutating func next(diagnostics: inout [Diagnostic]) -> Token? {
      let characters = line.characters
      while position < characters.count, characters[position].isBlank { position += 1 }
      guard position < characters.count else { return nil }
      let start = position
      let location = line.location(at: start)
      switch characters[position] {
      case "(":
        position += 1
        return Token(kind: .open, text: "(", location: location)
      case ")":
        position += 1
        return Token(kind: .close, text: ")", location: location)
      case ",":
        position += 1
        return Token(kind: .comma, text: ",", location: location)
      case "\"", "„", "”", "“":
        position += 1
        let contentStart = position
        while position < characters.count, !"\"„”“".contains(characters[position]) { position += 1 }
        guard position < characters.count else {
          diagnostics.append(
            Diagnostic(.error, location, "this quote is not closed", hint: "end the phrase with a second \""))
          return nil
        }
        let content = String(characters[contentStart..<position])
        position += 1
        return Token(kind: .phrase, text: content, location: location)
      default:
        while position < characters.count, !characters[position].isBlank, !"(),\"".contains(characters[position]) {
          position += 1
        }
        let text = String(characters[start..<position])
        let kind: Token.Kind =
          switch text {
          case "AND", "ORAZ": .and
          case "OR", "LUB": .or
          case "NOT", "NIE": .not
          default: .word
          }
        return Token(kind: kind, text: text, location: location)
      }
    }
  }

  private var tokens: [Token] = []
  private var index = 0
  private let target: Target
  private let lists: [String: RuleParser.ListDefinition]
  private let valueLocation: SourceLocation
  private(set) var usedLists: Set<String> = []
  private var failed = false

  init(line: LogicalLine, start: Int, target: Target, lists: [String: RuleParser.ListDefinition]) {
    self.target = target
    self.lists = lists
    valueLocation = line.location(at: start)
    var tokenizer = Tokenizer(line: line, start: start)
    var ignored: [Diagnostic] = []
    while let token = tokenizer.next(diagnostics: &ignored) { tokens.append(token) }
    if !ignored.isEmpty { pendingDiagnostics = ignored }
  }

  private var pendingDiagnostics: [Diagnostic] = []

  mutating func parse(diagnostics: inout [Diagnostic]) -> Expression? {
    diagnostics += pendingDiagnostics
    guard pendingDiagnostics.isEmpty else { return nil }
    guard !tokens.isEmpty else {
      diagnostics.append(Diagnostic(.error, valueLocation, "nothing to look for after ':'"))
      return nil
    }
    let expression = parseAny(depth: 0, diagnostics: &diagnostics)
    if !failed, index < tokens.count {
      let token = tokens[index]
      diagnostics.append(
        Diagnostic(
          .error, token.location, token.kind == .close ? "')' without its '('" : "unexpected '\(token.text)'"))
      return nil
    }
    return failed ? nil : expression
  }

  private var current: Token? { index < tokens.count ? tokens[index] : nil }

  private mutating func fail(
    _ diagnostics: inout [Diagnostic], _ location: SourceLocation, _ message: String, hint: String? = nil
  ) {
    if !failed { diagnostics.append(Diagnostic(.error, location, message, hint: hint)) }
    failed = true
  }

  private mutating func parseAny(depth: Int, diagnostics: inout [Diagnostic]) -> Expression? {
    var parts: [Expression] = []
    repeat {
      guard let part = parseAll(depth: depth, diagnostics: &diagnostics) else { return nil }
      parts.append(part)
      guard let token = current, token.kind == .or || token.kind == .comma else { break }
      index += 1
    } while true
    return parts.count == 1 ? parts[0] : .any(parts)
  }

  private mutating func parseAll(depth: Int, diagnostics: inout [Diagnostic]) -> Expression? {
    var parts: [Expression] = []
    repeat {
      guard let part = parseUnary(depth: depth, diagnostics: &diagnostics) else { return nil }
      parts.append(part)
      if let token = current, [.word, .phrase, .open, .not].contains(token.kind) {
        fail(
          &diagnostics, token.location, "missing AND or OR before '\(token.text)'",
          hint: "words next to each other in the text go in quotes: \"czytnik kodów\"")
        return nil
      }
      guard let token = current, token.kind == .and else { break }
      index += 1
    } while true
    return parts.count == 1 ? parts[0] : .all(parts)
  }

  private mutating func parseUnary(depth: Int, diagnostics: inout [Diagnostic]) -> Expression? {
    guard depth < RuleParser.maxNesting else {
      fail(
        &diagnostics, current?.location ?? valueLocation,
        "too many nested parentheses; at most \(RuleParser.maxNesting)")
      return nil
    }
    guard let token = current else {
      fail(
        &diagnostics, tokens.last?.location ?? valueLocation, "the condition ends too early",
        hint: "a word is missing after the last AND, OR or NOT")
      return nil
    }
    index += 1
    switch token.kind {
    case .not:
      guard let inner = parseUnary(depth: depth + 1, diagnostics: &diagnostics) else { return nil }
      return .not(inner)
    case .open:
      guard let inner = parseAny(depth: depth + 1, diagnostics: &diagnostics) else { return nil }
      guard current?.kind == .close else {
        fail(&diagnostics, token.location, "this '(' is not closed")
        return nil
      }
      index += 1
      return inner
    case .word where token.text.hasPrefix("@") && token.text.count > 1:
      return listReference(token, diagnostics: &diagnostics)
    case .word, .phrase:
      return term(token, diagnostics: &diagnostics).map(Expression.term)
    case .close, .comma, .and, .or:
      fail(&diagnostics, token.location, "unexpected '\(token.text)'", hint: "a word or a \"phrase\" is missing here")
      return nil
    }
  }

  private mutating func listReference(_ token: Token, diagnostics: inout [Diagnostic]) -> Expression? {
    let name = String(token.text.dropFirst()).lowercased()
    guard let list = lists[name] else {
      fail(
        &diagnostics, token.location, "there is no list '@\(name)'",
        hint: Keys.suggestion(for: name, among: lists.keys.sorted(), prefix: "@"))
      return nil
    }
    usedLists.insert(name)
    var items: [Expression] = []
    for item in list.items {
      guard let term = term(item, diagnostics: &diagnostics) else { return nil }
      items.append(.term(term))
    }
    return items.count == 1 ? items[0] : .any(items)
  }

  /// One word or phrase as a term for this condition's target.
  private mutating func term(_ token: Token, diagnostics: inout [Diagnostic]) -> Term? {
    if target.usesGlobs {
      let pattern = token.text.lowercased()
      guard !pattern.isEmpty, pattern.contains(where: { $0 != "*" }) else {
        fail(&diagnostics, token.location, "'\(token.text)' matches everything")
        return nil
      }
      return Term(.glob(pattern), source: token.kind == .phrase ? "\"\(token.text)\"" : token.text)
    }
    if token.kind == .phrase {
      var items: [Term] = []
      for word in token.text.split(whereSeparator: \.isBlank) {
        guard let parts = wordTerms(String(word), location: token.location, inPhrase: true, diagnostics: &diagnostics)
        else { return nil }
        items += parts
      }
      guard !items.isEmpty else {
        fail(&diagnostics, token.location, "the phrase \"\(token.text)\" has no words")
        return nil
      }
      return items.count == 1
        ? Term(items[0].kind, source: "\"\(token.text)\"") : Term(.phrase(items), source: "\"\(token.text)\"")
    }
    guard let parts = wordTerms(token.text, location: token.location, inPhrase: false, diagnostics: &diagnostics)
    else { return nil }
    return parts.count == 1 ? parts[0] : Term(.phrase(parts), source: token.text)
  }

  /// `drukar*`, `*instal*`, `*owanie`, `kolektor`; "e-mail" becomes the two words of a phrase.
  /// A short stem next to other words of a phrase is narrowed by them: it only warns on its own.
  private mutating func wordTerms(
    _ raw: String, location: SourceLocation, inPhrase: Bool, diagnostics: inout [Diagnostic]
  ) -> [Term]? {
    let leading = raw.hasPrefix("*")
    let trailing = raw.hasSuffix("*") && raw.count > 1
    var core = Substring(raw)
    if leading { core = core.dropFirst() }
    if trailing { core = core.dropLast() }
    if core.contains("*") {
      fail(
        &diagnostics, location, "'\(raw)': a '*' may only stand at the start or the end of a word",
        hint: "drukar* finds drukarka, drukarki…; *instal* finds instalacja, zainstalować…")
      return nil
    }
    let words = Normalizer.tokens(String(core)).map(\.text)
    guard !words.isEmpty else {
      fail(&diagnostics, location, "'\(raw)' has no letters or digits to look for")
      return nil
    }
    if words.count > 1 {
      if leading || trailing {
        fail(
          &diagnostics, location, "'\(raw)' is several words; a '*' pattern must be one word",
          hint: "put several words in quotes: \"czytnik* kod*\"")
        return nil
      }
      return words.map { Term(.word($0), source: $0) }
    }
    let word = words[0]
    if leading || trailing, word.count < 4, !inPhrase {
      diagnostics.append(
        Diagnostic(
          .warning, location, "'\(raw)' is a short stem and may also match unrelated words",
          hint: "use at least 4 letters, or check with: supportbot rules words \(raw)"))
    }
    let kind: Term.Kind =
      switch (leading, trailing) {
      case (true, true): .infix(word)
      case (true, false): .suffix(word)
      case (false, true): .prefix(word)
      case (false, false): .word(word)
      }
    return [Term(kind, source: raw)]
  }
}

extension RuleParser {
  /// One pattern as a rule would read it (`drukar*`, `*instal*`, `"czytnik* kod*"`),
  /// for tools such as `rules words`.
  public static func term(_ pattern: String) -> (Term?, [Diagnostic]) {
    let line = LogicalLine(
      characters: Array(pattern), file: "pattern", origins: [(0, 1, 1)], key: nil)
    var parser = ExpressionParser(line: line, start: 0, target: .body, lists: [:])
    var diagnostics: [Diagnostic] = []
    guard let expression = parser.parse(diagnostics: &diagnostics), case .term(let term) = expression else {
      if diagnostics.isEmpty {
        diagnostics.append(
          Diagnostic(.error, SourceLocation(file: "pattern", line: 1), "give one word pattern or one \"phrase\""))
      }
      return (nil, diagnostics)
    }
    return (term, diagnostics)
  }
}

extension Term {
  /// Whether one normalised word matches this (single-word) term.
  public func matches(word: String) -> Bool {
    switch kind {
    case .word(let exact): word == exact
    case .prefix(let stem): word.hasPrefix(stem)
    case .suffix(let ending): word.hasSuffix(ending)
    case .infix(let part): word.utf8.count >= part.utf8.count && word.contains(part)
    case .phrase, .glob: false
    }
  }
}
