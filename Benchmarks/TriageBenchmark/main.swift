// Classification speed of the default rules on 4 KB mails, measured side by
// side with the baseline of only tokenizing the same text, and the time to
// load (parse, check, compile) 1,000 rules.
//
//   swift build -c release --product triage-benchmark
//   .build/release/triage-benchmark [RULES-DIR] [--seconds N]
//
// Figures go to BENCHMARKS.md.
import Foundation
import MailMessage
import Triage

func seconds(_ duration: Duration) -> Double {
  Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

struct Measurement {
  var count: Int
  var elapsed: Double
  var perSecond: Double { Double(count) / elapsed }
}

/// Runs `body` on every input until `limit` seconds have passed.
func measure(_ inputs: [TriageInput], for limit: Double, _ body: (TriageInput) -> Int) -> (Measurement, Int) {
  let clock = ContinuousClock()
  let start = clock.now
  var count = 0
  var sink = 0
  var elapsed = 0.0
  repeat {
    for input in inputs { sink &+= body(input) }
    count += inputs.count
    elapsed = seconds(clock.now - start)
  } while elapsed < limit
  return (Measurement(count: count, elapsed: elapsed), sink)
}

/// `categories` × `perCategory` condition lines of realistic shape.
func syntheticRules(categories: Int, perCategory: Int) -> [RuleFile] {
  let stems = ["drukar", "skaner", "kolektor", "licencj", "aktywac", "instal", "konfigur", "baz", "archiwiz", "zdaln"]
  var files = [RuleFile(path: "settings.rules", text: "margin: 2\n", kind: .settings)]
  for category in 0..<categories {
    var text = "category: c\(category)\ntitle: Kategoria \(category)\ncoverage: uncovered\nthreshold: 4\n"
    for line in 0..<perCategory {
      let a = stems[(category + line) % stems.count]
      let b = stems[(category * 3 + line * 7) % stems.count]
      text +=
        "body +\(line % 3 + 1): \(a)\(category)x\(line)*, \"\(b)* slowo\(line)\", (\(a)* OR *\(b)\(line)*) AND NOT wyklucz\(category)\n"
    }
    text += "example: \"\(stems[category % stems.count])\(category)x0\"\n"
    files.append(RuleFile(path: "categories/c\(category).rules", text: text, kind: .category))
  }
  return files
}

var rulesDirectory = "rules"
var limit = 3.0
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
  if argument == "--seconds", let value = arguments.popFirst().flatMap(Double.init) {
    limit = value
  } else {
    rulesDirectory = argument
  }
}

let clock = ContinuousClock()
let loadStart = clock.now
let (loaded, diagnostics) = RuleLoader.load(directory: rulesDirectory)
guard let rules = loaded else {
  for diagnostic in diagnostics { print(diagnostic) }
  exit(1)
}
let classifier = Classifier(rules)
let defaultLoad = seconds(clock.now - loadStart)
// What the service loads: the rules and, with examples-vote, the labelled mails for the second opinion.
var fullLoads: [Double] = []
var fullClassifier = classifier
for _ in 0..<3 {
  let start = clock.now
  guard let full = RuleLoader.classifier(directory: rulesDirectory).0 else { exit(1) }
  fullLoads.append(seconds(clock.now - start))
  fullClassifier = full
}

// 4 KB mails: the new texts of the labelled examples, concatenated until each body reaches 4,096 bytes.
let examples: [TriageInput]
do {
  examples = try RuleTestRunner.mailExamples(folders: [rulesDirectory + "/examples"]).map(\.input)
} catch {
  print(error)
  exit(1)
}
guard !examples.isEmpty else {
  print("no example mails in \(rulesDirectory)/examples")
  exit(1)
}
var inputs: [TriageInput] = []
for (index, example) in examples.enumerated() {
  var body = example.body
  var next = index
  while body.utf8.count < 4096 {
    next = (next + 1) % examples.count
    body += "\n\n" + examples[next].body
  }
  inputs.append(TriageInput(subject: example.subject, body: String(body.utf8.prefix(4096)) ?? body, from: example.from))
}

let (tokenizing, tokens) = measure(inputs, for: limit) { input in
  Normalizer.tokens(input.subject).count + Normalizer.tokens(input.body).count
}
let (classifying, categories) = measure(inputs, for: limit) { input in
  classifier.classify(input, explain: false).category?.utf8.count ?? 0
}
let (voting, _) = measure(inputs, for: limit) { input in
  fullClassifier.classify(input, explain: false).category?.utf8.count ?? 0
}
let (explaining, _) = measure(inputs, for: limit) { input in
  classifier.classify(input).scores.count
}

// Loading 1,000 rules: parse, check and compile, from text in memory.
let synthetic = syntheticRules(categories: 50, perCategory: 20)
var loadTimes: [Double] = []
for _ in 0..<5 {
  let start = clock.now
  let (parsed, problems) = RuleParser.parse(synthetic)
  guard let parsed else {
    for problem in problems.prefix(5) { print(problem) }
    exit(1)
  }
  _ = Classifier(parsed)
  loadTimes.append(seconds(clock.now - start))
}
let conditionCount = synthetic.count - 1

print(
  "rules: \(rules.categories.count) categories, \(rules.categories.reduce(0) { $0 + $1.conditions.count }) conditions from \(rulesDirectory), loaded in \(String(format: "%.1f", defaultLoad * 1000)) ms"
)
print("mails: \(inputs.count) bodies of 4,096 bytes (checksums \(tokens % 1000), \(categories % 1000))")
print(String(format: "tokenize (baseline)   %9.0f mails/s", tokenizing.perSecond))
print(
  String(format: "classify              %9.0f mails/s   (what the service does: the decision)", classifying.perSecond))
print(
  String(
    format: "classify + vote       %9.0f mails/s   (with the examples' second opinion for unsure mails)",
    voting.perSecond))
print(
  String(
    format: "classify + explain    %9.0f mails/s   (also the words every matched line found)", explaining.perSecond))
print(
  String(
    format: "classify / tokenize:  %.3f (classification takes %.2fx the time of tokenizing)",
    classifying.perSecond / tokenizing.perSecond, tokenizing.perSecond / classifying.perSecond))
print(
  String(
    format: "loading the default rules with the labelled examples (%d mails): best %.1f ms",
    fullClassifier.examples?.count ?? 0, (fullLoads.min() ?? 0) * 1000))
print(
  String(
    format: "loading 1,000 rules (%d categories × 20 lines, parse + check + compile): best %.1f ms, median %.1f ms",
    conditionCount, (loadTimes.min() ?? 0) * 1000, loadTimes.sorted()[loadTimes.count / 2] * 1000))
