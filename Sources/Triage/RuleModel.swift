/// Whether PWSK's free basic support covers a request (DESIGN.md section 1).
public enum Coverage: String, Sendable, Codable, CaseIterable {
  /// Free basic support: requirements, configuration, error messages, licence keys.
  case covered
  /// Only under the paid contract "stały nadzór".
  case uncovered
  /// Neither: sales questions, thanks, …
  case other
  /// No category was sure enough: a person reads it.
  case unclassified
}

/// A place in a rule file, 1-based.
public struct SourceLocation: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int

  public init(file: String, line: Int, column: Int = 1) {
    self.file = file
    self.line = line
    self.column = column
  }

  public var description: String { "\(file):\(line):\(column)" }

  public static func < (lhs: SourceLocation, rhs: SourceLocation) -> Bool {
    (lhs.file, lhs.line, lhs.column) < (rhs.file, rhs.line, rhs.column)
  }
}

/// An error or warning about a rule file, printed as `FILE:LINE:COL: error: …` like a compiler's.
public struct Diagnostic: Sendable, Hashable, CustomStringConvertible {
  public enum Severity: String, Sendable { case error, warning }

  public var location: SourceLocation
  public var severity: Severity
  public var message: String
  /// How to fix it, when there is something to suggest.
  public var hint: String?

  public init(_ severity: Severity, _ location: SourceLocation, _ message: String, hint: String? = nil) {
    self.severity = severity
    self.location = location
    self.message = message
    self.hint = hint
  }

  public var description: String {
    "\(location): \(severity.rawValue): \(message)" + (hint.map { " (\($0))" } ?? "")
  }
}

/// What part of a mail a condition looks at.
public enum Target: Sendable, Hashable, CustomStringConvertible {
  /// The subject.
  case subject
  /// The new text of the body: without quoted history, signature and footer.
  case body
  /// Subject and new text together.
  case text
  /// What `body` leaves out: the quoted history, the signature, the footer.
  case quoted
  /// The sender's address, matched as a pattern such as `*@allegro.pl`.
  case from
  /// The sender's domain, matched as a pattern such as `*.gov.pl`.
  case domain
  /// The words of a header's value.
  case header(String)
  /// Attachment file names, matched as patterns such as `*.pdf`.
  case attachment

  /// Targets matched as whole-value patterns rather than words.
  public var usesGlobs: Bool {
    switch self {
    case .from, .domain, .attachment: true
    default: false
    }
  }

  public var description: String {
    switch self {
    case .subject: "subject"
    case .body: "body"
    case .text: "text"
    case .quoted: "quoted"
    case .from: "from"
    case .domain: "domain"
    case .header(let name): "header \(name)"
    case .attachment: "attachment"
    }
  }
}

/// One pattern of a rule.
public struct Term: Sendable, Hashable, CustomStringConvertible {
  public enum Kind: Sendable, Hashable {
    /// The whole word: `kolektor`.
    case word(String)
    /// Words starting with it: `drukar*`.
    case prefix(String)
    /// Words ending with it: `*owanie`.
    case suffix(String)
    /// Words containing it: `*instal*`.
    case infix(String)
    /// Adjacent words, each a word, prefix, suffix or infix: `"czytnik* kod*"`.
    case phrase([Term])
    /// A pattern for addresses, domains and file names, `*` for any text: `*@allegro.pl`.
    case glob(String)
  }

  public var kind: Kind
  /// As written in the rule file, for explanations.
  public var source: String

  public init(_ kind: Kind, source: String) {
    self.kind = kind
    self.source = source
  }

  public var description: String { source }
}

/// A boolean combination of terms.
public indirect enum Expression: Sendable, Hashable {
  case term(Term)
  case all([Expression])
  case any([Expression])
  case not(Expression)

  /// Every term in it, in order.
  public var terms: [Term] {
    switch self {
    case .term(let term): [term]
    case .all(let parts), .any(let parts): parts.flatMap(\.terms)
    case .not(let inner): inner.terms
    }
  }
}

/// Which mentions of its words a condition counts (rules/README.md, "Rola
/// słów"). The text is read clause by clause: a clause that declines or
/// denies something ("nie mamy AnyDeska", "drukarka działa poprawnie"), or
/// only identifies the customer ("klucz licencyjny: 7Q2M-K81D-00X4-PWSK"),
/// mentions a topic without asking about it.
public enum EvidenceRole: String, Sendable, Hashable, CaseIterable {
  /// The default: words in clauses that ask or tell, not in declined or identifying ones.
  case asked
  /// Only words in a request: a question, "proszę o", "czy możecie…".
  case request
  /// Only words in a declined or denied clause ("rezygnujemy z nadzoru" for sales).
  case negated
  /// Every mention, whatever the clause (the behaviour before roles existed).
  case mentioned
}

