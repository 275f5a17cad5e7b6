/// Which clauses' words a set of hits holds (see `EvidenceRole`).
enum HitSet: Int, Sendable, CaseIterable {
  /// Clauses that ask or tell: not declined, not identifying.
  case asked
  /// Requests only: a question, "proszę o…".
  case request
  /// Declined or denied clauses only.
  case negated
  /// Every clause.
  case all

  init(_ role: EvidenceRole) {
    switch role {
    case .asked: self = .asked
    case .request: self = .request
    case .negated: self = .negated
    case .mentioned: self = .all
    }
  }
}

/// What a clause of a mail does, decided when it ends from the markers of
/// settings.rules that hit in it.
public enum ClauseRole: String, Sendable, Hashable, CaseIterable {
  /// Tells something: its words count.
  case plain
  /// Asks: a question mark or a request marker ("proszę o", "czy możecie").
  case request
  /// Declines or denies ("nie mamy AnyDeska", "drukarka działa poprawnie").
  case declined
  /// Only identifies the customer: a label and a code ("klucz licencyjny: 7Q2M-K81D-00X4-PWSK").
  case identification

  /// The sets of hits its words go into, one bit per `HitSet` (no array per clause).
  var sets: UInt8 {
    switch self {
    case .plain: 0b1001
    case .request: 0b1011
    case .declined: 0b1100
    case .identification: 0b1000
    }
  }
}

/// A field of the mail, tokenised, with what each pattern hit where.
final class AnalysedField: Sendable {
  let text: String
  /// Each word's place in `text`, as UTF-8 offsets, and the role of its
  /// clause; only kept when the words are to be shown (`explain`): deciding
  /// needs just what hit.
  let tokens: [Range<Int>]
  let tokenRoles: [ClauseRole]
  /// Per `HitSet`, the token position where each atom, and each phrase,
  /// first hit; -1 for none (for the explanation; empty without it).
  let firstHit: [[Int32]]
  let phraseHit: [[Int32]]
  /// Which atoms and phrases hit, per `HitSet` (for evaluating the conditions).
  let hits: [Hits]

  init(_ text: String, index: TermIndex, keepTokens: Bool) {
    var utf8 = text
    var word = [UInt8](repeating: 0, count: 255)
    var recorder: HitRecorder? = nil
    utf8.withUTF8 { bytes in
      var local = HitRecorder(index: index, text: bytes, expectedWords: keepTokens ? bytes.count / 6 : nil)
      // The sink refers to the recorder through a pointer: see `MatchSink`.
      withUnsafeMutablePointer(to: &local) { pointer in
        word.withUnsafeMutableBufferPointer { word in
          index.prefixes.withTables { table, column in
            _ = Normalizer.scan(
              utf8: bytes, into: MatchSink(index: index, table: table, column: column, word: word, recorder: pointer))
          }
        }
        pointer.pointee.endClause(question: false)
      }
      recorder = local
    }
    self.text = text
    tokens = recorder!.tokens
    tokenRoles = recorder!.tokenRoles
    firstHit = recorder!.firstHit
    phraseHit = recorder!.phraseHit
    hits = recorder!.hits
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

  @inline(__always)
  mutating func insert(atom: Int) { atoms[atom / 64] |= 1 << UInt64(atom % 64) }

  @inline(__always)
  mutating func insert(phrase: Int) { phrases[phrase / 64] |= 1 << UInt64(phrase % 64) }

  @inline(__always)
  mutating func remove(atom: Int) { atoms[atom / 64] &= ~(1 << UInt64(atom % 64)) }

  @inline(__always)
  mutating func remove(phrase: Int) { phrases[phrase / 64] &= ~(1 << UInt64(phrase % 64)) }

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

extension Hits {
  /// For targets without words (sender, domain, attachments).
  static let none = Hits(atomCount: 0, phraseCount: 0)
}
