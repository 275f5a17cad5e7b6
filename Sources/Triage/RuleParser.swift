/// A rule file's path (as shown in messages) and its text.
public struct RuleFile: Sendable {
  public enum Kind: Sendable { case settings, lists, category }

  public var path: String
  public var text: String
  public var kind: Kind

  public init(path: String, text: String, kind: Kind) {
    self.path = path
    self.text = text
    self.kind = kind
  }
}

/// Parses and checks rule files. Pure: the texts come in, a rule set and the
/// diagnostics come out. With any error there is no rule set — never a half
/// load.
///
/// The format, for staff (rules/README.md has the full guide):
///
///     category:  devices
///     title:     Drukarki, skanery, kolektory
///     coverage:  uncovered
///     threshold: 4
///
///     subject +3: @devices
///     body    +2: (drukar* OR skaner*) AND (podłącz* OR konfigur*)
///     exclude body: "wydruk* faktur*"
///     example: "Jak podłączyć drukarkę fiskalną?"
public struct RuleParser {
  /// Bounds on what one file may ask of the matcher.
  public static let maxLineLength = 4_000
  public static let maxTermsPerCondition = 400
  public static let maxNesting = 16
  public static let maxListItems = 1_000

  private var diagnostics: [Diagnostic] = []
  private var lists: [String: ListDefinition] = [:]
  private var usedLists: Set<String> = []

  struct ListDefinition {
    var items: [ExpressionParser.Token]
    var location: SourceLocation
  }

  public init() {}

  /// Parses every file; the rule set is nil when there is any error.
  public static func parse(_ files: [RuleFile]) -> (RuleSet?, [Diagnostic]) {
    var parser = RuleParser()
    return parser.run(files)
  }

  private mutating func run(_ files: [RuleFile]) -> (RuleSet?, [Diagnostic]) {
    let parsed = files.map { ($0, LogicalLine.split($0.text, file: $0.path, diagnostics: &diagnostics)) }
    // Lists first: categories may use lists defined in any file.
    for (_, lines) in parsed {
      for line in lines { if let key = line.key, Keys.kind(of: key.words.first ?? "") == .list { defineList(line) } }
    }
    var settings = TriageSettings()
    var categories: [Category] = []
    for (file, lines) in parsed {
      switch file.kind {
      case .settings: settings = parseSettings(lines, file: file.path)
      case .lists: checkOnlyLists(lines)
      case .category: if let category = parseCategory(lines, file: file.path) { categories.append(category) }
      }
    }
    var seen: [String: SourceLocation] = [:]
    for category in categories {
      if let first = seen[category.id] {
        report(
          .error, category.location, "category '\(category.id)' is defined twice", hint: "the other one is at \(first)")
      }
      seen[category.id] = category.location
    }
    for (name, list) in lists.sorted(by: { $0.key < $1.key }) where !usedLists.contains(name) {
      report(.warning, list.location, "list '@\(name)' is not used by any rule")
    }
    if !files.contains(where: { $0.kind == .category }) {
      report(
        .error, SourceLocation(file: "categories/", line: 1), "there are no category files",
        hint: "add rules/categories/NAME.rules")
    }
    // A list used by several rules would repeat its warnings: keep each once.
    diagnostics = Array(Set(diagnostics)).sorted {
      ($0.location, $0.severity.rawValue, $0.message) < ($1.location, $1.severity.rawValue, $1.message)
    }
    guard !diagnostics.contains(where: { $0.severity == .error }) else { return (nil, diagnostics) }
    return (RuleSet(categories: categories.sorted { $0.id < $1.id }, settings: settings), diagnostics)
  }

  private mutating func report(
    _ severity: Diagnostic.Severity, _ location: SourceLocation, _ message: String, hint: String? = nil
  ) {
    diagnostics.append(Diagnostic(severity, location, message, hint: hint))
  }

  // MARK: Lists and settings

