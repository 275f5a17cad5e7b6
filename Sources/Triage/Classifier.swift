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
  /// What the subject says the mail is: a reply (`Re:`, `Odp:`), a forward (`Fwd:`, `PD:`), or neither.
  public var thread: SubjectPrefix.Kind?
  /// A forward's forwarded mail: its subject and its own text (without its
  /// header block, quoted history and signature); empty when it is not a forward.
  public var forwardedSubject: String
  public var forwardedBody: String

  public init(
    subject: String = "", body: String = "", quoted: String = "", from: String = "", headers: [String: [String]] = [:],
    attachmentNames: [String] = [], forwardedSubject: String = "", forwardedBody: String = ""
  ) {
    self.subject = subject
    self.body = body
    self.quoted = quoted
    self.from = from
    self.headers = headers
    self.attachmentNames = attachmentNames
    thread = SubjectPrefix.kind(of: subject) ?? (forwardedBody.isEmpty ? nil : .forward)
    self.forwardedSubject = forwardedSubject
    self.forwardedBody = forwardedBody
  }

  /// The parts of a parsed mail the rules can ask about.
  public init(_ message: Message) {
    var headers: [String: [String]] = [:]
    for field in message.headers.fields { headers[field.name.lowercased(), default: []].append(field.value) }
    let quoted = Self.quoted(text: message.text, newText: message.newText)
    let forward = Forwarded.extract(
      subject: message.subject ?? "", newText: message.newText, quoted: quoted)
    self.init(
      subject: message.subject ?? "", body: message.newText, quoted: quoted, from: message.from?.address ?? "",
      headers: headers, attachmentNames: message.attachments.compactMap(\.filename),
      forwardedSubject: forward?.subject ?? "", forwardedBody: forward?.body ?? "")
  }

  /// What `newText` leaves of `text`: the text before and after it. Linear
  /// in the text's length, whatever it holds (a search with `range(of:)` took
  /// minutes on a mail of a few hundred KB of short repeated lines).
  static func quoted(text: String, newText: String) -> String {
    guard !newText.isEmpty, newText != text else { return "" }
    if text.hasPrefix(newText) { return String(text.dropFirst(newText.count)) }
    var text = text
    var newText = newText
    let found = text.withUTF8 { haystack in newText.withUTF8 { ByteSearch.firstIndex(of: $0, in: haystack) } }
    guard let start = found else { return text }
    let utf8 = Array(text.utf8)
    let end = start + newText.utf8.count
    return String(decoding: utf8[..<start], as: UTF8.self) + "\n" + String(decoding: utf8[end...], as: UTF8.self)
  }

  /// An inline example from a rule file: the sentence as both subject and body.
  public init(example: String) {
    self.init(subject: example, body: example)
  }
}

