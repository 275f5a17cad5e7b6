/// Every word pattern of the rules, indexed for lookup by the words of a mail.
/// A class: every analysed field and its matcher refer to it, and one
/// reference costs less to pass around than its twenty arrays.
final class TermIndex: Sendable {
  /// A compiled expression is a flat program: one instruction per node,
  /// children listed in `children`, so evaluating it touches no reference counts.
  struct Instruction: Sendable {
    enum Operation: UInt8, Sendable { case atom, phrase, glob, all, any, not }
    var operation: Operation
    /// The pattern's number (atom, phrase, glob).
    var operand: Int32
    /// `children[first..<first + count]` (all, any, not), in the rule's order
    /// (the explanation lists the words in that order).
    var first: Int32
    var count: Int32
    /// For evaluating all and any: the atom and phrase children as bit masks,
    /// `masks[maskFirst..<maskFirst + maskCount]`, and the other children,
    /// `children[restFirst..<restFirst + restCount]`. A list such as @devices
    /// (30 words) is then tested with one or two ANDs instead of 30 lookups.
    var maskFirst: Int32 = 0
    var maskCount: Int32 = 0
    var restFirst: Int32 = 0
    var restCount: Int32 = 0
  }

  /// 64 atoms or 64 phrases of a node: `bits` of word `word` of `HitBits.atoms`
  /// (or `.phrases`).
  struct Mask: Sendable {
    var word: Int32
    var isPhrase: Bool
    var bits: UInt64
  }

  let instructions: [Instruction]
  let children: [Int32]
  let masks: [Mask]

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
  var phraseCount: Int { phraseStart.count - 1 }
  /// Atoms that are part of a phrase: the matcher notes which of them each word hit.
  let inPhrase: [Bool]
  /// The phrases again, as a trie over atoms, for matching them as the words come.
  let phraseTrie: PhraseTrie
  let globs: [[UInt8]]

  fileprivate init(
    instructions: [Instruction], children: [Int32], masks: [Mask], atomKinds: [Term.Kind], phrases: [[Int]],
    globs: [String]
  ) {
    self.instructions = instructions
    self.children = children
    self.masks = masks
    atomCount = atomKinds.count
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
    self.prefixes = prefixes
    self.suffixes = suffixes
    self.infixes = infixes
    phraseAtoms = phrases.flatMap { $0.map(Int32.init) }
    phraseStart = phrases.reduce(into: [Int32(0)]) { $0.append($0.last! + Int32($1.count)) }
    var inPhrase = Array(repeating: false, count: atomKinds.count)
    for phrase in phrases { for atom in phrase { inPhrase[atom] = true } }
    self.inPhrase = inPhrase
    phraseTrie = PhraseTrie(phrases, atomCount: atomKinds.count)
    self.globs = globs.map { Array($0.utf8) }
  }

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
    private var masks: [Mask] = []

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
      var instruction = Instruction(
        operation: operation, operand: 0, first: Int32(children.count), count: Int32(parts.count))
      children += parts
      if operation == .all || operation == .any {
        // Atoms and phrases into masks, one per word of 64 bits they fall in.
        var rest: [Int32] = []
        instruction.maskFirst = Int32(masks.count)
        for part in parts {
          let leaf = instructions[Int(part)]
          guard leaf.operation == .atom || leaf.operation == .phrase else {
            rest.append(part)
            continue
          }
          let mask = Mask(
            word: leaf.operand / 64, isPhrase: leaf.operation == .phrase, bits: 1 << UInt64(leaf.operand % 64))
          if let same = masks[Int(instruction.maskFirst)...].firstIndex(where: {
            $0.word == mask.word && $0.isPhrase == mask.isPhrase
          }) {
            masks[same].bits |= mask.bits
          } else {
            masks.append(mask)
          }
        }
        instruction.maskCount = Int32(masks.count) - instruction.maskFirst
        instruction.restFirst = Int32(children.count)
        instruction.restCount = Int32(rest.count)
        children += rest
      }
      instructions.append(instruction)
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
      TermIndex(
        instructions: instructions, children: children, masks: masks, atomKinds: atomKinds, phrases: phrases,
        globs: globs)
    }
  }
}