  private mutating func defineList(_ line: LogicalLine) {
    guard let key = line.key else { return }
    guard key.words.count == 2 else {
      report(
        .error, line.location(at: 0), "a list needs a name: list NAME: words…",
        hint: "for example: list devices: drukar*, skaner*")
      return
    }
    let name = key.words[1].lowercased()
    guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
      report(.error, line.location(at: 0), "the list name '\(key.words[1])' may only have letters, digits, '-' and '_'")
      return
    }
    if let existing = lists[name] {
      report(
        .error, line.location(at: 0), "list '@\(name)' is defined twice",
        hint: "the other one is at \(existing.location)")
      return
    }
    var tokenizer = ExpressionParser.Tokenizer(line: line, start: key.valueStart)
    var items: [ExpressionParser.Token] = []
    while let token = tokenizer.next(diagnostics: &diagnostics) {
      switch token.kind {
      case .comma: continue
      case .word, .phrase: items.append(token)
      default:
        report(.error, token.location, "a list holds words and \"phrases\" separated by commas, not '\(token.text)'")
        return
      }
    }
    if items.isEmpty { report(.error, line.location(at: key.valueStart), "list '@\(name)' is empty") }
    if items.count > Self.maxListItems {
      report(
        .error, line.location(at: key.valueStart),
        "list '@\(name)' has \(items.count) items; at most \(Self.maxListItems)")
      return
    }
    lists[name] = ListDefinition(items: items, location: line.location(at: 0))
  }

  private mutating func checkOnlyLists(_ lines: [LogicalLine]) {
    for line in lines {
      guard let key = line.key else { continue }
      if Keys.kind(of: key.words.first ?? "") != .list {
        report(.error, line.location(at: 0), "lists.rules may only define lists", hint: "write: list NAME: words…")
      }
    }
  }

  /// The keys of settings.rules, with their Polish aliases.
  enum SettingKey: String, CaseIterable {
    case margin, requestBonus = "request-bonus", twoTopics = "two-topics", replySubject = "reply-subject"
    case declined, request, identification, clauseBreak = "clause-break", examplesVote = "examples-vote"
    case costSwap = "cost-swap", costUnclassified = "cost-unclassified", costWrongCategory = "cost-wrong-category"

    static let aliases: [String: SettingKey] = [
      "margines": .margin, "premia-za-prosbe": .requestBonus, "dwie-sprawy": .twoTopics,
      "temat-odpowiedzi": .replySubject, "odmowa": .declined, "prosba": .request, "identyfikacja": .identification,
      "nowe-zdanie": .clauseBreak, "glos-przykladow": .examplesVote, "koszt-zamiany": .costSwap,
      "koszt-nieprzydzielonego": .costUnclassified, "koszt-zlej-kategorii": .costWrongCategory,
    ]

    init?(_ word: String) {
      let folded = Keys.fold(word)
      guard let key = SettingKey(rawValue: folded) ?? Self.aliases[folded] else { return nil }
      self = key
    }
  }

  private mutating func parseSettings(_ lines: [LogicalLine], file: String) -> TriageSettings {
    var settings = TriageSettings()
    for line in lines {
      guard let key = line.key else { continue }
      let valueLocation = line.location(at: key.valueStart)
      func number(_ range: ClosedRange<Int>, percent: Bool = false) -> Int? {
        var text = key.value.trimmingWhitespace()
        if percent, text.hasSuffix("%") { text = String(text.dropLast()).trimmingWhitespace() }
        guard let value = Int(text), range.contains(value) else {
          report(
            .error, valueLocation,
            "\(key.rawKey) must be a whole number from \(range.lowerBound) to \(range.upperBound)\(percent ? " (percent)" : ""), not '\(key.value)'"
          )
          return nil
        }
        return value
      }
      func markers() -> Expression? {
        var parser = ExpressionParser(line: line, start: key.valueStart, target: .body, lists: lists)
        let expression = parser.parse(diagnostics: &diagnostics)
        usedLists.formUnion(parser.usedLists)
        func isList(_ expression: Expression) -> Bool {
          switch expression {
          case .term: true
          case .any(let parts): parts.allSatisfy(isList)
          case .all, .not: false
          }
        }
        if let expression, !isList(expression) {
          report(
            .error, valueLocation, "\(key.rawKey) takes words and \"phrases\" separated by commas, not AND or NOT",
            hint: "for example: \(key.rawKey): @declined-words, \"nie mamy\"")
          return nil
        }
        return expression
      }
      if Keys.kind(of: key.words.first ?? "") == .list { continue }
      guard key.words.count == 1, let setting = SettingKey(key.words[0]) else {
        report(
          .error, line.location(at: 0), "unknown setting '\(key.rawKey)'",
          hint: Keys.suggestion(for: key.rawKey, among: SettingKey.allCases.map(\.rawValue) + ["list"]))
        continue
      }
      switch setting {
      case .margin: settings.margin = number(0...100) ?? settings.margin
      case .requestBonus: settings.requestBonus = number(0...100) ?? settings.requestBonus
      case .replySubject: settings.replySubjectPercent = number(0...100, percent: true) ?? settings.replySubjectPercent
      case .costSwap: settings.costSwap = number(0...1000) ?? settings.costSwap
      case .costUnclassified: settings.costUnclassified = number(0...1000) ?? settings.costUnclassified
      case .costWrongCategory: settings.costWrongCategory = number(0...1000) ?? settings.costWrongCategory
      case .twoTopics:
        switch Keys.fold(key.value) {
        case "unclassified", "czlowiek": settings.twoTopics = .unclassified
        case "uncovered", "platna": settings.twoTopics = .uncovered
        case "stronger", "silniejsza": settings.twoTopics = .stronger
        default:
          report(
            .error, valueLocation, "two-topics must be uncovered, stronger or unclassified, not '\(key.value)'",
            hint:
              "uncovered = the paid request wins and the reply names the other; stronger = more points win; unclassified = a person decides"
          )
        }
      case .examplesVote:
        let text = Keys.fold(key.value)
        if ["off", "no", "nie", "wylaczony", "wylaczone"].contains(text) {
          settings.examplesVote = nil
        } else if let value = number(50...100, percent: true) {
          settings.examplesVote = Double(value) / 100
        }
      case .declined: settings.declined = markers()
      case .request: settings.request = markers()
      case .identification: settings.identification = markers()
      case .clauseBreak: settings.clauseBreak = markers()
      }
    }
    return settings
  }

  // MARK: Categories

  private mutating func parseCategory(_ lines: [LogicalLine], file: String) -> Category? {
    var id: String?
    var title: String?
    var coverage: Coverage?
    var threshold: Int?
    var priority = 0
    var autoReply: Bool?
    var conditions: [Condition] = []
    var examples: [InlineExample] = []
    var counterExamples: [InlineExample] = []
    let errorsBefore = diagnostics.filter { $0.severity == .error }.count
    let start = lines.first?.location(at: 0) ?? SourceLocation(file: file, line: 1)

    for line in lines {
      guard let key = line.key else { continue }
      let valueLocation = line.location(at: key.valueStart)
      let kind = Keys.kind(of: key.words[0])
      func once<T>(_ existing: T?, _ name: String) -> Bool {
        if existing != nil { report(.error, line.location(at: 0), "'\(name)' is given twice in this file") }
        return existing == nil
      }
      switch kind {
      case .category:
        guard once(id, "category") else { continue }
        let value = key.value.lowercased()
        if value.isEmpty || !value.allSatisfy({ ($0.isLetter && $0.isASCII) || $0.isNumber || $0 == "-" || $0 == "_" })
        {
          report(
            .error, valueLocation, "the category id '\(key.value)' may only have the letters a-z, digits, '-' and '_'",
            hint: "for example: category: remote-desktop")
        }
        id = value
      case .title:
        guard once(title, "title") else { continue }
        title = key.value
      case .coverage:
        guard once(coverage, "coverage") else { continue }
        coverage = Keys.coverage(key.value)
        if coverage == nil {
          report(
            .error, valueLocation, "coverage must be covered, uncovered or other, not '\(key.value)'",
            hint: "covered = free basic support, uncovered = only with the contract, other = sales, thanks…")
        }
      case .threshold:
        guard once(threshold, "threshold") else { continue }
        threshold = Int(key.value)
        if threshold == nil || threshold! < 1 || threshold! > 1000 {
          report(.error, valueLocation, "threshold must be a whole number from 1 to 1000, not '\(key.value)'")
        }
      case .priority:
        guard let value = Int(key.value), (-100...100).contains(value) else {
          report(.error, valueLocation, "priority must be a whole number from -100 to 100, not '\(key.value)'")
          continue
        }
        priority = value
      case .reply:
        guard once(autoReply, "reply") else { continue }
        autoReply = Keys.yesNo(key.value)
        if autoReply == nil {
          report(
            .error, valueLocation, "reply must be yes or no, not '\(key.value)'",
            hint: "reply: no — mail of this category is recorded and filed, but gets no automatic reply")
        }
      case .example, .counterExample:
        let text = Self.unquoted(key.value)
        if text.isEmpty {
          report(.error, valueLocation, "the example is empty")
          continue
        }
        let example = InlineExample(text: text, location: line.location(at: 0))
        if kind == .example { examples.append(example) } else { counterExamples.append(example) }
      case .list:
        break  // defined in the first pass
      case .margin:
        report(.error, line.location(at: 0), "margin is a global setting", hint: "put it in rules/settings.rules")
      case .target, .exclude:
        if let condition = parseCondition(line, key: key) { conditions.append(condition) }
      case nil:
        report(
          .error, line.location(at: 0), "unknown key '\(key.words[0])'",
          hint: Keys.suggestion(for: key.words[0], among: Keys.categoryKeys))
      }
    }

    for (value, name) in [(id as Any?, "category"), (title, "title"), (coverage, "coverage"), (threshold, "threshold")]
    where value == nil && diagnostics.filter({ $0.severity == .error && $0.location.file == file }).isEmpty {
      report(
        .error, start, "the file has no '\(name):' line",
        hint: "every category file needs category, title, coverage and threshold")
    }
    if !conditions.contains(where: { !$0.isExclusion && $0.weight > 0 }), id != nil {
      report(.error, start, "category '\(id ?? "")' has no condition that adds points, so it can never be chosen")
    }
    if examples.isEmpty, id != nil {
      report(
        .warning, start, "category '\(id ?? "")' has no 'example:' line",
        hint: "examples document the category and are checked by 'supportbot rules test'")
    }
    guard diagnostics.filter({ $0.severity == .error }).count == errorsBefore, let id, let title, let coverage,
      let threshold
    else { return nil }
    return Category(
      id: id, title: title, coverage: coverage, threshold: threshold, priority: priority,
      autoReply: autoReply ?? true, conditions: conditions, examples: examples, counterExamples: counterExamples,
      location: start)
  }

  private mutating func parseCondition(_ line: LogicalLine, key: LogicalLine.Key) -> Condition? {
    var words = key.words[...]
    var isExclusion = false
    if Keys.kind(of: words.first ?? "") == .exclude {
      isExclusion = true
      words.removeFirst()
    }
    guard let targetWord = words.popFirst(), let target = Keys.target(targetWord) else {
      report(
        .error, line.location(at: 0), "'\(key.rawKey)' does not say where to look",
        hint: "start with subject, body, text, quoted, from, domain, header NAME or attachment")
      return nil
    }
    var resolved = target
    if case .header = target {
      guard let name = words.popFirst(), !name.hasPrefix("+"), !name.hasPrefix("-") else {
        report(
          .error, line.location(at: 0), "'header' needs the header's name",
          hint: "for example: header X-Mailer +2: outlook")
        return nil
      }
      resolved = .header(name)
    }
    var role = EvidenceRole.asked
    if let roleWord = words.first, let named = Keys.role(roleWord) {
      role = named
      words.removeFirst()
    }
    var weight = 1
    if let weightWord = words.popFirst() {
      guard let value = Int(weightWord), weightWord.hasPrefix("+") || weightWord.hasPrefix("-"), abs(value) <= 100
      else {
        report(
          .error, line.location(at: 0), "'\(weightWord)' is not a weight",
          hint: "write the points with a sign, from -100 to +100: body +2: …")
        return nil
      }
      if isExclusion {
        report(
          .error, line.location(at: 0), "an exclusion has no weight: it vetoes the category",
          hint: "write: exclude body: …")
        return nil
      }
      weight = value
    }
    if let extra = words.first {
      report(
        .error, line.location(at: 0), "unexpected '\(extra)' before ':'",
        hint: "a line is: TARGET [ROLE] WEIGHT: …, e.g. body request +2: …; roles: "
          + EvidenceRole.allCases.map(\.rawValue).joined(separator: ", "))
      return nil
    }
    if weight == 0 { report(.warning, line.location(at: 0), "a weight of 0 adds nothing") }
    guard line.text.count <= Self.maxLineLength else {
      report(
        .error, line.location(at: 0), "the line is \(line.text.count) characters long; at most \(Self.maxLineLength)",
        hint: "move long word lists into a list in rules/lists.rules")
      return nil
    }
    var expressionParser = ExpressionParser(line: line, start: key.valueStart, target: resolved, lists: lists)
    let expression = expressionParser.parse(diagnostics: &diagnostics)
    usedLists.formUnion(expressionParser.usedLists)
    guard let expression else { return nil }
    if expression.terms.count > Self.maxTermsPerCondition {
      report(
        .error, line.location(at: key.valueStart),
        "the condition has \(expression.terms.count) words; at most \(Self.maxTermsPerCondition)",
        hint: "split it into several lines")
      return nil
    }
    if role != .asked, resolved.usesGlobs {
      report(
        .error, line.location(at: 0), "'\(resolved)' has no sentences, so '\(role.rawValue)' means nothing there",
        hint: "roles apply to subject, body, text, quoted and header")
      return nil
    }
    return Condition(
      target: resolved, role: role, weight: isExclusion ? 0 : weight, isExclusion: isExclusion, expression: expression,
      location: line.location(at: 0), source: line.text)
  }

  static func unquoted(_ text: String) -> String {
    guard text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") else { return text }
    return String(text.dropFirst().dropLast())
  }
}

