/// Every word pattern of the rules, indexed for lookup by the words of a mail.
struct TermIndex: Sendable {
  /// A compiled expression: patterns by number.
  indirect enum Node: Sendable {
    case atom(Int)
    case phrase(Int)
    case glob(Int)
    case all([Node])
    case any([Node])
    case not(Node)
  }

  let atomCount: Int
  private let exact: [String: [Int32]]
  private let prefixes: Trie
  private let suffixes: Trie
  private let infixes: [(pattern: [UInt8], atom: Int32)]
  /// Each phrase as the atoms of its words, in order.
  let phrases: [[Int]]
  /// Atoms that are part of a phrase: their positions are recorded.
  let inPhrase: [Bool]
  let globs: [[UInt8]]

  /// The atoms a normalised word matches.
  func atoms(matching word: String) -> [Int32] {
    var result = exact[word] ?? []
    let bytes = Array(word.utf8)
    prefixes.collect(along: bytes, into: &result)
    if !suffixes.isEmpty { suffixes.collect(along: bytes.reversed(), into: &result) }
    for infix in infixes where Self.contains(bytes, infix.pattern) { result.append(infix.atom) }
    return result
  }

  private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard needle.count <= haystack.count, let first = needle.first else { return needle.isEmpty }
    var index = 0
    while index + needle.count <= haystack.count {
      if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
      index += 1
    }
    return false
  }

  /// `*` matches any run of characters; everything else itself (both lower-cased).
  func glob(_ number: Int, matches text: String) -> Bool {
    let pattern = globs[number]
    let text = Array(text.lowercased().utf8)
    var p = 0
    var t = 0
    var star = -1
    var mark = 0
    while t < text.count {
      if p < pattern.count, pattern[p] != UInt8(ascii: "*"), pattern[p] == text[t] {
        p += 1
        t += 1
      } else if p < pattern.count, pattern[p] == UInt8(ascii: "*") {
        star = p
        mark = t
        p += 1
      } else if star >= 0 {
        p = star + 1
        mark += 1
        t = mark
      } else {
        return false
      }
    }
    while p < pattern.count, pattern[p] == UInt8(ascii: "*") { p += 1 }
    return p == pattern.count
  }

  struct Builder {
    private var atomNumbers: [Term.Kind: Int] = [:]
    private var atomKinds: [Term.Kind] = []
    private var phraseNumbers: [[Int]: Int] = [:]
    private var phrases: [[Int]] = []
    private var globNumbers: [String: Int] = [:]
    private var globs: [String] = []

    mutating func compile(_ expression: Expression) -> Node {
      switch expression {
      case .term(let term): compile(term)
      case .all(let parts): .all(parts.map { compile($0) })
      case .any(let parts): .any(parts.map { compile($0) })
      case .not(let inner): .not(compile(inner))
      }
    }

    private mutating func compile(_ term: Term) -> Node {
      switch term.kind {
      case .glob(let pattern):
        if let number = globNumbers[pattern] { return .glob(number) }
        globs.append(pattern)
        globNumbers[pattern] = globs.count - 1
        return .glob(globs.count - 1)
      case .phrase(let items):
        let atoms = items.map { atom($0.kind) }
        if let number = phraseNumbers[atoms] { return .phrase(number) }
        phrases.append(atoms)
        phraseNumbers[atoms] = phrases.count - 1
        return .phrase(phrases.count - 1)
      default:
        return .atom(atom(term.kind))
      }
    }

    private mutating func atom(_ kind: Term.Kind) -> Int {
      if let number = atomNumbers[kind] { return number }
      atomKinds.append(kind)
      atomNumbers[kind] = atomKinds.count - 1
      return atomKinds.count - 1
    }

    func build() -> TermIndex {
      var exact: [String: [Int32]] = [:]
      var prefixes = Trie()
      var suffixes = Trie()
      var infixes: [([UInt8], Int32)] = []
      for (number, kind) in atomKinds.enumerated() {
        let atom = Int32(number)
        switch kind {
        case .word(let word): exact[word, default: []].append(atom)
        case .prefix(let stem): prefixes.insert(Array(stem.utf8), atom)
        case .suffix(let ending): suffixes.insert(Array(ending.utf8).reversed(), atom)
        case .infix(let part): infixes.append((Array(part.utf8), atom))
        case .phrase, .glob: break
        }
      }
      var inPhrase = Array(repeating: false, count: atomKinds.count)
      for phrase in phrases { for atom in phrase { inPhrase[atom] = true } }
      return TermIndex(
        atomCount: atomKinds.count, exact: exact, prefixes: prefixes, suffixes: suffixes, infixes: infixes,
        phrases: phrases, inPhrase: inPhrase, globs: globs.map { Array($0.utf8) })
    }
  }
}

/// A byte trie whose nodes carry the atoms of the patterns ending there.
struct Trie: Sendable {
  private var children: [[(byte: UInt8, node: Int32)]] = [[]]
  private var atoms: [[Int32]] = [[]]

  var isEmpty: Bool { children.count == 1 }

  mutating func insert<Bytes: Sequence<UInt8>>(_ key: Bytes, _ atom: Int32) {
    var node = 0
    for byte in key {
      if let next = children[node].first(where: { $0.byte == byte }) {
        node = Int(next.node)
      } else {
        children.append([])
        atoms.append([])
        children[node].append((byte, Int32(children.count - 1)))
        node = children.count - 1
      }
    }
    atoms[node].append(atom)
  }