/// A byte trie whose nodes carry the atoms of the patterns ending there:
/// stems match every word that passes through the node, whole words only the
/// word that ends there. Built with nested arrays, then frozen into one dense
/// transition table, so that a step is a single load with no search and no
/// reference counting: the walk happens for every letter of every mail.
///
/// A walk is a `Trie.State`: the offset of its node's row in `table`, shifted
/// left by two, with two flags in the low bits (stems end here, whole words end
/// here), so that the common step (nothing ends) tests one bit and goes on.
/// Row 0 is the dead node: every byte leads back to it, so a word that left the
/// trie costs one load per letter and no branch.
struct Trie: Sendable {
  typealias State = Int

  private var building: [[(byte: UInt8, node: Int32)]] = [[]]
  private var buildingStems: [[Int32]] = [[]]
  private var buildingWords: [[Int32]] = [[]]

  /// Each byte's column in a row of `table`; 0 for bytes no pattern contains
  /// (column 0 of every row leads to the dead node). Patterns are normalised
  /// text, so in practice there are about 37 columns (a–z, 0–9).
  private var column = [Int32](repeating: 0, count: 256)
  /// Cells per row: a column per byte that occurs in a pattern, then two more.
  private var width = 3
  /// `table[row * width + column]` is the state after that byte. Row 0 is the
  /// dead node, row n + 1 is node n of `building` (row 1 the root), and a last
  /// row only closes the ranges below. The last two cells of a row are where
  /// its stem atoms and whole-word atoms start in `stemAtoms` and `wordAtoms`
  /// (they end where the next row's start): no division to find the row.
  private var table: [Int32] = [0, 0, 0, 0, 0, 0]
  private var stemAtoms: [Int32] = []
  private var wordAtoms: [Int32] = []

  /// The low bits of a state.
  static let endsStem = 1
  static let endsWord = 2
  /// Where every word starts.
  private(set) var root: State = 0

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
    column = [Int32](repeating: 0, count: 256)
    var columns = 1
    for children in building {
      for child in children where column[Int(child.byte)] == 0 {
        column[Int(child.byte)] = Int32(columns)
        columns += 1
      }
    }
    width = columns + 2
    let rows = building.count + 2
    // A state must fit an Int32 after the shift; no rule set comes near (1,000 rules: about 10,000 rows).
    precondition(rows * width < Int(Int32.max) >> 2, "pattern trie too large")
    func state(_ node: Int) -> Int32 {
      let row = node + 1
      var flags = 0
      if !buildingStems[node].isEmpty { flags |= Self.endsStem }
      if !buildingWords[node].isEmpty { flags |= Self.endsWord }
      return Int32((row * width) << 2 | flags)
    }
    table = [Int32](repeating: 0, count: rows * width)
    stemAtoms = []
    wordAtoms = []
    for node in building.indices {
      let row = node + 1
      for child in building[node] {
        table[row * width + Int(column[Int(child.byte)])] = state(Int(child.node))
      }
      table[row * width + width - 2] = Int32(stemAtoms.count)
      table[row * width + width - 1] = Int32(wordAtoms.count)
      stemAtoms += buildingStems[node]
      wordAtoms += buildingWords[node]
    }
    table[(rows - 1) * width + width - 2] = Int32(stemAtoms.count)
    table[(rows - 1) * width + width - 1] = Int32(wordAtoms.count)
    // The root's own atoms never count (patterns are never empty): no flags.
    root = (1 * width) << 2
  }

  /// The state after `byte`: the dead state once the word has left the trie.
  @inline(__always)
  func step(_ state: State, _ byte: UInt8) -> State {
    Int(table[state >> 2 + Int(column[Int(byte)])])
  }

  /// Where the atoms of the stems ending at `state` are (for `stemAtom`).
  @inline(__always)
  func stems(at state: State) -> Range<Int> {
    let start = state >> 2 + width - 2
    return Int(table[start])..<Int(table[start + width])
  }

  @inline(__always)
  func stemAtom(_ position: Int) -> Int32 { stemAtoms[position] }

  /// Where the atoms of the whole words ending at `state` are (for `wordAtom`).
  @inline(__always)
  func words(at state: State) -> Range<Int> {
    let start = state >> 2 + width - 1
    return Int(table[start])..<Int(table[start + width])
  }

  @inline(__always)
  func wordAtom(_ position: Int) -> Int32 { wordAtoms[position] }

  /// Calls `body` with the table and the byte columns, for walks that must not
  /// pay for bounds checks; states only ever come from the table, so they stay in it.
  func withTables<R>(_ body: (UnsafeBufferPointer<Int32>, UnsafeBufferPointer<Int32>) -> R) -> R {
    table.withUnsafeBufferPointer { table in column.withUnsafeBufferPointer { column in body(table, column) } }
  }

  /// Adds the atoms of every stem that `key` starts with, and of the whole word `key`.
  func collect<Bytes: Sequence<UInt8>>(along key: Bytes, into result: inout [Int32]) {
    var state = root
    for byte in key {
      state = step(state, byte)
      if state == 0 { return }
      if state & Self.endsStem != 0 { for position in stems(at: state) { result.append(stemAtoms[position]) } }
    }
    if state & Self.endsWord != 0 { for position in words(at: state) { result.append(wordAtoms[position]) } }
  }
}

