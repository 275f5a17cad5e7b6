// Issue 4's figures: what an idle poll costs in a small and a big mailbox,
// the fetch rate against the curl CLI, and SMTP with a reused connection
// against a new connection per reply.
import Foundation
import MailStackTestSupport
import MailTransport

func transportBenchmark(_ bench: Bench, bigMailbox: Int, fetchCount: Int, replies: Int) async throws {
  // MARK: Idle poll: the engine's probe (NOOP + STATUS), and the search it
  // makes when 3 mails arrived since the last pass.
  print("## Idle poll: \(bigMailbox) messages against 100")
  print("")
  print(
    "| mailbox | messages | idle probe, not selected | UID SEARCH for the 3 newest | idle probe, this mailbox selected |"
  )
  print("|---|---|---|---|---|")
  var probes: [Double] = []
  for count in [100, bigMailbox] {
    let folder = "Poll\(count)-\(bench.tag)"
    let validity = try await bench.fill(folder: folder, count: count, seen: true, size: 0)
    let client = try bench.imapClient()
    let newest = try await client.status(of: folder).uidNext ?? 1
    let unselected = try await median(repeats: 200) { _ = try await client.status(of: folder) }
    let search = try await median(repeats: 200) {
      let found = try await client.uids(in: folder, uidValidity: validity, above: newest - 4)
      precondition(found.count == 3)
    }
    // The bot's case: its connection keeps the mailbox selected after a pass.
    let probe = try await median(repeats: 200) { _ = try await client.status(of: folder) }
    probes.append(probe)
    print(
      "| \(folder) | \(count) | \(fixed(unselected * 1000)) ms | \(fixed(search * 1000)) ms | \(fixed(probe * 1000)) ms |"
    )
  }
  print("")
  print("Idle probe, \(bigMailbox) / 100 messages: \(fixed(probes[1] / probes[0])) (target ≤ 1.3)")
  print("")

  // MARK: Fetch: the library against the curl CLI, same mails, same run.
  print("## Fetching \(fetchCount) mails of 4 KB over one connection")
  print("")
  print("| who | what | seconds | rate |")
  print("|---|---|---|---|")
  let readFolder = "Read-\(bench.tag)"
  let readValidity = try await bench.fill(folder: readFolder, count: fetchCount, seen: true, size: 4096)
  let unreadFolder = "Unread-\(bench.tag)"
  let unreadValidity = try await bench.fill(folder: unreadFolder, count: fetchCount, seen: false, size: 4096)
  let fetcher = try bench.imapClient()
  _ = try await fetcher.capabilities()  // connected and logged in before the clock starts
  let uids = Array(1...UInt32(fetchCount))
  var known: [String: [UInt32: MessageMetadata]] = [:]
  for folder in [(readFolder, readValidity), (unreadFolder, unreadValidity)] {
    for window in stride(from: 0, to: uids.count, by: 200) {
      for item in try await fetcher.metadata(
        in: folder.0, uidValidity: folder.1, uids: Array(uids[window..<min(window + 200, uids.count)]))
      {
        known[folder.0, default: [:]][item.uid] = item
      }
    }
  }
  var library = 0.0
  var bytes = 0
  for (folder, validity, flagsKnown, what) in [
    (readFolder, readValidity, true, "read mails, flags known from the batch (the engine's path)"),
    (readFolder, readValidity, false, "read mails, flags looked up first"),
    (unreadFolder, unreadValidity, true, "unread mails, flags known (`\\Seen` taken off again)"),
  ] {
    let start = ContinuousClock.now
    bytes = 0
    for uid in uids {
      bytes += try await fetcher.fetchMessage(
        in: folder, uidValidity: validity, uid: uid, limit: 262_144, known: flagsKnown ? known[folder]?[uid] : nil
      ).bytes.count
    }
    let elapsed = seconds(ContinuousClock.now - start)
    if library == 0 { library = elapsed }
    print("| IMAPClient.fetchMessage | \(what) | \(fixed(elapsed)) | \(rate(fetchCount, elapsed)) |")
  }
  let curl = run(
    "/usr/bin/curl",
    [
      "-s", "--cacert", bench.caFile, "-u", "\(bench.bot):\(bench.password)",
      "\(bench.imaps)/\(readFolder);UIDVALIDITY=\(readValidity)/;UID=[1-\(fetchCount)]", "-o",
      bench.work.appendingPathComponent("fetched-#1.eml").path,
    ])
  precondition(curl.exitCode == 0, "curl failed: \(curl)")
  print(
    "| curl CLI, URL glob | read mails (the body fetch only; login included) | \(fixed(curl.seconds)) | \(rate(fetchCount, curl.seconds)) |"
  )
  print("")
  print(
    "Fetch rate, library / curl CLI: \(fixed(curl.seconds / library)) (target ≥ 1.0); \(bytes / fetchCount) bytes a mail"
  )
  print("")

  // MARK: SMTP: one connection for all replies against one per reply.
  print("## Sending \(replies) replies over submission (STARTTLS, AUTH)")
  print("")
  print("| connection | seconds | rate |")
  print("|---|---|---|")
  let reply = bench.mail(from: bench.bot, to: "someone@\(bench.customerDomain)", number: 0, id: "<smtp@example.test>")
  var times: [Double] = []
  for reused in [true, false] {
    let shared = try bench.smtpClient()
    let start = ContinuousClock.now
    for number in 0..<replies {
      let client = reused ? shared : try bench.smtpClient()
      _ = try await client.send(
        envelopeSender: "", recipients: ["\(bench.tag)-smtp\(reused)-\(number)@\(bench.customerDomain)"],
        message: reply)
    }
    let elapsed = seconds(ContinuousClock.now - start)
    times.append(elapsed)
    print("| \(reused ? "one, reused" : "a new one per reply") | \(fixed(elapsed)) | \(rate(replies, elapsed)) |")
  }
  print("")
  print("SMTP, reused / new connection: \(fixed(times[1] / times[0]))× the rate")
  print("")
}
