// What both sections of the stack benchmark share: the stack's addresses,
// running programs with their peak memory, writing test mails, figures.
import Foundation
import MailStackTestSupport
import MailTransport

/// The local mail stack and the programs under test, from the environment
/// that scripts/bench-stack.sh sets up.
struct Bench: Sendable {
  let stack: MailStack
  let stackDirectory: String
  let supportbot: String
  let rules: String
  let work: URL
  /// A word that makes this run's folders, senders and Message-IDs unique.
  let tag: String
  let bot = MailStack.customer
  let customerDomain = "customers.example.test"
  var imaps: String { stack.imapsURL }
  var submission: String { stack.submissionURL }
  var caFile: String { stack.caFile }
  var password: String { stack.password }

  init(environment: [String: String], program: String) throws {
    guard let stack = MailStack.current, let directory = stack.directory else {
      FileHandle.standardError.write(
        Data("stack-benchmark: no mail stack (MAILSTACK_*); run scripts/bench-stack.sh\n".utf8))
      exit(2)
    }
    self.stack = stack
    stackDirectory = directory
    let here = URL(fileURLWithPath: program).deletingLastPathComponent()
    supportbot = environment["SUPPORTBOT_BINARY"] ?? here.appendingPathComponent("supportbot").path
    rules = environment["SUPPORTBOT_RULES"] ?? "rules"
    work = FileManager.default.temporaryDirectory.appendingPathComponent("stack-benchmark-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    tag = "bench\(UUID().uuidString.prefix(6).lowercased())"
  }

  func imapClient(user: String? = nil) throws -> IMAPClient { try stack.imap(user ?? bot) }
  func smtpClient() throws -> SMTPClient { try stack.submission(bot) }

  /// A customer's mail about an error message, padded with a quoted history
  /// to about `size` bytes (a typical mail with a reply chain is 2–8 KB).
  func mail(from sender: String, to recipient: String, number: Int, id: String, size: Int = 0) -> [UInt8] {
    var text = """
      From: Klient \(number) <\(sender)>\r
      To: \(recipient)\r
      Subject: =?UTF-8?Q?B=C5=82=C4=85d_przy_zamykaniu_miesi=C4=85ca_\(number)?=\r
      Date: Wed, 25 Nov 2026 09:30:00 +0100\r
      Message-ID: \(id)\r
      MIME-Version: 1.0\r
      Content-Type: text/plain; charset=UTF-8\r
      Content-Transfer-Encoding: 8bit\r
      \r
      Dzień dobry,\r
      program pokazuje komunikat o błędzie 1045 przy zamykaniu miesiąca.\r
      Proszę o pomoc.\r
      \r

      """
    while text.utf8.count < size {
      text += "> W poprzednim tygodniu wszystko działało, magazyn przyjął dostawę bez problemów.\r\n"
    }
    return Array(text.utf8)
  }

  /// Fills a folder of the bot's mailbox by writing maildir files straight
  /// into it (20,000 APPENDs would take minutes); Dovecot takes them in at
  /// the next look. Needs root, like the stack itself.
  func fill(folder: String, count: Int, seen: Bool, size: Int) async throws -> UInt32 {
    let client = try imapClient()
    try await client.createMailbox(folder)
    let directory = "\(stackDirectory)/mail/example.test/klient/Maildir/.\(folder)/cur"
    guard FileManager.default.fileExists(atPath: directory) else {
      fatalError("no maildir folder at \(directory): has the stack's layout changed?")
    }
    for number in 0..<count {
      let path = "\(directory)/1764000000.M\(number)P\(getpid()).\(tag):2,\(seen ? "S" : "")"
      let bytes = mail(
        from: "\(tag)-\(number)@\(customerDomain)", to: bot, number: number,
        id: "<\(tag)-\(folder)-\(number)@example.test>",
        size: size)
      guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
        fatalError("cannot write \(path)")
      }
      chown(path, 8, 8)  // the stack's mail user
    }
    // Dovecot rescans a maildir folder at every open while its directory's
    // time stamp is too recent to trust (freshly written mail looks like that
    // for a few seconds); real mailboxes are not that fresh.
    try await Task.sleep(for: .seconds(3))
    let status = try await client.status(of: folder)
    guard status.messages == count, let validity = status.uidValidity else {
      fatalError("\(folder) holds \(status.messages ?? -1) messages, not \(count)")
    }
    return validity
  }
}

func seconds(_ duration: Duration) -> Double {
  Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Seconds one call of `body` takes, the median of `repeats` calls after a warm-up call.
func median(repeats: Int, _ body: () async throws -> Void) async throws -> Double {
  try await body()
  var times: [Double] = []
  for _ in 0..<repeats {
    let start = ContinuousClock.now
    try await body()
    times.append(seconds(ContinuousClock.now - start))
  }
  return times.sorted()[times.count / 2]
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
  sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func rate(_ count: Int, _ seconds: Double) -> String { String(format: "%.1f/s", Double(count) / seconds) }
func fixed(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
func megabytes(_ kilobytes: Int) -> String { String(format: "%.1f MB", Double(kilobytes) / 1024) }

/// Runs a program to its end; it must not fail.
@discardableResult
func run(
  _ path: String, _ arguments: [String], environment: [String: String]? = nil, output: String = "/dev/null"
)
  -> ChildProcess.Ending
{
  do {
    return try ChildProcess.run(path, arguments, environment: environment, output: output)
  } catch {
    fatalError("\(error)")
  }
}
