// Issue 7's figures: the whole bot draining a backlog, beside the bare
// protocol work done by the curl CLI and swaks in the same run, and the
// latency from delivery to the reply with IMAP IDLE and with polling.
import Foundation
import MailStackTestSupport
import MailTransport

extension Bench {
  func botEnvironment(mailbox: String, state: String, extra: [String: String] = [:]) -> [String: String] {
    [
      "PATH": "/usr/bin:/bin", "SUPPORTBOT_IMAP_URL": "\(imaps)/\(mailbox)", "SUPPORTBOT_IMAP_USER": bot,
      "SUPPORTBOT_IMAP_PASSWORD": password, "SUPPORTBOT_SMTP_URL": submission, "SUPPORTBOT_CA_FILE": caFile,
      "SUPPORTBOT_STATE": state, "SUPPORTBOT_RULES": rules, "SUPPORTBOT_SENT_COPY": "server",
      "SUPPORTBOT_HOURLY_CAP": "100000", "SUPPORTBOT_LOG_TIMESTAMPS": "0",
    ].merging(extra) { _, new in new }
  }
}

func engineBenchmark(_ bench: Bench, backlog: Int, latencySamples: Int) async throws {
  // MARK: The backlog
  let folder = "Backlog-\(bench.tag)"
  _ = try await bench.fill(folder: folder, count: backlog, seen: false, size: 2048)
  print("## Draining a backlog of \(backlog) unread mails")
  print("")
  let drainLog = bench.work.appendingPathComponent("drain.log").path
  let drain = run(
    bench.supportbot, ["run", "--once"],
    environment: bench.botEnvironment(
      mailbox: folder, state: bench.work.appendingPathComponent("drain.sqlite").path),
    output: drainLog)
  let summary =
    (try? String(contentsOfFile: drainLog, encoding: .utf8))?.split(separator: "\n").last { $0.contains("pass done") }
  guard drain.exitCode == 0, let summary, summary.contains("\(backlog) replied") else {
    fatalError("the drain did not answer every mail (exit \(drain.exitCode ?? -1)); see \(drainLog)")
  }

  // The same protocol work with the curl CLI: fetch every mail over one IMAP
  // connection (URL globbing reuses it), send one reply each over one SMTP
  // connection (`next` in a config file reuses it).
  let fetch = run(
    "/usr/bin/curl",
    [
      "-s", "--cacert", bench.caFile, "-u", "\(bench.bot):\(bench.password)",
      "\(bench.imaps)/\(folder)/;UID=[1-\(backlog)]", "-o", bench.work.appendingPathComponent("fetched-#1.eml").path,
    ])
  let reply = bench.work.appendingPathComponent("reply.eml").path
  try Data(
    bench.mail(from: bench.bot, to: "\(bench.tag)-curl@\(bench.customerDomain)", number: 0, id: "<c@example.test>")
  )
  .write(to: URL(fileURLWithPath: reply))
  var config = ""
  for number in 0..<backlog {
    if number > 0 { config += "next\n" }
    config += """
      url = "\(bench.submission)"
      ssl-reqd
      cacert = "\(bench.caFile)"
      user = "\(bench.bot):\(bench.password)"
      mail-from = ""
      mail-rcpt = "\(bench.tag)-curl-\(number)@\(bench.customerDomain)"
      upload-file = "\(reply)"
      silent

      """
  }
  let configPath = bench.work.appendingPathComponent("curl-smtp.conf").path
  try config.write(toFile: configPath, atomically: true, encoding: .utf8)
  let send = run("/usr/bin/curl", ["-K", configPath])
  guard fetch.exitCode == 0, send.exitCode == 0 else { fatalError("curl failed: \(fetch), \(send)") }
  let swaksCount = min(backlog, 50)
  let swaksStart = ContinuousClock.now
  for number in 0..<swaksCount {
    run(
      "/usr/bin/swaks",
      [
        "--silent", "2", "--server", bench.submission.replacingOccurrences(of: "smtp://", with: ""), "--tls",
        "--auth", "PLAIN", "--auth-user", bench.bot, "--auth-password", bench.password, "--from", bench.bot, "--to",
        "\(bench.tag)-swaks-\(number)@\(bench.customerDomain)", "--data", reply,
      ])
  }
  let swaksSeconds = seconds(ContinuousClock.now - swaksStart)
  let bare = fetch.seconds + send.seconds
  print("| what | mails | seconds | rate | peak memory |")
  print("|---|---|---|---|---|")
  print(
    "| supportbot run --once (fetch, parse, classify, decide, record, send, flag) | \(backlog) | \(fixed(drain.seconds)) "
      + "| \(rate(backlog, drain.seconds)) | \(megabytes(drain.maxRSSKB)) |")
  print(
    "| curl CLI: fetch over one IMAP connection | \(backlog) | \(fixed(fetch.seconds)) | \(rate(backlog, fetch.seconds)) "
      + "| \(megabytes(fetch.maxRSSKB)) |")
  print(
    "| curl CLI: send over one SMTP connection | \(backlog) | \(fixed(send.seconds)) | \(rate(backlog, send.seconds)) "
      + "| \(megabytes(send.maxRSSKB)) |")
  print("| curl CLI: fetch + send (the bare protocol work) | \(backlog) | \(fixed(bare)) | \(rate(backlog, bare)) | |")
  print(
    "| swaks: send, one process per mail | \(swaksCount) | \(fixed(swaksSeconds)) | \(rate(swaksCount, swaksSeconds)) | |"
  )
  print("")
  print(
    "supportbot / bare curl: \(fixed(bare / drain.seconds)) of the rate; peak memory \(megabytes(drain.maxRSSKB)) (target < 64 MB)"
  )
  print("supportbot said: \(summary.split(separator: "pass done: ").last ?? "?")")
  print("")

  // MARK: Latency from delivery to the reply
  print("## Latency from delivery (SMTP port 25) to the reply in the customer's INBOX")
  print("")
  print("| waiting for new mail | samples | p50 | p95 | max |")
  print("|---|---|---|---|---|")
  for idle in [true, false] {
    let sorted = try await latencies(bench, samples: idle ? latencySamples : max(5, latencySamples / 3), idle: idle)
    print(
      "| \(idle ? "IMAP IDLE" : "polling every 5 s") | \(sorted.count) | \(fixed(percentile(sorted, 0.5))) s "
        + "| \(fixed(percentile(sorted, 0.95))) s | \(fixed(sorted.last ?? 0)) s |")
  }
  print("")
}

