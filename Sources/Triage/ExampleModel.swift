import Foundation

/// The labelled example mails as a second opinion, for when the rules are
/// unsure (settings.rules: `examples-vote`): the mail is compared with every
/// example by the words they share (normalised, cut to their first six
/// letters so that "drukarka", "drukarki" and "drukarce" are one word;
/// rarer words weigh more, TF-IDF cosine), and its nearest examples vote.
/// The vote decides only when the best category has at least the share of
/// it that settings.rules asks for; otherwise the mail stays unclassified.
public struct ExampleModel: Sendable {
  /// How many nearest examples vote.
  public static let neighbours = 7
  /// Below this similarity an example is no neighbour at all.
  public static let minimumSimilarity = 0.08

  struct Example: Sendable {
    var name: String
    var label: String
    /// Term → weight, normalised to length 1.
    var vector: [Int32: Double]
  }

  private let examples: [Example]
  private let terms: [String: Int32]
  private let termNames: [String]
  /// Inverse document frequency per term.
  private let idf: [Double]
  /// Term → the examples that have it.
  private let postings: [[Int32]]

  /// The labels the model votes for: categories of the rules and
  /// `unclassified` (a vote for it is a vote for a person).
  public init(_ labelled: [LabelledExample], categories: Set<String>) {
    var terms: [String: Int32] = [:]
    var termNames: [String] = []
    var documents: [(name: String, label: String, counts: [Int32: Int])] = []
    for example in labelled where categories.contains(example.expected) || example.expected == "unclassified" {
      var counts: [Int32: Int] = [:]
      for word in Self.words(example.input) {
        let term: Int32
        if let known = terms[word] {
          term = known
        } else {
          term = Int32(termNames.count)
          terms[word] = term
          termNames.append(word)
        }
        counts[term, default: 0] += 1
      }
      documents.append((example.name, example.expected, counts))
    }
    var frequency = [Int](repeating: 0, count: termNames.count)
    for document in documents { for term in document.counts.keys { frequency[Int(term)] += 1 } }
    let idf = frequency.map { log(Double(documents.count + 1) / Double($0 + 1)) + 1 }
    var postings = [[Int32]](repeating: [], count: termNames.count)
    var examples: [Example] = []
    for (number, document) in documents.enumerated() {
      let vector = Self.normalised(document.counts, idf: idf)
      for term in vector.keys { postings[Int(term)].append(Int32(number)) }
      examples.append(Example(name: document.name, label: document.label, vector: vector))
    }
    self.examples = examples
    self.terms = terms
    self.termNames = termNames
    self.idf = idf
    self.postings = postings
  }

  public var count: Int { examples.count }

  /// What the examples say about a mail.
  public struct Opinion: Sendable {
    public var category: String
    /// The best category's share of the similarity-weighted vote, 0…1.
    public var share: Double
    /// The nearest examples: name, label, similarity.
    public var neighbours: [(name: String, label: String, similarity: Double)]
    /// The words the mail shares with the examples of `category`, weightiest first.
    public var words: [String]

    public var explanation: String {
      let near = neighbours.prefix(3).map { "\($0.name) (\($0.label), \(String(format: "%.2f", $0.similarity)))" }
      return "the labelled examples vote \(category) with \(Int((share * 100).rounded())) % of the vote; "
        + "nearest: \(near.joined(separator: ", ")); shared words: \(words.prefix(8).joined(separator: ", "))"
    }
  }

  /// The vote of the nearest examples, or nil when no category has
  /// `minimumShare` of it (or the winner is `unclassified`).
  /// - Parameter excluding: an example left out (its own name), for testing
  ///   the examples on themselves.
  public func opinion(on input: TriageInput, minimumShare: Double, excluding: String? = nil) -> Opinion? {
    guard let ranked = vote(on: input, excluding: excluding), let best = ranked.first,
      best.share >= minimumShare, best.label != "unclassified"
    else { return nil }
    return best.opinion
  }

  private func vote(on input: TriageInput, excluding: String?) -> [(label: String, share: Double, opinion: Opinion)]? {
    var counts: [Int32: Int] = [:]
    for word in Self.words(input) { if let term = terms[word] { counts[term, default: 0] += 1 } }
    guard !counts.isEmpty else { return nil }
    let vector = Self.normalised(counts, idf: idf)
    var similarity: [Int32: Double] = [:]
    for (term, weight) in vector {
      for example in postings[Int(term)] {
        similarity[example, default: 0] += weight * (examples[Int(example)].vector[term] ?? 0)
      }
    }
    let nearest = similarity.filter { $0.value >= Self.minimumSimilarity && examples[Int($0.key)].name != excluding }
      .sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(Self.neighbours)
    guard !nearest.isEmpty else { return nil }
    var votes: [String: Double] = [:]
    for (example, value) in nearest { votes[examples[Int(example)].label, default: 0] += value }
    let total = votes.values.reduce(0, +)
    let neighbours = nearest.map { (examples[Int($0.key)].name, examples[Int($0.key)].label, $0.value) }
    return votes.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { label, value in
      // The words that carried the vote: shared with this label's neighbours, by weight.
      var carried: [Int32: Double] = [:]
      for (example, _) in nearest where examples[Int(example)].label == label {
        for (term, weight) in vector {
          carried[term, default: 0] += weight * (examples[Int(example)].vector[term] ?? 0)
        }
      }
      let words = carried.filter { $0.value > 0 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
        .map { termNames[Int($0.key)] }
      return (
        label, value / total,
        Opinion(category: label, share: value / total, neighbours: neighbours, words: Array(words.prefix(12)))
      )
    }
  }

  private static func normalised(_ counts: [Int32: Int], idf: [Double]) -> [Int32: Double] {
    var vector: [Int32: Double] = [:]
    for (term, count) in counts { vector[term] = (1 + log(Double(count))) * idf[Int(term)] }
    let length = sqrt(vector.values.reduce(0) { $0 + $1 * $1 })
    guard length > 0 else { return [:] }
    return vector.mapValues { $0 / length }
  }

  /// Words too common to tell categories apart.
  private static let stopWords: Set<String> = [
    "the", "and", "for", "you", "are", "with", "our", "this", "that", "have", "from", "can", "not", "but", "all",
    "was", "will", "would", "could", "please", "thank", "thanks", "regard", "hello", "dear", "best", "kind",
    "dzien", "dobry", "prosze", "dziekuj", "pozdra", "jest", "nie", "jak", "czy", "sie", "the", "mamy", "mam",
    "oraz", "tak", "ale", "juz", "przy", "dla", "jako", "tego", "temu", "tym", "ten", "ktor", "moze", "mozna",
    "bardzo", "witam", "szanow", "panst", "pani", "pana", "gory", "tylko", "jeszcze", "teraz", "wiec",
  ]

  /// The words of the subject (without a reply's old subject) and the new text, cut to six letters.
  static func words(_ input: TriageInput) -> [String] {
    var result: [String] = []
    let subject = input.thread == nil ? input.subject : ""
    for token in Normalizer.tokens(subject + "\n" + input.body + "\n" + input.forwardedBody) {
      let word = token.text
      guard word.count >= 3, !word.allSatisfy(\.isNumber) else { continue }
      let stem = String(word.prefix(6))
      guard !stopWords.contains(stem) else { continue }
      result.append(stem)
    }
    return result
  }
}
