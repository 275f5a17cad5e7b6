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
  /// Whole words and stems in one trie: one walk per word finds both.
  private let prefixes: Trie
  private let suffixes: Trie
  private let infixes: [(pattern: [UInt8], atom: Int32)]
  /// Each phrase as the atoms of its words, in order.
  let phrases: [[Int]]
  /// Atoms that are part of a phrase: their positions are recorded.
  let inPhrase: [Bool]
  let globs: [[UInt8]]

  /// The atoms a normalised word matches.
  func atoms(matching word: String, into result: inout [Int32]) {
    var word = word
    word.withUTF8 { atoms(matching: $0, into: &result) }
  }

  func atoms(matching bytes: UnsafeBufferPointer<UInt8>, into result: inout [Int32]) {
    prefixes.collect(along: bytes, into: &result)
    if !suffixes.isEmpty { suffixes.collect(along: bytes.reversed(), into: &result) }
    for infix in infixes where Self.contains(bytes, infix.pattern) { result.append(infix.atom) }
  }

  private static func contains(_ haystack: UnsafeBufferPointer<UInt8>, _ needle: [UInt8]) -> Bool {
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
      var prefixes = Trie()
      var suffixes = Trie()
      var infixes: [([UInt8], Int32)] = []
      for (number, kind) in atomKinds.enumerated() {
        let atom = Int32(number)
        switch kind {
        case .word(let word): prefixes.insert(Array(word.utf8), atom, wholeWordOnly: true)
        case .prefix(let stem): prefixes.insert(Array(stem.utf8), atom)
        case .suffix(let ending): suffixes.insert(Array(ending.utf8).reversed(), atom)
        case .infix(let part): infixes.append((Array(part.utf8), atom))
        case .phrase, .glob: break
        }
      }
      prefixes.freeze()
      suffixes.freeze()
      var inPhrase = Array(repeating: false, count: atomKinds.count)
      for phrase in phrases { for atom in phrase { inPhrase[atom] = true } }
      return TermIndex(
        atomCount: atomKinds.count, prefixes: prefixes, suffixes: suffixes, infixes: infixes,
        phrases: phrases, inPhrase: inPhrase, globs: globs.map { Array($0.utf8) })
    }
  }
}

/// A byte trie whose nodes carry the atoms of the patterns ending there:
/// stems match every word that passes through the node, whole words only the
/// word that ends there. Built with nested arrays, then frozen into flat ones
/// so that a lookup touches no reference counts.
struct Trie: Sendable {
  private var building: [[(byte: UInt8, node: Int32)]] = [[]]
  private var buildingStems: [[Int32]] = [[]]
  private var buildingWords: [[Int32]] = [[]]

  /// The root's children by byte; every word starts there.
  private var root = [Int32](repeating: -1, count: 256)
  /// Node n's children are `childBytes/childNodes[childStart[n]..<childStart[n+1]]`.
  private var childStart: [Int32] = []
  private var childBytes: [UInt8] = []
  private var childNodes: [Int32] = []
  /// Node n's stem atoms are `stemAtoms[stemStart[n]..<stemStart[n+1]]`; likewise whole words.
  private var stemStart: [Int32] = []
  private var stemAtoms: [Int32] = []
  private var wordStart: [Int32] = []
  private var wordAtoms: [Int32] = []

  var isEmpty: Bool { building.count == 1 }

  mutating func insert<Bytes: Sequence<UInt8>>(_ key: Bytes, _ atom: Int32, wholeWordOnly: Bool = false) {
    var node = 0
    for byte in key {
      if let next = building[node].first(where: { $0.byte == byte }) {
        node = Int(next.node)
      } else {
        building.append([])
        buildingStems.append([])
        buildingWords.append([])
        building[node].append((byte, Int32(building.count - 1)))
        node = building.count - 1
      }
    }
    if wholeWordOnly { buildingWords[node].append(atom) } else { buildingStems[node].append(atom) }
  }

  /// Packs the trie into its flat form; call once, after the last insert.
  mutating func freeze() {
    childStart = [0]
    stemStart = [0]
    wordStart = [0]
    for node in building.indices {
      for child in building[node] {
        childBytes.append(child.byte)
        childNodes.append(child.node)
        if node == 0 { root[Int(child.byte)] = child.node }
      }
      childStart.append(Int32(childBytes.count))
      stemAtoms += buildingStems[node]
      stemStart.append(Int32(stemAtoms.count))
      wordAtoms += buildingWords[node]
      wordStart.append(Int32(wordAtoms.count))
    }
  }

  /// Adds the atoms of every stem that `key` starts with, and of the whole word `key`.
  func collect<Bytes: Sequence<UInt8>>(along key: Bytes, into result: inout [Int32]) {
    var node = 0
    for byte in key {
      var next = -1
      if node == 0 {
        next = Int(root[Int(byte)])
      } else {
        var child = Int(childStart[node])
        let last = Int(childStart[node + 1])
        while child < last {
          if childBytes[child] == byte {
            next = Int(childNodes[child])
            break
          }
          child += 1
        }
      }
      guard next >= 0 else { return }
      node = next
      var atom = Int(stemStart[node])
      while atom < Int(stemStart[node + 1]) {
        result.append(stemAtoms[atom])
        atom += 1
      }
    }
    var atom = Int(wordStart[node])
    while atom < Int(wordStart[node + 1]) {
      result.append(wordAtoms[atom])
      atom += 1
    }
  }
}