/// The keys of the rule format, with their Polish aliases.
enum Keys {
  enum Kind {
    case category, title, coverage, threshold, priority, reply, example, counterExample, list, margin, target, exclude
  }

  static let categoryKeys = [
    "category", "title", "coverage", "threshold", "priority", "reply", "example", "not-example", "exclude", "subject",
    "body", "text", "quoted", "from", "domain", "header", "attachment", "list",
  ]

  private static let kinds: [String: Kind] = [
    "category": .category, "kategoria": .category, "title": .title, "tytul": .title, "nazwa": .title,
    "coverage": .coverage, "zakres": .coverage, "threshold": .threshold, "prog": .threshold, "priority": .priority,
    "priorytet": .priority, "reply": .reply, "odpowiedz": .reply, "example": .example, "przyklad": .example,
    "not-example": .counterExample,
    "counter-example": .counterExample, "kontrprzyklad": .counterExample, "nie-przyklad": .counterExample,
    "list": .list, "lista": .list, "margin": .margin, "margines": .margin, "exclude": .exclude, "wyklucz": .exclude,
  ]

  private static let targets: [String: Target] = [
    "subject": .subject, "temat": .subject, "body": .body, "tresc": .body, "text": .text, "tekst": .text,
    "quoted": .quoted, "cytat": .quoted, "from": .from, "nadawca": .from, "od": .from, "domain": .domain,
    "domena": .domain, "header": .header(""), "naglowek": .header(""), "attachment": .attachment,
    "zalacznik": .attachment,
  ]

