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
