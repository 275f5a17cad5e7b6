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
