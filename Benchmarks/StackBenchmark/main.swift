// The transport and the whole bot against the local mail stack, each figure
// beside a baseline measured in the same run (the curl CLI, swaks, a small
// mailbox). Needs a running stack (MAILSTACK_* variables) and the release
// binaries; scripts/bench-stack.sh does all of it. Figures go to BENCHMARKS.md.
//
//   stack-benchmark [transport] [engine] [--big-mailbox 20000] [--fetch 500]
//                   [--replies 200] [--mails 1000] [--latency-samples 30]
import Foundation

let arguments = CommandLine.arguments
func option(_ name: String, default fallback: Int) -> Int {
  guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count, let value = Int(arguments[index + 1])
  else { return fallback }
  return value
}
let sections = Set(arguments.dropFirst().filter { !$0.hasPrefix("-") && Int($0) == nil })
let bench = try Bench(environment: ProcessInfo.processInfo.environment, program: arguments[0])
if sections.isEmpty || sections.contains("transport") {
  try await transportBenchmark(
    bench, bigMailbox: option("--big-mailbox", default: 20_000), fetchCount: option("--fetch", default: 500),
    replies: option("--replies", default: 200))
}
if sections.isEmpty || sections.contains("engine") {
  try await engineBenchmark(
    bench, backlog: option("--mails", default: 1000), latencySamples: option("--latency-samples", default: 30))
}
try? FileManager.default.removeItem(at: bench.work)
