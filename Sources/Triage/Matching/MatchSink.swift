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

  mutating func endClause(question: Bool) {
    recorder.pointee.endClause(question: question)
  }
}

/// What the patterns hit in a field, recorded word by word for `MatchSink`.
/// Phrases are matched as the words come, through `TermIndex.phraseTrie`.
///
/// Hits are first collected for the clause being read; when it ends, the
/// clause markers of settings.rules decide its role (`ClauseRole`) and its
/// hits join the sets of that role (`HitSet`). Phrases do not run across
/// clauses.
struct HitRecorder {
  private let index: TermIndex
  /// The field's UTF-8, valid while it is scanned: identification clauses are
  /// checked for their codes there.
  private let text: UnsafeBufferPointer<UInt8>
  /// The current word's position.
  private var position: Int32 = 0
  /// Per `HitSet`, which atoms and phrases hit: set n's bits are
  /// `atomBits[n * atomWords ..< (n + 1) * atomWords]` (one flat buffer: no
  /// array inside an array to check for uniqueness at every write).
  private var atomBits: [UInt64]
  private var phraseBits: [UInt64]
  private let atomWords: Int
  private let phraseWords: Int
  /// Per `HitSet`, the first token position of each atom and phrase (explanations only).
  private(set) var firstHit: [[Int32]] = []
  private(set) var phraseHit: [[Int32]] = []
  /// Each word's place in the text and its clause's role, if asked for.
  private let keepTokens: Bool
  private(set) var tokens: [Range<Int>] = []
  private(set) var tokenRoles: [ClauseRole] = []

  /// The clause being read: what hit in it (bits, and the same as lists to
  /// clear them again), where it starts and ends, how many words it has.
  private var clause: Hits
  private var clauseAtoms: [(atom: Int32, position: Int32)] = []
  private var clausePhrases: [(phrase: Int32, position: Int32)] = []
  private var clauseStart = -1
  private var clauseEnd = 0
  private var clauseWords = 0
  /// The markers that hit in the clause (`TermIndex.Marker` bits).
  private var clauseMarks: UInt8 = 0

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
  init(index: TermIndex, text: UnsafeBufferPointer<UInt8>, expectedWords: Int?) {
    self.index = index
    self.text = text
    let empty = Hits(atomCount: index.atomCount, phraseCount: index.phraseCount)
    atomWords = empty.atoms.count
    phraseWords = empty.phrases.count
    atomBits = [UInt64](repeating: 0, count: atomWords * HitSet.allCases.count)
    phraseBits = [UInt64](repeating: 0, count: phraseWords * HitSet.allCases.count)
    clause = empty
    keepTokens = expectedWords != nil
    if keepTokens {
      firstHit = Array(repeating: [Int32](repeating: -1, count: index.atomCount), count: HitSet.allCases.count)
      phraseHit = Array(repeating: [Int32](repeating: -1, count: index.phraseCount), count: HitSet.allCases.count)
    }
    tokens.reserveCapacity(expectedWords ?? 0)
  }

  private mutating func hit(_ atom: Int32) {
    let number = Int(atom)
    if !clause.atom(number) {
      clause.insert(atom: number)
      clauseAtoms.append((atom, position))
    }
    // An atom comes from one pattern only, so it is never noted twice for a word.
    if index.inPhrase[number] { notedAtoms.append(atom) }
    clauseMarks |= index.atomMarkers[number]
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
    if clauseStart < 0 { clauseStart = range.lowerBound }
    clauseEnd = range.upperBound
    clauseWords += 1
    position += 1
    // A clause-break word ("ale", "but") ends the clause with it.
    if clauseMarks & TermIndex.Marker.clauseBreak != 0 { endClause(question: false) }
  }

