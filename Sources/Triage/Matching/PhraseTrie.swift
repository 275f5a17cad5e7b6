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