/// The phrases as a trie over atoms: a node stands for the first words of one
/// or more phrases (the root for none). The matcher keeps the nodes that the
/// previous word reached and follows them, and the root, by the atoms of the
/// current word; a node where a phrase ends is a match of that phrase.
struct PhraseTrie: Sendable {
  /// The node of a phrase's first word, by atom; 0 (the root) when no phrase starts with it.
  private let first: [Int32]
  /// Node n's children, sorted by atom: `childAtoms/childNodes[childStart[n]..<childStart[n + 1]]`.
  private let childStart: [Int32]
  private let childAtoms: [Int32]
  private let childNodes: [Int32]
  /// The phrase that ends at node n, or -1 (phrases are numbered once per
  /// sequence of atoms, so no two end at one node).
  let ends: [Int32]
  /// How many words lead to node n.
  let depth: [Int32]

  init(_ phrases: [[Int]], atomCount: Int) {
    var children: [[(atom: Int32, node: Int32)]] = [[]]
    var ends: [Int32] = [-1]
    var depth: [Int32] = [0]
    var first = [Int32](repeating: 0, count: atomCount)
    for (number, phrase) in phrases.enumerated() {
      var node = 0
      for atom in phrase {
        let existing = node == 0 ? Int(first[atom]) : Int(children[node].first { $0.atom == atom }?.node ?? 0)
        if existing != 0 {
          node = existing
          continue
        }
        children.append([])
        ends.append(-1)
        depth.append(depth[node] + 1)
        let child = Int32(children.count - 1)
        if node == 0 { first[atom] = child } else { children[node].append((Int32(atom), child)) }
        node = Int(child)
      }
      if node != 0 { ends[node] = Int32(number) }
    }
    self.first = first
    var childStart: [Int32] = [0]
    var childAtoms: [Int32] = []
    var childNodes: [Int32] = []
    for list in children {
      for child in list.sorted(by: { $0.atom < $1.atom }) {
        childAtoms.append(child.atom)
        childNodes.append(child.node)
      }
      childStart.append(Int32(childAtoms.count))
    }
    self.childStart = childStart
    self.childAtoms = childAtoms
    self.childNodes = childNodes
    self.ends = ends
    self.depth = depth
  }

  /// The node of a phrase that starts with `atom`, or 0.
  @inline(__always)
  func start(_ atom: Int32) -> Int { Int(first[Int(atom)]) }

  func hasChildren(_ node: Int) -> Bool { childStart[node] < childStart[node + 1] }

  /// The child of `node` for `atom`, or 0 (a binary search: some phrases share a first word with 30 others).
  func child(of node: Int, _ atom: Int32) -> Int {
    var low = Int(childStart[node])
    var high = Int(childStart[node + 1])
    while low < high {
      let middle = (low + high) / 2
      if childAtoms[middle] < atom { low = middle + 1 } else { high = middle }
    }
    return low < Int(childStart[node + 1]) && childAtoms[low] == atom ? Int(childNodes[low]) : 0
  }
}