  /// The clause read so far ends: its role decides where its hits go.
  mutating func endClause(question: Bool) {
    // Phrases start afresh in the next clause.
    previousReached = reached.count
    guard clauseWords > 0 else { return }
    let role = clauseRole(question: question)
    let sets = role.sets
    for (atom, first) in clauseAtoms {
      let number = Int(atom)
      let bit: UInt64 = 1 << UInt64(number % 64)
      for set in 0..<HitSet.allCases.count where sets & 1 << set != 0 {
        atomBits[set * atomWords + number / 64] |= bit
        if keepTokens, firstHit[set][number] < 0 { firstHit[set][number] = first }
      }
      clause.remove(atom: number)
    }
    for (phrase, first) in clausePhrases {
      let number = Int(phrase)
      let bit: UInt64 = 1 << UInt64(number % 64)
      for set in 0..<HitSet.allCases.count where sets & 1 << set != 0 {
        phraseBits[set * phraseWords + number / 64] |= bit
        if keepTokens, phraseHit[set][number] < 0 { phraseHit[set][number] = first }
      }
      clause.remove(phrase: number)
    }
    if keepTokens { tokenRoles += repeatElement(role, count: clauseWords) }
    clauseAtoms.removeAll(keepingCapacity: true)
    clausePhrases.removeAll(keepingCapacity: true)
    clauseStart = -1
    clauseWords = 0
    clauseMarks = 0
  }

  /// The hits of each `HitSet`, once the field is read.
  var hits: [Hits] {
    HitSet.allCases.map { set in
      var hits = Hits(atomCount: 0, phraseCount: 0)
      hits.atoms = Array(atomBits[set.rawValue * atomWords..<(set.rawValue + 1) * atomWords])
      hits.phrases = Array(phraseBits[set.rawValue * phraseWords..<(set.rawValue + 1) * phraseWords])
      return hits
    }
  }

  /// What the clause does, by the markers that hit in it.
  private func clauseRole(question: Bool) -> ClauseRole {
    if clauseMarks & TermIndex.Marker.identification != 0,
      ClauseShape.isIdentification(UnsafeBufferPointer(rebasing: text[clauseStart..<clauseEnd]))
    {
      return .identification
    }
    if clauseMarks & TermIndex.Marker.declined != 0 { return .declined }
    if question || clauseMarks & TermIndex.Marker.request != 0 { return .request }
    return .plain
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
    if phrase >= 0, !clause.phrase(phrase) {
      clause.insert(phrase: phrase)
      clausePhrases.append((Int32(phrase), position + 1 - index.phraseTrie.depth[node]))
      clauseMarks |= index.phraseMarkers[phrase]
    }
    if index.phraseTrie.hasChildren(node) { reached.append(Int32(node)) }
  }
}

/// The shape of a clause that only identifies the customer: it ends with a
/// code (a licence key such as 7Q2M-K81D-00X4-PWSK, a NIP, a customer number)
/// and has few other words: "Klucz licencyjny: 7Q2M-K81D-00X4-PWSK",
/// "NIP 712-233-44-55", "nasz nr klienta to K-0001". A clause that goes on
/// after the code ("klucz … nie działa") asks something.
enum ClauseShape {
  /// At most this many words besides the code.
  static let maxOtherWords = 6

  static func isIdentification(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
    // Words of ASCII letters and digits; non-ASCII bytes count as letters.
    // A code is a word with a digit, or a run of words joined by '-' or '/'
    // of which one has a digit.
    var otherWords = 0
    var groupWords = 0
    var groupHasDigit = false
    var inWord = false
    var wordHasDigit = false
    var lastWasCode = false
    func endGroup() {
      guard groupWords > 0 else { return }
      if groupHasDigit {
        lastWasCode = true
      } else {
        otherWords += groupWords
        lastWasCode = false
      }
      groupWords = 0
      groupHasDigit = false
    }
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      let isDigit = byte >= 0x30 && byte <= 0x39
      let isLetter = (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A || byte >= 0x80
      if isDigit || isLetter {
        if !inWord {
          inWord = true
          wordHasDigit = false
        }
        wordHasDigit = wordHasDigit || isDigit
      } else {
        if inWord {
          inWord = false
          groupWords += 1
          groupHasDigit = groupHasDigit || wordHasDigit
        }
        let joins =
          (byte == UInt8(ascii: "-") || byte == UInt8(ascii: "/")) && index + 1 < bytes.count
          && bytes[index + 1] != 0x20
        if !joins { endGroup() }
      }
      index += 1
    }
    if inWord {
      groupWords += 1
      groupHasDigit = groupHasDigit || wordHasDigit
    }
    endGroup()
    return lastWasCode && otherWords <= maxOtherWords
  }
}

extension UnsafeBufferPointer {
  /// Element `index` without the bounds check (the caller knows it is in range).
  @inline(__always)
  subscript(unchecked index: Int) -> Element { baseAddress.unsafelyUnwrapped[index] }
}
