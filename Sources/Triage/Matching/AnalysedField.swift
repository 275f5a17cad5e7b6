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

extension Hits {
  /// For targets without words (sender, domain, attachments).
  static let none = Hits(atomCount: 0, phraseCount: 0)
}
