import Foundation
import MailMessage

/// What the classifier looks at in a mail.
public struct TriageInput: Sendable {
  public var subject: String
  /// The new text: what the customer wrote now.
  public var body: String
  /// The rest of the readable text: quoted history, signature, footer.
  public var quoted: String
  /// The sender's address.
  public var from: String
  /// Header values by lower-cased name.
  public var headers: [String: [String]]
  public var attachmentNames: [String]

  public init(
    subject: String = "", body: String = "", quoted: String = "", from: String = "", headers: [String: [String]] = [:],
    attachmentNames: [String] = []
  ) {
    self.subject = subject
    self.body = body
    self.quoted = quoted
    self.from = from
    self.headers = headers
    self.attachmentNames = attachmentNames
  }

  /// The parts of a parsed mail the rules can ask about.
  public init(_ message: Message) {
    var headers: [String: [String]] = [:]
    for field in message.headers.fields { headers[field.name.lowercased(), default: []].append(field.value) }
    let quoted: String
    if message.newText.isEmpty || message.newText == message.text {
      quoted = ""
    } else if let range = message.text.range(of: message.newText) {
      quoted = String(message.text[..<range.lowerBound]) + "\n" + String(message.text[range.upperBound...])
    } else {
      quoted = message.text
    }
    self.init(
      subject: message.subject ?? "", body: message.newText, quoted: quoted, from: message.from?.address ?? "",
      headers: headers, attachmentNames: message.attachments.compactMap(\.filename))
  }

  /// An inline example from a rule file: the sentence as both subject and body.
  public init(example: String) {
    self.init(subject: example, body: example)
  }
}

/// One condition that matched, with the words it found.
public struct RuleMatch: Sendable, Hashable {
  public var category: String
  public var file: String
  public var line: Int
  /// Points it added (0 for an exclusion).
  public var weight: Int
  public var isExclusion: Bool
  /// The rule line as written.
  public var rule: String
  /// The words of the mail it hit, as written there.
  public var words: [String]
}

/// How one category scored.
public struct CategoryScore: Sendable, Hashable {
  public var id: String
  public var title: String
  public var coverage: Coverage
  public var score: Int
  public var threshold: Int
  public var priority: Int
  /// The exclusion that vetoed the category, if one matched.
  public var vetoedBy: RuleMatch?
  public var matches: [RuleMatch]

  public var isContender: Bool { vetoedBy == nil && score >= threshold }
}

/// The decision and everything that led to it.
public struct TriageResult: Sendable {
  /// The winning category, or nil: unclassified, a person decides.
  public var category: String?
  public var coverage: Coverage
  /// Every category with a point or a veto, best first.
  public var scores: [CategoryScore]
  /// One sentence: why this category, or why none.
  public var reason: String

  public init(category: String?, coverage: Coverage, scores: [CategoryScore], reason: String) {
    self.category = category
    self.coverage = coverage
    self.scores = scores
    self.reason = reason
  }

  /// The winner's matches (empty when unclassified).
  public var matched: [RuleMatch] {
    scores.first { $0.id == category }?.matches ?? []
  }
}

/// Rules compiled for matching: the mail's words are read once, letter by
/// letter, through one trie of every word and stem of every rule; phrases are
/// followed word by word through a trie of their words; then the rules'
/// boolean expressions are evaluated over what was found (lists as bit masks).
/// No rule is a loop over the text.
public struct Classifier: Sendable {
  public let rules: RuleSet
  private let index: TermIndex
  /// Every condition of every category, in the order of the rules: its
  /// compiled expression and where it looks. Plain values, apart from the
  /// rules, so that deciding which lines match touches no strings.
  private let nodes: [Int32]
  private let sources: [Source]
  /// Category n's conditions are `firstCondition[n]..<firstCondition[n + 1]`.
  private let firstCondition: [Int]
  /// Header names the rules ask about (lower case), numbered for `Source.header`.
  private let headerNames: [String]