/// A field of the mail, tokenised, with what each pattern hit where.
struct AnalysedField {
  let bytes: [UInt8]
  /// Each word's place in `bytes`.
  let tokens: [Range<Int>]
  /// First token position where each atom hit, -1 for none.
  let firstHit: [Int32]
  /// Positions of the atoms that are part of phrases.
  let positions: [Int: [Int]]

  init(_ text: String, index: TermIndex) {
    let bytes = Array(text.utf8)
    var tokens: [Range<Int>] = []
    var firstHit = Array(repeating: Int32(-1), count: index.atomCount)
    var positions: [Int: [Int]] = [:]
    var atoms: [Int32] = []
    let inPhrase = index.inPhrase
    bytes.withUnsafeBufferPointer { buffer in
      Normalizer.forEachWord(utf8: buffer) { word, range in
        let position = tokens.count
        tokens.append(range)
        atoms.removeAll(keepingCapacity: true)
        index.atoms(matching: word, into: &atoms)
        for atom in atoms {
          if firstHit[Int(atom)] < 0 { firstHit[Int(atom)] = Int32(position) }
          if inPhrase[Int(atom)] { positions[Int(atom), default: []].append(position) }
        }
      }
    }
    self.bytes = bytes
    self.tokens = tokens
    self.firstHit = firstHit
    self.positions = positions
  }

  /// The original text of tokens `first...last`.
  func original(_ first: Int, _ last: Int) -> String {
    String(decoding: bytes[tokens[first].lowerBound..<tokens[last].upperBound], as: UTF8.self)
  }

  /// Where a phrase starts, or nil.
  func phraseStart(_ atoms: [Int]) -> Int? {
    guard let first = atoms.first, let starts = positions[first] else { return nil }
    for start in starts where start + atoms.count <= tokens.count {
      if atoms.indices.dropFirst().allSatisfy({ positions[atoms[$0]]?.contains(start + $0) == true }) { return start }
    }
    return nil
  }
}

/// The mail's fields: subject and body analysed at once (every rule set reads
/// them), the quoted text and headers on first use.
struct Fields {
  let input: TriageInput
  let index: TermIndex
  private let subjectOnly: [AnalysedField]
  private let bodyOnly: [AnalysedField]
  private let subjectAndBody: [AnalysedField]
  private var quoted: [AnalysedField]?
  private var headers: [String: [AnalysedField]] = [:]

  init(input: TriageInput, index: TermIndex) {
    self.input = input
    self.index = index
    let subject = AnalysedField(input.subject, index: index)
    let body = AnalysedField(input.body, index: index)
    subjectOnly = [subject]
    bodyOnly = [body]
    subjectAndBody = [subject, body]
  }

  /// The analysed texts a word target reads.
  mutating func fields(for target: Target) -> [AnalysedField] {
    switch target {
    case .subject: return subjectOnly
    case .body: return bodyOnly
    case .text: return subjectAndBody
    case .quoted:
      if let quoted { return quoted }
      let analysed = [AnalysedField(input.quoted, index: index)]
      quoted = analysed
      return analysed
    case .header(let name):
      let key = name.lowercased()
      if let known = headers[key] { return known }
      let analysed = [AnalysedField((input.headers[key] ?? []).joined(separator: "\n"), index: index)]
      headers[key] = analysed
      return analysed
    case .from, .domain, .attachment: return []
    }
  }

  func globValues(for target: Target) -> [String] {
    switch target {
    case .from: [input.from]
    case .domain: [input.from.split(separator: "@").last.map(String.init) ?? ""]
    case .attachment: input.attachmentNames
    default: []
    }
  }
}

extension TermIndex {
  func evaluate(_ node: Node, _ fields: [AnalysedField], _ globValues: [String]) -> Bool {
    switch node {
    case .atom(let atom):
      for field in fields where field.firstHit[atom] >= 0 { return true }
      return false
    case .phrase(let number):
      for field in fields where field.phraseStart(phrases[number]) != nil { return true }
      return false
    case .glob(let number):
      return globValues.contains { glob(number, matches: $0) }
    case .all(let parts):
      for part in parts where !evaluate(part, fields, globValues) { return false }
      return true
    case .any(let parts):
      for part in parts where evaluate(part, fields, globValues) { return true }
      return false
    case .not(let inner):
      return !evaluate(inner, fields, globValues)
    }
  }

  /// The original words behind the patterns of `node` that hit (not those under NOT).
  func words(_ node: Node, _ fields: [AnalysedField], _ globValues: [String], into words: inout [String]) {
    func add(_ word: String) { if !words.contains(word) { words.append(word) } }
    switch node {
    case .atom(let atom):
      if let field = fields.first(where: { $0.firstHit[atom] >= 0 }) {
        let position = Int(field.firstHit[atom])
        add(field.original(position, position))
      }
    case .phrase(let number):
      for field in fields {
        if let start = field.phraseStart(phrases[number]) {
          add(field.original(start, start + phrases[number].count - 1))
          break
        }
      }
    case .glob(let number):
      for value in globValues where glob(number, matches: value) { add(value) }
    case .all(let parts), .any(let parts):
      for part in parts { self.words(part, fields, globValues, into: &words) }
    case .not:
      break
    }
  }
}
