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
  /// A mail with fewer known words than this, or whose nearest example is
  /// less similar than `minimumNearest`, gets no opinion: too little to go on.
  public static let minimumWords = 4
  public static let minimumNearest = 0.15

  struct Example: Sendable {
    var name: String
    var label: String
    /// Term → weight, normalised to length 1.
    var vector: [Int32: Double]
  }

  private let examples: [Example]
  private let terms: [UInt64: Int32]
  private let termNames: [String]
  /// Inverse document frequency per term.
  private let idf: [Double]
  /// Term → the examples that have it, with the term's weight there.
  private let postings: [[(example: Int32, weight: Double)]]

  /// The labels the model votes for: categories of the rules and
  /// `unclassified` (a vote for it is a vote for a person).
  public init(_ labelled: [LabelledExample], categories: Set<String>) {
    var terms: [UInt64: Int32] = [:]
    var termNames: [String] = []
    var documents: [(name: String, label: String, counts: [Int32: Int])] = []
    for example in labelled where categories.contains(example.expected) || example.expected == "unclassified" {
      var counts: [Int32: Int] = [:]
      for word in Self.stems(example.input) {
        let term: Int32
        if let known = terms[word] {
          term = known
        } else {
          term = Int32(termNames.count)
          terms[word] = term
          termNames.append(Self.text(of: word))
        }
        counts[term, default: 0] += 1
      }
      documents.append((example.name, example.expected, counts))
    }
    var frequency = [Int](repeating: 0, count: termNames.count)
    for document in documents { for term in document.counts.keys { frequency[Int(term)] += 1 } }
    let idf = frequency.map { log(Double(documents.count + 1) / Double($0 + 1)) + 1 }
    var postings = [[(example: Int32, weight: Double)]](repeating: [], count: termNames.count)
    var examples: [Example] = []
    for (number, document) in documents.enumerated() {
      let vector = Self.normalised(document.counts, idf: idf)
      for (term, weight) in vector { postings[Int(term)].append((Int32(number), weight)) }
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
  /// - Parameter explain: also find the words that carried the vote (for people).
  public func opinion(
    on input: TriageInput, minimumShare: Double, excluding: String? = nil, explain: Bool = true
  ) -> Opinion? {
    var counts: [Int32: Int] = [:]
    for word in Self.stems(input) { if let term = terms[word] { counts[term, default: 0] += 1 } }
    guard counts.count >= Self.minimumWords else { return nil }
    let vector = Self.normalised(counts, idf: idf)
    var similarity = [Double](repeating: 0, count: examples.count)
    for (term, weight) in vector {
      for posting in postings[Int(term)] { similarity[Int(posting.example)] += weight * posting.weight }
    }
    var nearest: [(example: Int, similarity: Double)] = []
    for (example, value) in similarity.enumerated()
    where value >= Self.minimumSimilarity && examples[example].name != excluding {
      nearest.append((example, value))
    }
    nearest.sort { $0.similarity != $1.similarity ? $0.similarity > $1.similarity : $0.example < $1.example }
    nearest = Array(nearest.prefix(Self.neighbours))
    guard let closest = nearest.first, closest.similarity >= Self.minimumNearest else { return nil }
    var votes: [String: Double] = [:]
    for (example, value) in nearest { votes[examples[example].label, default: 0] += value }
    let total = votes.values.reduce(0, +)
    guard let best = votes.max(by: { $0.value != $1.value ? $0.value < $1.value : $0.key > $1.key }),
      best.value / total >= minimumShare, best.key != "unclassified"
    else { return nil }
    var words: [String] = []
    if explain {
      // The words that carried the vote: shared with the winner's neighbours, by weight.
      var carried: [Int32: Double] = [:]
      for (example, _) in nearest where examples[example].label == best.key {
        for (term, weight) in vector { carried[term, default: 0] += weight * (examples[example].vector[term] ?? 0) }
      }
      words = carried.filter { $0.value > 0 }.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.prefix(12)
        .map { termNames[Int($0.key)] }
    }
    return Opinion(
      category: best.key, share: best.value / total,
      neighbours: nearest.map { (examples[$0.example].name, examples[$0.example].label, $0.similarity) },
      words: words)
  }

  private static func normalised(_ counts: [Int32: Int], idf: [Double]) -> [Int32: Double] {
    var vector: [Int32: Double] = [:]
    for (term, count) in counts { vector[term] = (1 + log(Double(count))) * idf[Int(term)] }
    let length = sqrt(vector.values.reduce(0) { $0 + $1 * $1 })
    guard length > 0 else { return [:] }
    return vector.mapValues { $0 / length }
  }

  /// Words too common to tell categories apart (their first six letters).
  private static let stopWords: Set<String> = [
    "the", "and", "for", "you", "are", "with", "our", "this", "that", "have", "from", "can", "not", "but", "all",
    "was", "will", "would", "could", "please", "thank", "thanks", "regard", "hello", "dear", "best", "kind",
    "dzien", "dobry", "prosze", "dziekuj", "pozdra", "jest", "nie", "jak", "czy", "sie", "mamy", "mam",
    "oraz", "tak", "ale", "juz", "przy", "dla", "jako", "tego", "temu", "tym", "ten", "ktor", "moze", "mozna",
    "bardzo", "witam", "szanow", "panst", "pani", "pana", "gory", "tylko", "jeszcze", "teraz", "wiec",
  ]
  private static let stopKeys: Set<UInt64> = Set(stopWords.map { key(Array($0.utf8.prefix(6))) })

  /// A word's first six normalised bytes packed into a number: the model's
  /// terms, made without a String per word.
  static func key<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UInt64 {
    bytes.prefix(6).reduce(0) { $0 << 8 | UInt64($1) }
  }

  static func text(of key: UInt64) -> String {
    var bytes: [UInt8] = []
    var key = key
    while key != 0 {
      bytes.insert(UInt8(key & 0xFF), at: 0)
      key >>= 8
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// Collects the keys of words of three letters or more that are not only digits.
  struct StemSink: WordSink {
    var keys: [UInt64] = []
    private var key: UInt64 = 0
    private var length = 0
    private var letters = false

    mutating func letter(_ byte: UInt8) {
      if length < 6 { key = key << 8 | UInt64(byte) }
      length += 1
      letters = letters || byte > 0x39
    }

    mutating func endWord(_ range: Range<Int>) {
      if length >= 3, letters, !ExampleModel.stopKeys.contains(key) { keys.append(key) }
      key = 0
      length = 0
      letters = false
    }

    mutating func endClause(question: Bool) {}
  }

  /// The words of the subject (without a reply's old subject), the new text
  /// and a forwarded mail, each cut to six letters.
  static func stems(_ input: TriageInput) -> [UInt64] {
    var sink = StemSink()
    for text in [input.thread == nil ? input.subject : "", input.body, input.forwardedBody] where !text.isEmpty {
      var text = text
      sink = text.withUTF8 { Normalizer.scan(utf8: $0, into: sink) }
    }
    return sink.keys
  }

  /// The same as text, for people and for `rules suggest`.
  static func words(_ input: TriageInput) -> [String] { stems(input).map(text(of:)) }
}
