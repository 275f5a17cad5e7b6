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
  /// Which clause markers each atom and each phrase stands in, as `Marker`
  /// bits: a clause's role is the union of its hits' bits, no expression to evaluate.
  let atomMarkers: [UInt8]
  let phraseMarkers: [UInt8]

  /// The marker lists of settings.rules, as bits.
  enum Marker {
    static let declined: UInt8 = 1
    static let request: UInt8 = 2
    static let identification: UInt8 = 4
    /// A clause-break word ("ale", "but"): the clause ends with it.
    static let clauseBreak: UInt8 = 8
  }

  /// The root instructions of the markers; -1 where settings.rules names none.
  struct ClauseMarkers: Sendable {
    var declined: Int32 = -1
    var request: Int32 = -1
    var identification: Int32 = -1
    var clauseBreak: Int32 = -1
  }

  fileprivate init(
    instructions: [Instruction], children: [Int32], masks: [Mask], atomKinds: [Term.Kind], phrases: [[Int]],
    globs: [String], markers: ClauseMarkers
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
    var atomMarkers = [UInt8](repeating: 0, count: atomKinds.count)
    var phraseMarkers = [UInt8](repeating: 0, count: phrases.count)
    // A marker is a list of words and phrases (the parser allows nothing else).
    func mark(_ node: Int32, _ bit: UInt8) {
      guard node >= 0 else { return }
      let instruction = instructions[Int(node)]
      switch instruction.operation {
      case .atom: atomMarkers[Int(instruction.operand)] |= bit
      case .phrase where bit != Marker.clauseBreak: phraseMarkers[Int(instruction.operand)] |= bit
      case .any:
        for child in instruction.first..<(instruction.first + instruction.count) { mark(children[Int(child)], bit) }
      case .phrase, .glob, .all, .not: break
      }
    }
    mark(markers.declined, Marker.declined)
    mark(markers.request, Marker.request)
    mark(markers.identification, Marker.identification)
    mark(markers.clauseBreak, Marker.clauseBreak)
    self.atomMarkers = atomMarkers
    self.phraseMarkers = phraseMarkers
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

    func build(markers: ClauseMarkers = ClauseMarkers()) -> TermIndex {
      TermIndex(
        instructions: instructions, children: children, masks: masks, atomKinds: atomKinds, phrases: phrases,
        globs: globs, markers: markers)
    }
  }
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

  /// The original words behind the patterns of `node` that hit in `set` (not
  /// those under NOT), and the role of the clause each stands in.
  func words(
    _ node: Int32, _ fields: [AnalysedField], _ globValues: [String], set: HitSet,
    into words: inout [(word: String, role: ClauseRole?)]
  ) {
    func add(_ word: String, _ role: ClauseRole? = nil) {
      if !words.contains(where: { $0.word == word }) { words.append((word, role)) }
    }
    let instruction = instructions[Int(node)]
    let operand = Int(instruction.operand)
    let set = set.rawValue
    switch instruction.operation {
    case .atom:
      if let field = fields.first(where: { $0.firstHit[set][operand] >= 0 }) {
        let position = Int(field.firstHit[set][operand])
        add(field.original(position, position), field.tokenRoles[position])
      }
    case .phrase:
      if let field = fields.first(where: { $0.phraseHit[set][operand] >= 0 }) {
        let start = Int(field.phraseHit[set][operand])
        add(field.original(start, start + phrase(operand).count - 1), field.tokenRoles[start])
      }
    case .glob:
      for value in globValues where glob(operand, matches: value) { add(value) }
    case .all, .any:
      for child in instruction.first..<(instruction.first + instruction.count) {
        self.words(children[Int(child)], fields, globValues, set: HitSet(rawValue: set)!, into: &words)
      }
    case .not:
      break
    }
  }
}