  static func kind(of word: String) -> Kind? {
    let key = fold(word)
    if let kind = kinds[key] { return kind }
    return targets[key] != nil ? .target : nil
  }

  static func target(_ word: String) -> Target? { targets[fold(word)] }

  private static let roles: [String: EvidenceRole] = [
    "asked": .asked, "request": .request, "negated": .negated, "mentioned": .mentioned, "prosba": .request,
    "odmowa": .negated, "zaprzeczone": .negated, "wzmianka": .mentioned, "wszedzie": .mentioned,
  ]

  /// `request`, `negated`, `mentioned` (`prośba`, `odmowa`, `wzmianka`) after a target.
  static func role(_ word: String) -> EvidenceRole? { roles[fold(word)] }

  /// yes/no, tak/nie.
  static func yesNo(_ value: String) -> Bool? {
    switch fold(value) {
    case "yes", "tak", "true": true
    case "no", "nie", "false": false
    default: nil
    }
  }

  static func coverage(_ value: String) -> Coverage? {
    switch fold(value) {
    case "covered", "bezplatne", "bezplatny", "objete": .covered
    case "uncovered", "platne", "platny", "nieobjete": .uncovered
    case "other", "inne": .other
    default: nil
    }
  }

  /// Lower case, Polish letters without marks, hyphens kept: "Przykład" → "przyklad".
  static func fold(_ word: String) -> String {
    word.split(separator: "-", omittingEmptySubsequences: false).map { Normalizer.normalize(String($0)) }
      .joined(separator: "-")
  }