  /// Adds the atoms of every pattern that is a prefix of `key`.
  func collect<Bytes: Sequence<UInt8>>(along key: Bytes, into result: inout [Int32]) {
    var node = 0
    for byte in key {
      guard let next = children[node].first(where: { $0.byte == byte }) else { return }
      node = Int(next.node)
      result += atoms[node]
    }
  }
}

/// The mail's fields, tokenised on first use, with what each pattern hit.
struct Fields {
  struct Analysed {
    var text: String
    var tokens: [Token]
    /// First token position where each atom hit, -1 for none.
    var firstHit: [Int32]
    /// Positions of the atoms that are part of phrases.
    var positions: [Int: [Int]]
  }

  let input: TriageInput
  let index: TermIndex
  private var cache: [String: [Int32]] = [:]
  private var analysed: [String: Analysed] = [:]

  init(input: TriageInput, index: TermIndex, headerNames: Set<String>) {
    self.input = input
    self.index = index
  }

  /// The texts a word target reads, by cache key.
  private func texts(for target: Target) -> [(key: String, text: String)] {
    switch target {
    case .subject: [("subject", input.subject)]
    case .body: [("body", input.body)]
    case .text: [("subject", input.subject), ("body", input.body)]
    case .quoted: [("quoted", input.quoted)]
    case .header(let name):
      [("header:" + name.lowercased(), (input.headers[name.lowercased()] ?? []).joined(separator: "\n"))]
    case .from, .domain, .attachment: []
    }
  }

  private mutating func analyse(_ key: String, _ text: String) -> Analysed {
    if let done = analysed[key] { return done }
    let tokens = Normalizer.tokens(text)
    var firstHit = Array(repeating: Int32(-1), count: index.atomCount)
    var positions: [Int: [Int]] = [:]
    for (position, token) in tokens.enumerated() {
      let atoms: [Int32]
      if let known = cache[token.text] {
        atoms = known
      } else {
        atoms = index.atoms(matching: token.text)
        cache[token.text] = atoms
      }
      for atom in atoms {
        if firstHit[Int(atom)] < 0 { firstHit[Int(atom)] = Int32(position) }
        if index.inPhrase[Int(atom)] { positions[Int(atom), default: []].append(position) }
      }
    }
    let result = Analysed(text: text, tokens: tokens, firstHit: firstHit, positions: positions)
    analysed[key] = result
    return result
  }

  /// Where a phrase starts in a field, or nil.
  private func phraseStart(_ number: Int, in field: Analysed) -> Int? {
    let atoms = index.phrases[number]
    guard let first = atoms.first, let starts = field.positions[first] else { return nil }
    for start in starts where start + atoms.count <= field.tokens.count {
      if atoms.indices.dropFirst().allSatisfy({ field.positions[atoms[$0]]?.contains(start + $0) == true }) {
        return start
      }
    }
    return nil
  }

  private func globValues(for target: Target) -> [String] {
    switch target {
    case .from: [input.from]
    case .domain: [input.from.split(separator: "@").last.map(String.init) ?? ""]
    case .attachment: input.attachmentNames
    default: []
    }
  }

  mutating func evaluate(_ node: TermIndex.Node, target: Target) -> Bool {
    switch node {
    case .atom(let atom):
      return texts(for: target).contains { analyse($0.key, $0.text).firstHit[atom] >= 0 }
    case .phrase(let number):
      return texts(for: target).contains { phraseStart(number, in: analyse($0.key, $0.text)) != nil }
    case .glob(let number):
      return globValues(for: target).contains { index.glob(number, matches: $0) }
    case .all(let parts):
      for part in parts where !evaluate(part, target: target) { return false }
      return true
    case .any(let parts):
      for part in parts where evaluate(part, target: target) { return true }
      return false
    case .not(let inner):
      return !evaluate(inner, target: target)
    }
  }

  /// The original words behind the patterns of `node` that hit (not those under NOT).
  mutating func words(for node: TermIndex.Node, target: Target) -> [String] {
    var words: [String] = []
    func add(_ word: String) { if !words.contains(word) { words.append(word) } }
    func walk(_ node: TermIndex.Node) {
      switch node {
      case .atom(let atom):
        for (key, text) in texts(for: target) {
          let field = analyse(key, text)
          let position = Int(field.firstHit[atom])
          if position >= 0 {
            add(field.tokens[position].original(in: field.text))
            break
          }
        }
      case .phrase(let number):
        for (key, text) in texts(for: target) {
          let field = analyse(key, text)
          if let start = phraseStart(number, in: field) {
            let span =
              field.tokens[start].utf8Range
              .lowerBound..<field.tokens[start + index.phrases[number].count - 1].utf8Range.upperBound
            add(Token(text: "", utf8Range: span).original(in: field.text))
            break
          }
        }
      case .glob(let number):
        for value in globValues(for: target) where index.glob(number, matches: value) { add(value) }
      case .all(let parts), .any(let parts):
        for part in parts { walk(part) }
      case .not:
        break
      }
    }
    walk(node)
    return words
  }
}