/// A field of the mail, tokenised, with what each pattern hit where.
final class AnalysedField: Sendable {
  let text: String
  /// Each word's place in `text`, as UTF-8 offsets; only kept when the words
  /// are to be shown (`explain`): deciding needs just what hit.
  let tokens: [Range<Int>]
  /// The token position where each atom, and each phrase, first hit; -1 for
  /// none (for the explanation).
  let firstHit: [Int32]
  let phraseHit: [Int32]
  /// Which atoms and phrases hit at all (for evaluating the conditions).
  let hits: Hits

  init(_ text: String, index: TermIndex, keepTokens: Bool) {
    var utf8 = text
    var word = [UInt8](repeating: 0, count: 255)
    var recorder = HitRecorder(index: index, expectedWords: keepTokens ? utf8.utf8.count / 6 : nil)
    // The sink refers to the recorder through a pointer: see `MatchSink`.
    withUnsafeMutablePointer(to: &recorder) { recorder in
      word.withUnsafeMutableBufferPointer { word in
        index.prefixes.withTables { table, column in
          utf8.withUTF8 { bytes in
            _ = Normalizer.scan(
              utf8: bytes, into: MatchSink(index: index, table: table, column: column, word: word, recorder: recorder))
          }
        }
      }
    }
    self.text = text
    tokens = recorder.tokens
    firstHit = recorder.firstHit
    phraseHit = recorder.phraseHit
    hits = recorder.hits
  }

  /// The original text of tokens `first...last` (the tokens must have been kept).
  func original(_ first: Int, _ last: Int) -> String {
    var text = text
    return text.withUTF8 { String(decoding: $0[tokens[first].lowerBound..<tokens[last].upperBound], as: UTF8.self) }
  }
}

/// Which atoms and which phrases hit in a field (or in subject and body
/// together, for `text`): one bit each, so that a condition's lists are
/// tested 64 patterns at a time (see `TermIndex.Mask`).
struct Hits: Sendable {
  var atoms: [UInt64]
  var phrases: [UInt64]

  init(atomCount: Int, phraseCount: Int) {
    atoms = [UInt64](repeating: 0, count: (atomCount + 63) / 64)
    phrases = [UInt64](repeating: 0, count: (phraseCount + 63) / 64)
  }

  /// Hit in either: for a target that reads two fields.
  init(either first: Hits, or second: Hits) {
    atoms = zip(first.atoms, second.atoms).map { $0 | $1 }
    phrases = zip(first.phrases, second.phrases).map { $0 | $1 }
  }

  @inline(__always)
  func atom(_ atom: Int) -> Bool { atoms[atom / 64] & 1 << UInt64(atom % 64) != 0 }

  @inline(__always)
  func phrase(_ phrase: Int) -> Bool { phrases[phrase / 64] & 1 << UInt64(phrase % 64) != 0 }

  /// Whether any pattern of `mask` hit.
  @inline(__always)
  func any(_ mask: TermIndex.Mask) -> Bool {
    (mask.isPhrase ? phrases[Int(mask.word)] : atoms[Int(mask.word)]) & mask.bits != 0
  }