/// Seconds from handing each mail to port 25 until its reply is in the customer's INBOX.
func latencies(_ bench: Bench, samples: Int, idle: Bool) async throws -> [Double] {
  let account = "support@example.test"
  let log = bench.work.appendingPathComponent("latency-\(idle).log").path
  // A service of its own on support@'s INBOX; mail already there is history.
  var environment = bench.botEnvironment(
    mailbox: "INBOX", state: bench.work.appendingPathComponent("latency-\(idle).sqlite").path,
    extra: ["SUPPORTBOT_POLL_SECONDS": "5", "SUPPORTBOT_IDLE": idle ? "1" : "0", "SUPPORTBOT_FIRST_START_HOURS": "0"])
  environment["SUPPORTBOT_IMAP_USER"] = account
  let service = try ChildProcess(bench.supportbot, ["run"], environment: environment, output: log)
  defer { _ = service.stop() }
  // The first pass (the mail already there becomes history), then IDLE.
  var waited = 0
  while (try? String(contentsOfFile: log, encoding: .utf8))?.contains("pass done") != true {
    waited += 1
    if waited > 300 { fatalError("the service did no pass within 30 s; see \(log)") }
    try await Task.sleep(for: .milliseconds(100))
  }
  try await Task.sleep(for: .milliseconds(500))

  let catchall = try bench.imapClient(user: "catchall@example.test")
  var results: [Double] = []
  for number in 0..<samples {
    let sender = "\(bench.tag)-lat\(idle ? "i" : "p")\(number)@\(bench.customerDomain)"
    let id = "<\(bench.tag)-lat-\(idle)-\(number)@klient.example.test>"
    // Start at a random point of the polling interval, as real mail does.
    try await Task.sleep(for: .milliseconds(Int.random(in: 0..<5000)))
    let start = ContinuousClock.now
    try await bench.stack.inject(
      bench.mail(from: sender, to: account, number: number, id: id), from: sender, to: [account])
    while true {
      let status = try await catchall.status(of: "INBOX")
      if let found = try? await catchall.uids(
        in: "INBOX", uidValidity: status.uidValidity ?? 0, header: "In-Reply-To", contains: id), !found.isEmpty
      {
        break
      }
      if seconds(ContinuousClock.now - start) > 60 { fatalError("no reply within a minute; see \(log)") }
      try await Task.sleep(for: .milliseconds(20))
    }
    results.append(seconds(ContinuousClock.now - start))
  }
  return results.sorted()
}