/// One line of a category: where to look, what to find, what it is worth.
public struct Condition: Sendable, Hashable {
  public var target: Target
  /// Which mentions count (`body request +2: …`); `.asked` when the line names none.
  public var role: EvidenceRole = .asked
  /// Points added when it matches (may be negative). Zero for exclusions.
  public var weight: Int
  /// An exclusion vetoes the category when it matches.
  public var isExclusion: Bool
  public var expression: Expression
  public var location: SourceLocation
  /// The line as written, for explanations.
  public var source: String

  public init(
    target: Target, role: EvidenceRole = .asked, weight: Int, isExclusion: Bool, expression: Expression,
    location: SourceLocation, source: String
  ) {
    self.target = target
    self.role = role
    self.weight = weight
    self.isExclusion = isExclusion
    self.expression = expression
    self.location = location
    self.source = source
  }
}

/// A labelled sentence written next to the rules: what the category must (or must not) catch.
public struct InlineExample: Sendable, Hashable {
  public var text: String
  public var location: SourceLocation
}

/// A category of requests, from one file in `rules/categories/`.
public struct Category: Sendable, Hashable {
  public var id: String
  public var title: String
  public var coverage: Coverage
  public var threshold: Int
  /// Breaks exact ties only: the higher priority wins.
  public var priority: Int
  /// Whether mail of this category gets an automatic reply (`reply: no` for
  /// thank-you notes and the like: recorded and filed, not answered).
  public var autoReply: Bool = true
  public var conditions: [Condition]
  public var examples: [InlineExample]
  public var counterExamples: [InlineExample]
  public var location: SourceLocation
}

/// What to do when two categories both pass their thresholds and neither is
/// ahead by the margin (`two-topics:` in settings.rules).
public enum TwoTopicPolicy: String, Sendable, Hashable, CaseIterable {
  /// A person decides: the mail is unclassified.
  case unclassified
  /// A paid (uncovered) request wins over a free one, a free one over sales
  /// and thanks; the other topic is named in the result (`also`).
  case uncovered
  /// The higher score wins, the other is named in the result.
  case stronger
}

/// The global settings of `settings.rules`.
public struct TriageSettings: Sendable {
  /// The winner must beat the runner-up by at least this many points.
  public var margin = 1
  /// Extra points for a line whose words stand in a request (a question, "proszę o…").
  public var requestBonus = 0
  public var twoTopics = TwoTopicPolicy.unclassified
  /// How much subject lines count in a reply or forward (`Re:`, `Odp:`, `Fwd:`), in percent.
  public var replySubjectPercent = 100
  /// Clause markers: declined or denied mentions, requests, identification labels,
  /// words that start a new clause ("ale", "but"). nil: no such clauses.
  public var declined: Expression?
  public var request: Expression?
  public var identification: Expression?
  public var clauseBreak: Expression?
  /// The labelled examples' second opinion when the rules are unsure: the share
  /// of the vote the best category needs (0.5…1); nil: off.
  public var examplesVote: Double?
  /// Costs of the mistakes in `rules test`: a covered/uncovered swap, an
  /// unclassified mail, a wrong category of the right coverage.
  public var costSwap = 5
  public var costUnclassified = 1
  public var costWrongCategory = 1

  public init() {}
}

/// Everything in `rules/`, checked and ready to compile.
public struct RuleSet: Sendable {
  public let categories: [Category]
  public var settings: TriageSettings
  /// The winner must beat the runner-up by at least this many points.
  public var margin: Int {
    get { settings.margin }
    set { settings.margin = newValue }
  }
  /// The categories whose mail gets no automatic reply (`reply: no`).
  public let silentCategories: Set<String>

  public init(categories: [Category], settings: TriageSettings) {
    self.categories = categories
    self.settings = settings
    silentCategories = Set(categories.filter { !$0.autoReply }.map(\.id))
  }

  public init(categories: [Category], margin: Int) {
    var settings = TriageSettings()
    settings.margin = margin
    self.init(categories: categories, settings: settings)
  }
}

extension Diagnostic {
  /// "did you mean 'subject'?" for a near miss among `candidates`, else the list of them.
  public static func suggestion(for word: String, among candidates: [String]) -> String? {
    Keys.suggestion(for: word, among: candidates)
  }
}
