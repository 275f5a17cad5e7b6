// Parse throughput of the MIME parser on a corpus of .eml files, measured side
// by side with the baseline of merely reading the same bytes once.
//
//   swift build -c release --product mailmessage-benchmark
//   .build/release/mailmessage-benchmark [FOLDER...] [--seconds N]   (N: the whole run, both measurements)
//   .build/release/mailmessage-benchmark --slowest 20                  (the mails with the lowest MB/s)
//
// Prints messages/s and MB/s for both and their ratio. Figures go to BENCHMARKS.md.
import Foundation
import MailMessage

struct Result {
  var rounds: Int
  var elapsed: Double
  var sink: Int
}

struct Benchmark {
  let corpus: [[UInt8]]
  let seconds: Double
  var corpusBytes: Int { corpus.reduce(0) { $0 + $1.count } }

  /// Runs `body` over the whole corpus until `seconds` have passed.
  func measure(_ body: ([UInt8]) -> Int) -> Result {
    let clock = ContinuousClock()
    var rounds = 0
    var sink = 0
    let start = clock.now
    var elapsed = 0.0
    repeat {
      for message in corpus { sink &+= body(message) }
      rounds += 1
      let duration = clock.now - start
      elapsed = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    } while elapsed < seconds
    return Result(rounds: rounds, elapsed: elapsed, sink: sink)
  }

  /// The median rate of the trials, with the slowest and the fastest trial.
  func report(_ name: String, _ results: [Result]) -> Double {
    let rates = results.map { Double($0.rounds * corpusBytes) / $0.elapsed / 1_000_000 }.sorted()
    let megabytes = rates[rates.count / 2]
    let messages = megabytes * 1_000_000 / Double(corpusBytes) * Double(corpus.count)
    let rounds = results.reduce(0) { $0 + $1.rounds }
    let checksum = results.reduce(0) { $0 &+ $1.sink }
    print(
      name.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: "%12.0f messages/s", messages)
        + String(format: "  %9.1f MB/s", megabytes)
        + String(format: "  (trials %.1f–%.1f MB/s, ", rates.first ?? 0, rates.last ?? 0)
        + "\(rounds) rounds, checksum \(checksum % 1000))")
    return megabytes
  }

  func run() {
    print("corpus: \(corpus.count) messages, \(corpusBytes) bytes (\(corpusBytes / corpus.count) bytes on average)")
    // The baseline: every byte read once (a checksum the optimiser cannot drop).
    let baseline = { (bytes: [UInt8]) -> Int in
      var sum = 0
      for byte in bytes { sum &+= Int(byte) }
      return sum
    }
    // The work the bot does per mail: parse, then read what triage and the reply need.
    let parse = { (bytes: [UInt8]) -> Int in
      let message = Message(parsing: bytes)
      return (message.subject?.utf8.count ?? 0) &+ (message.from?.address.utf8.count ?? 0)
        &+ message.text.utf8.count &+ message.newText.utf8.count &+ message.attachments.count
        &+ (message.date == nil ? 0 : 1) &+ (message.messageID?.utf8.count ?? 0)
    }
    // Trials alternate between the two, so a slower stretch of the machine
    // (frequency, neighbours) falls on both; the median of each is reported.
    let trials = 9
    let slice = Benchmark(corpus: corpus, seconds: seconds / Double(2 * trials))
    var baselineResults: [Result] = []
    var parseResults: [Result] = []
    for _ in 0..<trials {
      baselineResults.append(slice.measure(baseline))
      parseResults.append(slice.measure(parse))
    }
    let baselineRate = report("read the bytes (baseline)", baselineResults)
    let parseRate = report("parse + text + newText", parseResults)
    print(String(format: "parse / baseline: %.4f", parseRate / baselineRate))
    print("peak memory: \(Self.peakMemoryMB()) MB")
  }

  static func peakMemoryMB() -> String {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return "?" }
    let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    return String(format: "%.1f", kilobytes / 1024)
  }
}

var folders: [String] = []
var seconds = 3.0
var slowest = 0
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
  if argument == "--seconds", let value = arguments.popFirst().flatMap(Double.init) {
    seconds = value
  } else if argument == "--slowest", let value = arguments.popFirst().flatMap(Int.init) {
    slowest = value
  } else {
    folders.append(argument)
  }
}
if folders.isEmpty { folders = ["Tests/MailMessageTests/Fixtures", "scripts/demo-mails", "rules/examples"] }

var corpus: [[UInt8]] = []
var paths: [String] = []
for folder in folders {
  guard let walker = FileManager.default.enumerator(atPath: folder) else { continue }
  for case let path as String in walker where path.hasSuffix(".eml") {
    if let data = FileManager.default.contents(atPath: folder + "/" + path) {
      corpus.append([UInt8](data))
      paths.append(folder + "/" + path)
    }
  }
}
if corpus.isEmpty {
  FileHandle.standardError.write(Data("no .eml files in \(folders.joined(separator: ", "))\n".utf8))
  exit(1)
}
if slowest > 0 {
  // Where the time goes: each mail parsed on its own, the ones with the lowest MB/s first.
  print("the \(slowest) slowest mails (MB/s, bytes, file):")
  let rates = corpus.indices.map { index in
    let single = Benchmark(corpus: [corpus[index]], seconds: 0.05)
    let result = single.measure { Message(parsing: $0).newText.utf8.count }
    return (Double(result.rounds * corpus[index].count) / result.elapsed / 1_000_000, index)
  }
  for (rate, index) in rates.sorted(by: { $0.0 < $1.0 }).prefix(slowest) {
    print(String(format: "%8.1f %8d  ", rate, corpus[index].count) + paths[index])
  }
  exit(0)
}
Benchmark(corpus: corpus, seconds: seconds).run()