  /// "did you mean 'subject'?" for a near miss.
  static func suggestion(for word: String, among candidates: [String], prefix: String = "") -> String? {
    let folded = fold(word)
    let best = candidates.map { ($0, editDistance(folded, $0)) }.min { $0.1 < $1.1 }
    guard let best, best.1 <= max(1, min(2, folded.count / 3)) else {
      return candidates.isEmpty ? nil : "known: " + candidates.map { prefix + $0 }.joined(separator: ", ")
    }
    return "did you mean '\(prefix)\(best.0)'?"
  }

  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return previous[b.count]
  }
}

/// A line of a rule file after comments are removed and indented
/// continuation lines are joined to it, with a map back to the physical lines
/// so messages point at the right line and column.
struct LogicalLine {
  struct Key {
    var rawKey: String
    var words: [String]
    var value: String
    /// Offset of the value in `text`.
    var valueStart: Int
  }

  var characters: [Character]
  var file: String
  /// (offset in `characters`, physical line, column of that offset).
  var origins: [(offset: Int, line: Int, column: Int)]
  var key: Key?

  var text: String { String(characters) }

  func location(at offset: Int) -> SourceLocation {
    let origin = origins.last { $0.offset <= offset } ?? origins[0]
    return SourceLocation(file: file, line: origin.line, column: origin.column + (offset - origin.offset))
  }

