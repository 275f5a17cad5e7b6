/// Where a condition looks, resolved once when the rules are compiled (a
/// plain value: the classifier reads one per condition per mail).
enum Source: Sendable, Hashable {
  case subject, body, text, quoted
  /// A header, by its number in the list of header names the rules ask about.
  case header(Int)
  case from, domain, attachment
}

/// The mail's fields: subject and body analysed at once (every rule set reads
/// them), the quoted text and headers on first use. The subject is analysed
/// once and shared by `subject` and `text`.
struct Fields {
  let input: TriageInput
  let index: TermIndex
  /// The header names the rules ask about (lower case), for `Source.header`.
  let headerNames: [String]
  /// Whether the words that hit will be shown (see `AnalysedField.tokens`).
  let explain: Bool
  /// In a reply or forward with `reply-subject` below 100 %, `text` reads the body alone.
  let textReadsSubject: Bool
  private let subject: AnalysedField
  private let body: AnalysedField
  private var text: [Hits?] = Array(repeating: nil, count: HitSet.allCases.count)
  private var quoted: AnalysedField?
  private var headers: [Int: AnalysedField] = [:]

  init(input: TriageInput, index: TermIndex, headerNames: [String], explain: Bool, textReadsSubject: Bool = true) {
    self.input = input
    self.index = index
    self.headerNames = headerNames
    self.explain = explain
    self.textReadsSubject = textReadsSubject
    subject = AnalysedField(input.subject, index: index, keepTokens: explain)
    body = AnalysedField(input.body, index: index, keepTokens: explain)
  }

  /// Whether the condition compiled to `node` holds for `source`, counting the hits of `set`.
  mutating func holds(_ node: Int32, _ source: Source, _ set: HitSet) -> Bool {
    let number = set.rawValue
    switch source {
    case .subject: return index.evaluate(node, subject.hits[number])
    case .body: return index.evaluate(node, body.hits[number])
    case .text:
      guard textReadsSubject else { return index.evaluate(node, body.hits[number]) }
      if text[number] == nil { text[number] = Hits(either: subject.hits[number], or: body.hits[number]) }
      return index.evaluate(node, text[number]!)
    case .quoted, .header: return index.evaluate(node, fields(for: source)[0].hits[number])
    case .from, .domain, .attachment: return index.evaluate(node, Hits.none, globValues(for: source))
    }
  }

  /// The analysed texts a word target reads.
  mutating func fields(for source: Source) -> [AnalysedField] {
    switch source {
    case .subject: return [subject]
    case .body: return [body]
    case .text: return textReadsSubject ? [subject, body] : [body]
    case .quoted:
      if let quoted { return [quoted] }
      let analysed = AnalysedField(input.quoted, index: index, keepTokens: explain)
      quoted = analysed
      return [analysed]
    case .header(let number):
      if let known = headers[number] { return [known] }
      let analysed = AnalysedField(
        (input.headers[headerNames[number]] ?? []).joined(separator: "\n"), index: index, keepTokens: explain)
      headers[number] = analysed
      return [analysed]
    case .from, .domain, .attachment: return []
    }
  }

  func globValues(for source: Source) -> [String] {
    switch source {
    case .from: [input.from]
    case .domain: [input.from.split(separator: "@").last.map(String.init) ?? ""]
    case .attachment: input.attachmentNames
    default: []
    }
  }
}
