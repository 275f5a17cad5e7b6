import Foundation

/// `supportbot rules suggest [CATEGORY]`: words typical of the labelled
/// mails that should have gone to a category but did not, as rule lines
/// ready to paste, each with what it would change on the whole corpus —
/// in the spirit of SpamAssassin's token statistics, but for staff.
public enum RuleSuggester {
  public struct Suggestion: Sendable {
    public var category: String
    public var file: String
    public var line: String
    /// Labelled mails of the category that have the words, of those it missed, and elsewhere.
    public var inMissed: Int
    public var missed: Int
    public var inOthers: Int
    public var others: Int
    /// What adding the line does to the corpus: mails fixed and broken.
    public var fixed: Int
    public var broken: Int
  }

  /// Candidate words and two-word phrases: the first six letters of each word.
  static func terms(_ input: TriageInput) -> Set<String> {
    let words = ExampleModel.words(input)
    var terms = Set(words)
    for (first, second) in zip(words, words.dropFirst()) { terms.insert(first + " " + second) }
    return terms
  }

  /// Suggestions for `category` (nil: every category that misses mails),
  /// tried on `examples` by adding each line to the category's file in `files`.
  public static func suggest(
    rules files: [RuleFile], examples: [LabelledExample], category wanted: String?, perCategory: Int = 5,
    skipCheck: RuleTestRunner.SkipCheck? = nil
  ) -> [Suggestion] {
    let (parsed, _) = RuleParser.parse(files)
    guard let rules = parsed else { return [] }
    let classifier = Classifier(rules)
    let mails = examples.filter(\.isMail)
    let outcomes = mails.map { RuleTestRunner.outcome(classifier, $0, explain: false, skipCheck: skipCheck) }
    let termsOf = mails.map { terms($0.input) }
    var suggestions: [Suggestion] = []
    for category in rules.categories where wanted == nil || category.id == wanted {
      let own = mails.indices.filter { mails[$0].expected == category.id }
      let missed = own.filter { outcomes[$0].got != category.id }
      let others = mails.indices.filter { mails[$0].expected != category.id }
      guard !missed.isEmpty else { continue }
      var inMissed: [String: Int] = [:]
      for index in missed { for term in termsOf[index] { inMissed[term, default: 0] += 1 } }
      var inOthers: [String: Int] = [:]
      for index in others { for term in termsOf[index] where inMissed[term] != nil { inOthers[term, default: 0] += 1 } }
      // Log-odds of being in a missed mail of the category rather than in another category's mail.
      func odds(_ term: String) -> Double {
        let a = Double(inMissed[term] ?? 0) + 0.5
        let b = Double(missed.count) - Double(inMissed[term] ?? 0) + 0.5
        let c = Double(inOthers[term] ?? 0) + 0.5
        let d = Double(others.count) - Double(inOthers[term] ?? 0) + 0.5
        return log(a / b) - log(c / d)
      }
      var scored: [(term: String, score: Double)] = []
      for (term, count) in inMissed where count >= 2 {
        let score = odds(term) * Double(count)
        if score > 0 { scored.append((term, score)) }
      }
      scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.term < $1.term }
      let candidates = scored.prefix(perCategory * 4)
      guard let file = files.first(where: { $0.kind == .category && categoryID(of: $0) == category.id }) else {
        continue
      }
      var found: [Suggestion] = []
      for (term, _) in candidates where found.count < perCategory {
        let pattern = term.split(separator: " ").map { stem(String($0), in: own.map { mails[$0].input }) }
        let line = "body +2: " + (pattern.count == 1 ? pattern[0] : "\"\(pattern.joined(separator: " "))\"")
        var changed = files
        if let position = changed.firstIndex(where: { $0.path == file.path }) {
          changed[position].text += (changed[position].text.hasSuffix("\n") ? "" : "\n") + line + "\n"
        }
        guard let trial = RuleParser.parse(changed).0 else { continue }
        let tried = Classifier(trial)
        var fixed = 0
        var broken = 0
        for (index, example) in mails.enumerated() {
          let after = RuleTestRunner.outcome(tried, example, explain: false, skipCheck: skipCheck).got
          let before = outcomes[index].got
          if after != before {
            if after == example.expected { fixed += 1 } else if before == example.expected { broken += 1 }
          }
        }
        guard fixed > broken else { continue }
        found.append(
          Suggestion(
            category: category.id, file: file.path, line: line, inMissed: inMissed[term] ?? 0, missed: missed.count,
            inOthers: inOthers[term] ?? 0, others: others.count, fixed: fixed, broken: broken))
      }
      suggestions += found
    }
    return suggestions
  }

  /// The pattern for a six-letter stem: the longest beginning that the
  /// category's mails share for it, with a star when words go on after it.
  static func stem(_ prefix: String, in inputs: [TriageInput]) -> String {
    var words: Set<String> = []
    for input in inputs {
      for token in Normalizer.tokens(input.subject + "\n" + input.body) where token.text.hasPrefix(prefix) {
        words.insert(token.text)
      }
    }
    guard let first = words.first else { return prefix + "*" }
    if words.count == 1, first == prefix { return first }
    var common = first
    for word in words { while !word.hasPrefix(common) { common.removeLast() } }
    return common.count >= 4 ? (words == [common] ? common : common + "*") : prefix + "*"
  }

  private static func categoryID(of file: RuleFile) -> String? {
    for line in file.text.split(whereSeparator: \.isNewline) {
      let parts = line.split(separator: ":", maxSplits: 1)
      if parts.count == 2, ["category", "kategoria"].contains(parts[0].trimmingCharacters(in: .whitespaces)) {
        return parts[1].trimmingCharacters(in: .whitespaces).lowercased()
      }
    }
    return nil
  }

  /// The suggestions as staff read them.
  public static func report(_ suggestions: [Suggestion]) -> String {
    guard !suggestions.isEmpty else {
      return "no suggestions: no word is typical enough of the missed mails to fix more than it breaks"
    }
    var lines: [String] = []
    for suggestion in suggestions {
      lines.append("# \(suggestion.file) (\(suggestion.category))")
      lines.append(
        "\(suggestion.line)    # in \(suggestion.inMissed) of \(suggestion.missed) missed mails, "
          + "\(suggestion.inOthers) of \(suggestion.others) others; on the corpus: \(suggestion.fixed) fixed, \(suggestion.broken) broken"
      )
    }
    return lines.joined(separator: "\n")
  }
}