  static func split(_ text: String, file: String, diagnostics: inout [Diagnostic]) -> [LogicalLine] {
    var lines: [LogicalLine] = []
    for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let number = index + 1
      var characters = Array(raw)
      // A comment starts at '#' outside quotes.
      var inQuotes = false
      for (position, character) in characters.enumerated() {
        if character == "\"" { inQuotes.toggle() }
        if character == "#", !inQuotes {
          characters.removeSubrange(position...)
          break
        }
      }
      while let last = characters.last, last.isBlank { characters.removeLast() }
      guard !characters.isEmpty else { continue }
      let indent = characters.prefix { $0 == " " || $0 == "\t" }.count
      if indent > 0, !lines.isEmpty {
        // A continuation of the previous line.
        lines[lines.count - 1].characters.append(" ")
        lines[lines.count - 1].origins.append((lines[lines.count - 1].characters.count, number, indent + 1))
        lines[lines.count - 1].characters += characters[indent...]
        continue
      }
      lines.append(
        LogicalLine(characters: Array(characters[indent...]), file: file, origins: [(0, number, indent + 1)]))
    }
    for index in lines.indices { lines[index].key = lines[index].parseKey(diagnostics: &diagnostics) }
    return lines
  }

  private func parseKey(diagnostics: inout [Diagnostic]) -> Key? {
    var inQuotes = false
    for (position, character) in characters.enumerated() {
      if character == "\"" { inQuotes.toggle() }
      guard character == ":", !inQuotes else { continue }
      let rawKey = String(characters[..<position]).trimmingWhitespace()
      var valueStart = position + 1
      while valueStart < characters.count, characters[valueStart].isBlank { valueStart += 1 }
      let words = rawKey.split(whereSeparator: \.isBlank).map(String.init)
      guard !words.isEmpty else { break }
      return Key(rawKey: rawKey, words: words, value: String(characters[valueStart...]), valueStart: valueStart)
    }
    diagnostics.append(
      Diagnostic(
        .error, location(at: 0), "expected 'key: value', found '\(String(characters.prefix(40)))'",
        hint: "every line is 'key: value'; a line that continues the previous one starts with a space"))
    return nil
  }
}

extension String {
  func trimmingWhitespace() -> String {
    var view = Substring(self)
    while let first = view.first, first.isBlank { view.removeFirst() }
    while let last = view.last, last.isBlank { view.removeLast() }
    return String(view)
  }
}

extension Character {
  /// The same as `isWhitespace`, but ASCII (nearly every character of a rule
  /// file) is answered without Unicode's property tables: looking them up was
  /// a tenth of the time to load 1,000 rules. `"\r\n"` counts as its `"\n"`,
  /// as `isWhitespace` counts it as its `"\r"`: both are blank.
  var isBlank: Bool {
    if let ascii = asciiValue { return ascii == 0x20 || (0x09...0x0D).contains(ascii) }
    return isWhitespace
  }
}