  /// Whether every pattern of `mask` hit.
  @inline(__always)
  func all(_ mask: TermIndex.Mask) -> Bool {
    (mask.isPhrase ? phrases[Int(mask.word)] : atoms[Int(mask.word)]) & mask.bits == mask.bits
  }
}

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
  private let subject: AnalysedField
  private let body: AnalysedField
  private var text: Hits?
  private var quoted: AnalysedField?
  private var headers: [Int: AnalysedField] = [:]

  init(input: TriageInput, index: TermIndex, headerNames: [String], explain: Bool) {
    self.input = input
    self.index = index
    self.headerNames = headerNames
    self.explain = explain
    subject = AnalysedField(input.subject, index: index, keepTokens: explain)
    body = AnalysedField(input.body, index: index, keepTokens: explain)
  }

  /// Whether the condition compiled to `node` holds for `source`.
  mutating func holds(_ node: Int32, _ source: Source) -> Bool {
    switch source {
    case .subject: return index.evaluate(node, subject.hits)
    case .body: return index.evaluate(node, body.hits)
    case .text:
      if text == nil { text = Hits(either: subject.hits, or: body.hits) }
      return index.evaluate(node, text!)
    case .quoted, .header: return index.evaluate(node, fields(for: source)[0].hits)
    case .from, .domain, .attachment: return index.evaluate(node, Hits.none, globValues(for: source))
    }
  }

  /// The analysed texts a word target reads.
  mutating func fields(for source: Source) -> [AnalysedField] {
    switch source {
    case .subject: return [subject]
    case .body: return [body]
    case .text: return [subject, body]
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

extension Hits {
  /// For targets without words (sender, domain, attachments).
  static let none = Hits(atomCount: 0, phraseCount: 0)
}

extension TermIndex {
  /// Whether the expression compiled to `node` holds, given what hit; globs
  /// are matched against `globValues`.
  func evaluate(_ node: Int32, _ hits: Hits, _ globValues: [String] = []) -> Bool {
    let instruction = instructions[Int(node)]
    let operand = Int(instruction.operand)
    switch instruction.operation {
    case .atom:
      return hits.atom(operand)
    case .phrase:
      return hits.phrase(operand)
    case .glob:
      return globValues.contains { glob(operand, matches: $0) }
    case .all:
      // Patterns first, then the rest: the order does not change the result.
      for mask in instruction.maskFirst..<(instruction.maskFirst + instruction.maskCount)
      where !hits.all(masks[Int(mask)]) {
        return false
      }
      for child in instruction.restFirst..<(instruction.restFirst + instruction.restCount)
      where !evaluate(children[Int(child)], hits, globValues) {
        return false
      }
      return true
    case .any:
      for mask in instruction.maskFirst..<(instruction.maskFirst + instruction.maskCount)
      where hits.any(masks[Int(mask)]) {
        return true
      }
      for child in instruction.restFirst..<(instruction.restFirst + instruction.restCount)
      where evaluate(children[Int(child)], hits, globValues) {
        return true
      }
      return false
    case .not:
      return !evaluate(children[Int(instruction.first)], hits, globValues)
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
      if let field = fields.first(where: { $0.phraseHit[operand] >= 0 }) {
        let start = Int(field.phraseHit[operand])
        add(field.original(start, start + phrase(operand).count - 1))
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
///
/// `letter` and `endWord` are the innermost loop of classification, inlined
/// into the scanner: a letter is one table load and one rarely taken branch.
/// The sink holds only what a letter reads or changes, and everything that
/// happens on a hit is done out of line by a `HitRecorder` it reaches through
/// a pointer: as the sink's own address is never taken, the compiler keeps the
/// trie state in a register instead of storing and reloading it per letter.
struct MatchSink: WordSink {
  /// The trie's transition table and byte columns (see `Trie.withTables`).
  private let table: UnsafeBufferPointer<Int32>
  private let column: UnsafeBufferPointer<Int32>
  private var state: Trie.State
  private let root: Trie.State
  /// The word's letters, for suffix and infix patterns (only if there are any).
  private let needsWord: Bool
  private let word: UnsafeMutableBufferPointer<UInt8>
  private var length = 0
  private let recorder: UnsafeMutablePointer<HitRecorder>

  /// The buffers must live as long as the sink is used; `word` holds at least 255 bytes.
  init(
    index: TermIndex, table: UnsafeBufferPointer<Int32>, column: UnsafeBufferPointer<Int32>,
    word: UnsafeMutableBufferPointer<UInt8>, recorder: UnsafeMutablePointer<HitRecorder>
  ) {
    self.table = table
    self.column = column
    root = index.prefixes.root
    state = root
    needsWord = index.hasSuffixesOrInfixes
    self.word = word
    self.recorder = recorder
  }

  @inline(__always)
  mutating func letter(_ byte: UInt8) {
    if needsWord, length < 255 {
      word[length] = byte
      length += 1
    }
    // States come from the table and columns are below its width: always in range.
    state = Int(table[unchecked: state >> 2 + Int(column[unchecked: Int(byte)])])
    if state & Trie.endsStem != 0 { recorder.pointee.hitStems(state) }
  }

  @inline(__always)
  mutating func endWord(_ range: Range<Int>) {
    if state & Trie.endsWord != 0 { recorder.pointee.hitWholeWord(state) }
    if needsWord {
      recorder.pointee.hitSuffixesAndInfixes(UnsafeBufferPointer(rebasing: word[..<length]))
      length = 0
    }
    recorder.pointee.endWord(range)
    state = root
  }
}

/// What the patterns hit in a field, recorded word by word for `MatchSink`.
/// Phrases are matched as the words come, through `TermIndex.phraseTrie`.
struct HitRecorder {
  private let index: TermIndex
  /// The current word's position.
  private var position: Int32 = 0
  /// First token position where each atom hit, -1 for none.
  private(set) var firstHit: [Int32]
  /// Where each phrase first starts, -1 for nowhere.
  private(set) var phraseHit: [Int32]
  /// The same as bits.
  private(set) var hits: Hits
  /// Each word's place in the text, if asked for.
  private let keepTokens: Bool
  private(set) var tokens: [Range<Int>] = []
  /// The phrase atoms the current word hit: `notedAtoms[currentWord...]`.
  /// This list and `reached` only grow, by a few hundred entries per field.
  private var notedAtoms: [Int32] = []
  private var currentWord = 0
  /// The phrase trie's nodes that the previous word reached and that lead on:
  /// `reached[previousReached...]`.
  private var reached: [Int32] = []
  private var previousReached = 0
  private var extra: [Int32] = []

  /// - Parameter expectedWords: nil to keep no tokens.
  init(index: TermIndex, expectedWords: Int?) {
    self.index = index
    firstHit = [Int32](repeating: -1, count: index.atomCount)
    phraseHit = [Int32](repeating: -1, count: index.phraseCount)
    hits = Hits(atomCount: index.atomCount, phraseCount: index.phraseCount)
    keepTokens = expectedWords != nil
    tokens.reserveCapacity(expectedWords ?? 0)
  }

  private mutating func hit(_ atom: Int32) {
    let atom = Int(atom)
    if firstHit[atom] < 0 {
      firstHit[atom] = position
      hits.atoms[atom / 64] |= 1 << UInt64(atom % 64)
    }
    // An atom comes from one pattern only, so it is never noted twice for a word.
    if index.inPhrase[atom] { notedAtoms.append(Int32(atom)) }
  }

  @inline(never)
  mutating func hitStems(_ state: Trie.State) {
    for position in index.prefixes.stems(at: state) { hit(index.prefixes.stemAtom(position)) }
  }

  @inline(never)
  mutating func hitWholeWord(_ state: Trie.State) {
    for position in index.prefixes.words(at: state) { hit(index.prefixes.wordAtom(position)) }
  }

  @inline(never)
  mutating func hitSuffixesAndInfixes(_ word: UnsafeBufferPointer<UInt8>) {
    extra.removeAll(keepingCapacity: true)
    index.atomsNotInTrie(matching: word, into: &extra)
    for atom in extra { hit(atom) }
  }

  @inline(__always)
  mutating func endWord(_ range: Range<Int>) {
    if currentWord != notedAtoms.count || previousReached != reached.count { followPhrases() }
    if keepTokens { tokens.append(range) }
    position += 1
  }

  /// Follows the phrase trie from the root and from the nodes the previous
  /// word reached, by each phrase atom of the current word.
  @inline(never)
  private mutating func followPhrases() {
    let previous = previousReached..<reached.count
    previousReached = reached.count
    for current in currentWord..<notedAtoms.count {
      let atom = notedAtoms[current]
      reach(index.phraseTrie.start(atom))
      for node in previous { reach(index.phraseTrie.child(of: Int(reached[node]), atom)) }
    }
    currentWord = notedAtoms.count
  }

  @inline(__always)
  private mutating func reach(_ node: Int) {
    guard node != 0 else { return }
    let phrase = Int(index.phraseTrie.ends[node])
    // The first match is the earliest start: all matches of a phrase are equally long.
    if phrase >= 0, phraseHit[phrase] < 0 {
      phraseHit[phrase] = position + 1 - index.phraseTrie.depth[node]
      hits.phrases[phrase / 64] |= 1 << UInt64(phrase % 64)
    }
    if index.phraseTrie.hasChildren(node) { reached.append(Int32(node)) }
  }
}

extension UnsafeBufferPointer {
  /// Element `index` without the bounds check (the caller knows it is in range).
  @inline(__always)
  subscript(unchecked index: Int) -> Element { baseAddress.unsafelyUnwrapped[index] }
}