  public init(_ rules: RuleSet) {
    var builder = TermIndex.Builder()
    var headerNames: [String] = []
    var nodes: [Int32] = []
    var sources: [Source] = []
    var firstCondition = [0]
    for category in rules.categories {
      for condition in category.conditions {
        nodes.append(builder.compile(condition.expression))
        switch condition.target {
        case .subject: sources.append(.subject)
        case .body: sources.append(.body)
        case .text: sources.append(.text)
        case .quoted: sources.append(.quoted)
        case .header(let name):
          let key = name.lowercased()
          if !headerNames.contains(key) { headerNames.append(key) }
          sources.append(.header(headerNames.firstIndex(of: key)!))
        case .from: sources.append(.from)
        case .domain: sources.append(.domain)
        case .attachment: sources.append(.attachment)
        }
      }
      firstCondition.append(nodes.count)
    }
    index = builder.build()
    self.nodes = nodes
    self.sources = sources
    self.firstCondition = firstCondition
    self.headerNames = headerNames
    self.rules = rules
  }

  /// Classifies one mail.
  /// - Parameter explain: collect the words each matched line found (for
  ///   `--explain`, `--json` and `rules test`); the service passes false, as
  ///   it only needs the decision.
  public func classify(_ input: TriageInput, explain: Bool = true) -> TriageResult {
    var fields = Fields(input: input, index: index, headerNames: headerNames, explain: explain)
    var scores: [CategoryScore] = []
    for number in rules.categories.indices {
      // Made on the first line that matches: most categories match nothing in a mail.
      var score: CategoryScore?
      for position in firstCondition[number]..<firstCondition[number + 1] {
        guard fields.holds(nodes[position], sources[position]) else { continue }
        var words: [String] = []
        if explain {
          let source = sources[position]
          index.words(nodes[position], fields.fields(for: source), fields.globValues(for: source), into: &words)
        }
        let match = match(number, position - firstCondition[number], words: words)
        if score == nil {
          let category = rules.categories[number]
          score = CategoryScore(
            id: category.id, title: category.title, coverage: category.coverage, score: 0,
            threshold: category.threshold, priority: category.priority, vetoedBy: nil, matches: [])
        }
        if match.isExclusion {
          score!.vetoedBy = score!.vetoedBy ?? match
        } else {
          score!.score += match.weight
        }
        score!.matches.append(match)
      }
      if let score { scores.append(score) }
    }
    scores.sort { ($0.score, $0.priority, $1.id) > ($1.score, $1.priority, $0.id) }
    return decide(scores)
  }

  /// Line `line` of category `category` as a match.
  private func match(_ category: Int, _ line: Int, words: [String]) -> RuleMatch {
    let condition = rules.categories[category].conditions[line]
    return RuleMatch(
      category: rules.categories[category].id, file: condition.location.file, line: condition.location.line,
      weight: condition.weight, isExclusion: condition.isExclusion, rule: condition.source, words: words)
  }

  private func decide(_ scores: [CategoryScore]) -> TriageResult {
    func unclassified(_ reason: String) -> TriageResult {
      TriageResult(category: nil, coverage: .unclassified, scores: scores, reason: reason)
    }
    let contenders = scores.filter(\.isContender)
    guard let top = contenders.first else {
      if let best = scores.first(where: { $0.vetoedBy == nil && $0.score > 0 }) {
        return unclassified(
          "no category reached its threshold (best: \(best.id) with \(best.score) of \(best.threshold) points)")
      }
      if let vetoed = scores.first(where: { $0.vetoedBy != nil }) {
        return unclassified(
          "no category fits: \(vetoed.id) was excluded by line \(vetoed.vetoedBy!.line) of \(vetoed.vetoedBy!.file)")
      }
      return unclassified("no rule matched")
    }
    var winner = top
    var reasonSuffix = ""
    let tied = contenders.filter { $0.score == top.score }
    if tied.count > 1 {
      guard tied[0].priority > tied[1].priority else {
        return unclassified(
          "\(tied.map(\.id).joined(separator: " and ")) tie with \(top.score) points and the same priority")
      }
      winner = tied[0]
      reasonSuffix = "; it ties with \(tied[1].id) and wins on priority (\(tied[0].priority) > \(tied[1].priority))"
    }
    if let runnerUp = contenders.first(where: { $0.score < winner.score }), winner.score - runnerUp.score < rules.margin
    {
      return unclassified(
        "\(winner.id) (\(winner.score) points) is not ahead of \(runnerUp.id) (\(runnerUp.score)) by the margin of \(rules.margin)"
      )
    }
    return TriageResult(
      category: winner.id, coverage: winner.coverage, scores: scores,
      reason: "\(winner.id) has \(winner.score) points, its threshold is \(winner.threshold)\(reasonSuffix)")
  }
}