/// Knuth–Morris–Pratt: where `needle` first stands in `haystack`, in time
/// linear in both.
enum ByteSearch {
  static func firstIndex(of needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>) -> Int? {
    guard !needle.isEmpty else { return 0 }
    guard needle.count <= haystack.count else { return nil }
    var failure = [Int](repeating: 0, count: needle.count)
    var length = 0
    for index in 1..<needle.count {
      while length > 0, needle[index] != needle[length] { length = failure[length - 1] }
      if needle[index] == needle[length] { length += 1 }
      failure[index] = length
    }
    var matched = 0
    for (index, byte) in haystack.enumerated() {
      while matched > 0, byte != needle[matched] { matched = failure[matched - 1] }
      if byte == needle[matched] { matched += 1 }
      if matched == needle.count { return index + 1 - needle.count }
    }
    return nil
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
  /// Extra points because its words stand in a request (`request-bonus`).
  public var bonus: Int = 0
  /// It would have matched, but its words stand only where they do not count
  /// (a declined or identifying clause, a reply's subject): no points.
  public var ignored = false
  /// Why it counted more, less or not at all, for people.
  public var notes: [String] = []

  /// What it added to its category's score.
  public var points: Int { ignored || isExclusion ? 0 : weight + bonus }
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
  /// A second request the mail makes, of another category (the two-topic policy).
  public var also: String?
  public var alsoCoverage: Coverage?
  /// How the mail was read, for people: a reply's subject weighed less, a
  /// forward classified on the forwarded mail, the examples' second opinion.
  public var notes: [String] = []

  public init(
    category: String?, coverage: Coverage, scores: [CategoryScore], reason: String, also: String? = nil,
    alsoCoverage: Coverage? = nil
  ) {
    self.category = category
    self.coverage = coverage
    self.scores = scores
    self.reason = reason
    self.also = also
    self.alsoCoverage = alsoCoverage
  }

  /// The winner's matches that counted (empty when unclassified).
  public var matched: [RuleMatch] {
    scores.first { $0.id == category }?.matches.filter { !$0.ignored } ?? []
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
  /// Which hits each condition counts (its role), its weight and whether it
  /// is an exclusion: plain values, so the loop over conditions copies no rule.
  private let sets: [HitSet]
  private let weights: [Int]
  private let exclusions: [Bool]
  /// The example mails' second opinion, when settings.rules asks for it.
  public var examples: ExampleModel?

  public init(_ rules: RuleSet) {
    var builder = TermIndex.Builder()
    var headerNames: [String] = []
    var nodes: [Int32] = []
    var sources: [Source] = []
    var firstCondition = [0]
    var sets: [HitSet] = []
    var weights: [Int] = []
    var exclusions: [Bool] = []
    for category in rules.categories {
      for condition in category.conditions {
        nodes.append(builder.compile(condition.expression))
        sets.append(HitSet(condition.role))
        weights.append(condition.weight)
        exclusions.append(condition.isExclusion)
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
    let settings = rules.settings
    var markers = TermIndex.ClauseMarkers()
    if let declined = settings.declined { markers.declined = builder.compile(declined) }
    if let request = settings.request { markers.request = builder.compile(request) }
    if let identification = settings.identification { markers.identification = builder.compile(identification) }
    if let clauseBreak = settings.clauseBreak { markers.clauseBreak = builder.compile(clauseBreak) }
    index = builder.build(markers: markers)
    self.sets = sets
    self.weights = weights
    self.exclusions = exclusions
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
  /// - Parameter excludingExample: a labelled example the examples' second
  ///   opinion must leave out (the mail itself, when `rules test` runs the examples).
  public func classify(_ input: TriageInput, explain: Bool = true, excludingExample: String? = nil) -> TriageResult {
    var result = classifyText(input, explain: explain)
    // A forward whose own words ask nothing ("przekazuję"): the forwarded mail is the request.
    if result.category == nil, input.thread == .forward, !input.forwardedBody.isEmpty {
      var forwarded = input
      forwarded.subject = input.forwardedSubject
      forwarded.body = input.forwardedBody
      forwarded.thread = SubjectPrefix.kind(of: input.forwardedSubject)
      forwarded.forwardedBody = ""
      var second = classifyText(forwarded, explain: explain)
      if second.category != nil {
        second.notes.insert(
          "a forward whose own text asks nothing (\(result.reason)): classified on the forwarded mail", at: 0)
        result = second
      } else {
        result.notes.append("a forward; the forwarded mail decides nothing either (\(second.reason))")
      }
    }
    if result.category == nil, let examples, let vote = rules.settings.examplesVote,
      let opinion = examples.opinion(
        on: input, minimumShare: vote, excluding: excludingExample, explain: explain)
    {
      let category = rules.categories.first { $0.id == opinion.category }
      result.category = opinion.category
      result.coverage = category?.coverage ?? .unclassified
      if explain { result.notes.append(opinion.explanation) }
      result.reason = "the rules are unsure (\(result.reason)); the labelled examples vote \(opinion.category)"
    }
    return result
  }

  /// Classifies the subject and text of `input` by the rules alone.
  private func classifyText(_ input: TriageInput, explain: Bool) -> TriageResult {
    let settings = rules.settings
    let inThread = input.thread != nil
    let subjectPercent = inThread ? settings.replySubjectPercent : 100
    var fields = Fields(
      input: input, index: index, headerNames: headerNames, explain: explain, textReadsSubject: subjectPercent == 100)
    var scores: [CategoryScore] = []
    for number in rules.categories.indices {
      // Made on the first line that matches: most categories match nothing in a mail.
      var score: CategoryScore?
      for position in firstCondition[number]..<firstCondition[number + 1] {
        let source = sources[position]
        let set = sets[position]
        let node = nodes[position]
        let ruleWeight = weights[position]
        let isExclusion = exclusions[position]
        var weight = ruleWeight
        var notes: [String] = []
        var ignored = false
        if source == .subject, subjectPercent < 100 {
          weight = weight * subjectPercent / 100
          if weight == 0 && ruleWeight != 0 || isExclusion && subjectPercent == 0 {
            // A reply's subject names the old topic: it does not count.
            guard explain, fields.holds(node, source, set) else { continue }
            ignored = true
            notes.append("the subject of a reply or forward counts \(subjectPercent) %")
          } else if weight != ruleWeight {
            notes.append(
              "the subject of a reply or forward counts \(subjectPercent) %: \(weight) instead of \(ruleWeight)")
          }
        }
        if !ignored, !fields.holds(node, source, set) {
          // Explained: a line that would have matched words that do not count here.
          guard explain, set != .all, fields.holds(node, source, .all) else { continue }
          ignored = true
        }
        var bonus = 0
        if !ignored, set == .asked, weight > 0, settings.requestBonus > 0, !isExclusion,
          fields.holds(node, source, .request)
        {
          bonus = settings.requestBonus
        }
        var words: [String] = []
        if explain {
          var found: [(word: String, role: ClauseRole?)] = []
          index.words(
            node, fields.fields(for: source), fields.globValues(for: source), set: ignored ? .all : set, into: &found)
          words = found.map(\.word)
          if ignored {
            for (word, role) in found {
              switch role {
              case .declined: notes.append("„\(word)” stands in a declined or denied clause: it does not count")
              case .identification: notes.append("„\(word)” only identifies the customer: it does not count")
              case .request, .plain, nil: break
              }
            }
          }
          if bonus > 0 { notes.append("+\(bonus): the words stand in a request") }
        }
        var match = match(number, position - firstCondition[number], words: words)
        match.weight = weight
        match.bonus = bonus
        match.ignored = ignored
        match.notes = notes
        if score == nil {
          let category = rules.categories[number]
          score = CategoryScore(
            id: category.id, title: category.title, coverage: category.coverage, score: 0,
            threshold: category.threshold, priority: category.priority, vetoedBy: nil, matches: [])
        }
        if match.isExclusion, !ignored {
          score!.vetoedBy = score!.vetoedBy ?? match
        } else {
          score!.score += match.points
        }
        score!.matches.append(match)
      }
      if let score { scores.append(score) }
    }
    scores.sort { ($0.score, $0.priority, $1.id) > ($1.score, $1.priority, $0.id) }
    var result = decide(scores)
    if inThread, subjectPercent < 100 {
      result.notes.append(
        "\(input.thread == .forward ? "a forward" : "a reply"): its subject counts \(subjectPercent) % (reply-subject in settings.rules)"
      )
    }
    return result
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
    let margin = rules.margin
    let policy = rules.settings.twoTopics
    // The contenders the margin rule weighs against the top: ties always.
    let close = contenders.filter { $0.score == top.score || top.score - $0.score < margin }
    func chosen(_ winner: CategoryScore, _ reason: String) -> TriageResult {
      // The second request: another contender, one of another coverage first.
      let others = contenders.filter { $0.id != winner.id }
      let also = others.first { $0.coverage != winner.coverage && $0.coverage != .other } ?? others.first
      return TriageResult(
        category: winner.id, coverage: winner.coverage, scores: scores, reason: reason, also: also?.id,
        alsoCoverage: also?.coverage)
    }
    if close.count > 1, policy != .unclassified {
      let winner: CategoryScore
      if policy == .uncovered {
        winner = close.first { $0.coverage == .uncovered } ?? close.first { $0.coverage == .covered } ?? close[0]
      } else {
        winner = close[0]
      }
      let list = close.map { "\($0.id) \($0.score)" }.joined(separator: ", ")
      return chosen(
        winner,
        "two topics within the margin of \(margin) (\(list)); two-topics: \(policy.rawValue) chooses \(winner.id)")
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
    if let runnerUp = contenders.first(where: { $0.score < winner.score }), winner.score - runnerUp.score < margin {
      return unclassified(
        "\(winner.id) (\(winner.score) points) is not ahead of \(runnerUp.id) (\(runnerUp.score)) by the margin of \(margin)"
      )
    }
    return chosen(
      winner, "\(winner.id) has \(winner.score) points, its threshold is \(winner.threshold)\(reasonSuffix)")
  }
}
