/// Every word pattern of the rules, indexed for lookup by the words of a mail.
struct TermIndex: Sendable {
  /// A compiled expression is a flat program: one instruction per node,
  /// children listed in `children`, so evaluating it touches no reference counts.
  struct Instruction: Sendable {
    enum Operation: UInt8, Sendable { case atom, phrase, glob, all, any, not }
    var operation: Operation
    /// The pattern's number (atom, phrase, glob).
    var operand: Int32
    /// `children[first..<first + count]` (all, any, not).
    var first: Int32
    var count: Int32
  }

  let instructions: [Instruction]
  let children: [Int32]

  let atomCount: Int
  /// Whole words and stems in one trie: one walk per word finds both.
  let prefixes: Trie
  private let suffixes: Trie
  private let infixes: [(pattern: [UInt8], atom: Int32)]
  /// Each phrase as the atoms of its words, in order.
  /// Phrase n's atoms are `phraseAtoms[phraseStart[n]..<phraseStart[n + 1]]`.
  let phraseAtoms: [Int32]
  let phraseStart: [Int32]

  func phrase(_ number: Int) -> Range<Int> { Int(phraseStart[number])..<Int(phraseStart[number + 1]) }
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
    atomsNotInTrie(matching: bytes, into: &result)
  }

  /// Suffix and infix patterns need the whole word; most rule sets have few.
  var hasSuffixesOrInfixes: Bool { !suffixes.isEmpty || !infixes.isEmpty }

  func atomsNotInTrie(matching bytes: UnsafeBufferPointer<UInt8>, into result: inout [Int32]) {
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

    private var instructions: [Instruction] = []
    private var children: [Int32] = []

    /// Compiles an expression; the result is the number of its root instruction.
    mutating func compile(_ expression: Expression) -> Int32 {
      switch expression {
      case .term(let term): return compile(term)
      case .all(let parts): return emit(.all, parts.map { compile($0) })
      case .any(let parts): return emit(.any, parts.map { compile($0) })
      case .not(let inner): return emit(.not, [compile(inner)])
      }
    }

    private mutating func emit(_ operation: Instruction.Operation, _ parts: [Int32]) -> Int32 {
      instructions.append(
        Instruction(operation: operation, operand: 0, first: Int32(children.count), count: Int32(parts.count)))
      children += parts
      return Int32(instructions.count - 1)
    }

    private mutating func leaf(_ operation: Instruction.Operation, _ operand: Int) -> Int32 {
      instructions.append(Instruction(operation: operation, operand: Int32(operand), first: 0, count: 0))
      return Int32(instructions.count - 1)
    }

    private mutating func compile(_ term: Term) -> Int32 {
      switch term.kind {
      case .glob(let pattern):
        if let number = globNumbers[pattern] { return leaf(.glob, number) }
        globs.append(pattern)
        globNumbers[pattern] = globs.count - 1
        return leaf(.glob, globs.count - 1)
      case .phrase(let items):
        let atoms = items.map { atom($0.kind) }
        if let number = phraseNumbers[atoms] { return leaf(.phrase, number) }
        phrases.append(atoms)
        phraseNumbers[atoms] = phrases.count - 1
        return leaf(.phrase, phrases.count - 1)
      default:
        return leaf(.atom, atom(term.kind))
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
        instructions: instructions, children: children, atomCount: atomKinds.count, prefixes: prefixes,
        suffixes: suffixes, infixes: infixes,
        phraseAtoms: phrases.flatMap { $0.map(Int32.init) },
        phraseStart: phrases.reduce(into: [Int32(0)]) {
          $0.append($0.last! + Int32($1.count))
        }, inPhrase: inPhrase, globs: globs.map { Array($0.utf8) })
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

  /// The child of `node` for `byte`, or -1.
  @inline(__always)
  func step(_ node: Int, _ byte: UInt8) -> Int {
    if node == 0 { return Int(root[Int(byte)]) }
    var child = Int(childStart[node])
    let last = Int(childStart[node + 1])
    while child < last {
      if childBytes[child] == byte { return Int(childNodes[child]) }
      child += 1
    }
    return -1
  }

  /// Where the atoms of the stems ending at `node` are (for `stemAtom`).
  @inline(__always)
  func stems(at node: Int) -> Range<Int> { Int(stemStart[node])..<Int(stemStart[node + 1]) }

  @inline(__always)
  func stemAtom(_ position: Int) -> Int32 { stemAtoms[position] }

  /// Where the atoms of the whole words ending at `node` are (for `wordAtom`).
  @inline(__always)
  func words(at node: Int) -> Range<Int> { Int(wordStart[node])..<Int(wordStart[node + 1]) }

  @inline(__always)
  func wordAtom(_ position: Int) -> Int32 { wordAtoms[position] }

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

/// A field of the mail, tokenised, with what each pattern hit where. A class:
/// it is passed around per condition, and one reference is cheaper than six arrays.
final class AnalysedField: Sendable {
  let bytes: [UInt8]
  /// Each word's place in `bytes`.
  let tokens: [Range<Int>]
  /// First token position where each atom hit, -1 for none.
  let firstHit: [Int32]
  /// Every position of the atoms that are part of phrases, as one list per
  /// atom threaded through flat arrays: `head[atom]` is the first entry,
  /// `next[entry]` the following one (-1 ends), in increasing position.
  let head: [Int32]
  let hitPosition: [Int32]
  let next: [Int32]

  init(_ text: String, index: TermIndex) {
    let bytes = Array(text.utf8)
    var firstHit = [Int32](repeating: -1, count: index.atomCount)
    var head = [Int32](repeating: -1, count: index.atomCount)
    var tail = [Int32](repeating: -1, count: index.atomCount)
    var word = [UInt8](repeating: 0, count: 255)
    // The sink writes through pointers: no uniqueness check per letter.
    let sink = firstHit.withUnsafeMutableBufferPointer { firstHit in
      head.withUnsafeMutableBufferPointer { head in
        tail.withUnsafeMutableBufferPointer { tail in
          word.withUnsafeMutableBufferPointer { word in
            var sink = MatchSink(
              index: index, expectedWords: bytes.count / 6, firstHit: firstHit, head: head, tail: tail, word: word)
            bytes.withUnsafeBufferPointer { Normalizer.scan(utf8: $0, into: &sink) }
            return sink
          }
        }
      }
    }
    self.bytes = bytes
    tokens = sink.tokens
    self.firstHit = firstHit
    self.head = head
    hitPosition = sink.hitPosition
    next = sink.next
  }

  /// Whether `atom` hit at `position`.
  @inline(__always)
  func atom(_ atom: Int, hitsAt position: Int) -> Bool {
    var entry = Int(head[atom])
    while entry >= 0 {
      let at = Int(hitPosition[entry])
      if at >= position { return at == position }
      entry = Int(next[entry])
    }
    return false
  }

  /// The original text of tokens `first...last`.
  func original(_ first: Int, _ last: Int) -> String {
    String(decoding: bytes[tokens[first].lowerBound..<tokens[last].upperBound], as: UTF8.self)
  }

  /// Where the phrase whose atoms are `index.phraseAtoms[atoms]` starts, or nil.
  func phraseStart(_ atoms: Range<Int>, in index: TermIndex) -> Int? {
    guard !atoms.isEmpty else { return nil }
    var entry = Int(head[Int(index.phraseAtoms[atoms.lowerBound])])
    candidates: while entry >= 0 {
      let start = Int(hitPosition[entry])
      entry = Int(next[entry])
      guard start + atoms.count <= tokens.count else { return nil }
      for offset in 1..<atoms.count
      where !atom(Int(index.phraseAtoms[atoms.lowerBound + offset]), hitsAt: start + offset) {
        continue candidates
      }
      return start
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
  func evaluate(_ node: Int32, _ fields: [AnalysedField], _ globValues: [String]) -> Bool {
    let instruction = instructions[Int(node)]
    let operand = Int(instruction.operand)
    switch instruction.operation {
    case .atom:
      for field in fields where field.firstHit[operand] >= 0 { return true }
      return false
    case .phrase:
      let atoms = phrase(operand)
      for field in fields where field.phraseStart(atoms, in: self) != nil { return true }
      return false
    case .glob:
      return globValues.contains { glob(operand, matches: $0) }
    case .all:
      for child in instruction.first..<(instruction.first + instruction.count)
      where !evaluate(children[Int(child)], fields, globValues) {
        return false
      }
      return true
    case .any:
      for child in instruction.first..<(instruction.first + instruction.count)
      where evaluate(children[Int(child)], fields, globValues) {
        return true
      }
      return false
    case .not:
      return !evaluate(children[Int(instruction.first)], fields, globValues)
    }
  }

  /// The original words behind the patterns of `node` that hit (not those under NOT).
  func words(_ node: Int32, _ fields: [AnalysedField], _ globValues: [String], into words: inout [String]) {
    func add(_ word: String) { if !words.contains(word) { words.append(word) } }
    let instruction = instructions[Int(node)]
    let operand = Int(instruction.operand)
    switch instruction.operation {
    case .atom:
      if let field = fields.first(where: { $0.firstHit[operand] >= 0 }) {
        let position = Int(field.firstHit[operand])
        add(field.original(position, position))
      }
    case .phrase:
      for field in fields {
        let atoms = phrase(operand)
        if let start = field.phraseStart(atoms, in: self) {
          add(field.original(start, start + atoms.count - 1))
          break
        }
      }
    case .glob:
      for value in globValues where glob(operand, matches: value) { add(value) }
    case .all, .any:
      for child in instruction.first..<(instruction.first + instruction.count) {
        self.words(children[Int(child)], fields, globValues, into: &words)
      }
    case .not:
      break
    }
  }
}

/// Walks the pattern trie while the scanner hands over a word's letters: the
/// atoms of stems are known as soon as their last letter is read, those of
/// whole words at the end of the word. No string is made.
struct MatchSink: WordSink {
  private let trie: Trie
  private let index: TermIndex
  private(set) var tokens: [Range<Int>] = []
  private let firstHit: UnsafeMutableBufferPointer<Int32>
  private let head: UnsafeMutableBufferPointer<Int32>
  private let tail: UnsafeMutableBufferPointer<Int32>
  private(set) var hitPosition: [Int32] = []
  private(set) var next: [Int32] = []
  private let inPhrase: [Bool]
  private let needsWord: Bool
  private var node = 0
  private let word: UnsafeMutableBufferPointer<UInt8>
  private var length = 0
  private var extra: [Int32] = []

  /// The buffers must live as long as the sink is used; `word` holds at least 255 bytes.
  init(
    index: TermIndex, expectedWords: Int, firstHit: UnsafeMutableBufferPointer<Int32>,
    head: UnsafeMutableBufferPointer<Int32>, tail: UnsafeMutableBufferPointer<Int32>,
    word: UnsafeMutableBufferPointer<UInt8>
  ) {
    self.index = index
    trie = index.prefixes
    self.firstHit = firstHit
    self.head = head
    self.tail = tail
    self.word = word
    inPhrase = index.inPhrase
    needsWord = index.hasSuffixesOrInfixes
    tokens.reserveCapacity(expectedWords)
  }

  @inline(__always)
  private mutating func hit(_ atom: Int32) {
    let atom = Int(atom)
    let position = Int32(tokens.count)
    if firstHit[atom] < 0 { firstHit[atom] = position }
    guard inPhrase[atom] else { return }
    if tail[atom] >= 0, hitPosition[Int(tail[atom])] == position { return }  // the same word twice
    hitPosition.append(position)
    next.append(-1)
    let entry = Int32(hitPosition.count - 1)
    if tail[atom] >= 0 { next[Int(tail[atom])] = entry } else { head[atom] = entry }
    tail[atom] = entry
  }

  mutating func letter(_ byte: UInt8) {
    if needsWord, length < 255 {
      word[length] = byte
      length += 1
    }
    guard node >= 0 else { return }
    node = trie.step(node, byte)
    if node > 0 {
      for position in trie.stems(at: node) { hit(trie.stemAtom(position)) }
    }
  }

  mutating func endWord(_ range: Range<Int>) {
    if node > 0 {
      for position in trie.words(at: node) { hit(trie.wordAtom(position)) }
    }
    if needsWord {
      extra.removeAll(keepingCapacity: true)
      index.atomsNotInTrie(matching: UnsafeBufferPointer(rebasing: word[..<length]), into: &extra)
      for atom in extra { hit(atom) }
    }
    tokens.append(range)
    node = 0
    length = 0
  }
}
