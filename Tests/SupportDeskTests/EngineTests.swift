import Foundation
import InMemoryLogging
import Logging
import MailMessage
import MailStackTestSupport
import MailTransport
import Testing

@testable import SupportDesk
@testable import SupportPolicy

/// The engine in-process against the real stack. Each test works in its own
/// folder of klient@example.test (acting as the support mailbox), and its
/// customers are unique addresses @customers.example.test, whose mail lands
/// in catchall's INBOX.
@Suite("The engine against the local mail stack", .enabled(if: MailStack.isAvailable))
struct EngineTests {
  let stack = MailStack.current!
  let botAccount = MailStack.customer

  /// A fresh folder holding `mails`, as the bot's mailbox.
  func mailbox(with mails: [[UInt8]], ids: [String]) async throws -> String {
    let folder = "Engine-\(UUID().uuidString.prefix(8))"
    let client = try stack.imap(botAccount)
    try await client.createMailbox(folder)
    for mail in mails { try await stack.inject(mail, from: "sender@customers.example.test", to: [botAccount]) }
    for id in ids { _ = try await stack.waitForMessages(botAccount, header: "Message-ID", contains: id) }
    var uids: [UInt32] = []
    let validity = try #require(try await client.status(of: "INBOX").uidValidity)
    for id in ids {
      uids += try await client.uids(in: "INBOX", uidValidity: validity, header: "Message-ID", contains: id)
    }
    try await client.move(from: "INBOX", uidValidity: validity, uids: uids, to: folder)
    return folder
  }

  /// A rules folder with an `errors` category (błąd*, błęd*) and the other category files given by name.
  func errorRules(_ more: [String: String] = [:]) throws -> RuleBook {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)")
    try FileManager.default.createDirectory(
      at: directory.appendingPathComponent("categories"), withIntermediateDirectories: true)
    let errors = """
      category: errors
      title: Błędy
      coverage: covered
      threshold: 3
      text +3: błąd*, błęd*
      example: błąd
      """
    for (name, text) in more.merging(["errors": errors], uniquingKeysWith: { first, _ in first }) {
      try text.write(
        to: directory.appendingPathComponent("categories/\(name).rules"), atomically: true, encoding: .utf8)
    }
    return RuleBook(directory: directory.path)
  }

  /// The error rules plus a `thanks` category that says `reply: no`.
  func rulesWithSilentThanks() throws -> RuleBook {
    try errorRules([
      "thanks": """
      category: thanks
      title: Podziękowania
      coverage: other
      threshold: 3
      reply: no
      text +3: dziekuj*, dzieki
      example: dziękuję
      """
    ])
  }

  func engine(
    folder: String, store: any StateStore, smtpURL: String? = nil, dryRun: Bool = false, now: Date = Date(),
    rules: RuleBook? = nil, desk: Reloadable<DeskSetup>? = nil, customers: Reloadable<CustomerDirectory>? = nil,
    logger: Logger = MailStack.logger, sentCopy: SentCopy = .bot, rateLimits: RateLimits = .init(),
    folders: FilingFolders = .init(), botAddress: String? = nil
  ) throws -> Engine {
    let settings = Settings(
      imap: try ServerEndpoint("\(stack.imapsURL)/\(folder)", service: .imap),
      imapAccount: Account(user: botAccount, password: Secret(stack.password)),
      smtp: try ServerEndpoint(smtpURL ?? stack.submissionURL, service: .smtp),
      smtpAccount: Account(user: botAccount, password: Secret(stack.password)),
      transport: stack.options,
      botAddress: MailAddress(name: "Pomoc techniczna PWSK", address: botAddress ?? botAccount),
      statePath: "unused", sentCopy: sentCopy, sentGrace: 60, rateLimits: rateLimits, folders: folders)
    return Engine(
      settings: settings,
      imap: IMAPClient(
        endpoint: settings.imap, account: settings.imapAccount, options: settings.transport, logger: MailStack.logger),
      smtp: SMTPClient(
        endpoint: settings.smtp, account: settings.smtpAccount, options: settings.transport, logger: MailStack.logger),
      store: store, rules: rules, desk: desk, customers: customers, logger: logger, dryRun: dryRun, now: { now })
  }

  func customer() -> String { "c-\(UUID().uuidString.prefix(12).lowercased())@customers.example.test" }

  @Test("answers each customer once, skips the auto-reply, and a second pass does nothing")
  func answersOnce() async throws {
    let (first, second, robot) = (customer(), customer(), customer())
    let ids = [uniqueMessageID(), uniqueMessageID(), uniqueMessageID()]
    let folder = try await mailbox(
      with: [
        customerMail(
          from: first, to: botAccount, subject: "Błąd 1045", body: "Program pokazuje błąd.", messageID: ids[0]),
        customerMail(
          from: second, to: botAccount, subject: "Klucz licencyjny", body: "Proszę o klucz.", messageID: ids[1]),
        customerMail(
          from: robot, to: botAccount, subject: "Nieobecność", body: "Jestem na urlopie.", messageID: ids[2],
          extraHeaders: ["Auto-Submitted: auto-replied"]),
      ], ids: ids)
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let log = InMemoryLogHandler()
    let engine = try engine(
      folder: folder, store: store, rules: try errorRules(), logger: Logger(label: "test") { _ in log })

    let summary = try await engine.runOnce()
    // One line per mail, saying to whom and what happened and why.
    let perMail = log.entries.filter { $0.metadata["uid"] != nil }
    #expect(perMail.count == 3)
    // Postfix may deliver the two in either order.
    let repliedTo = perMail.filter { $0.message == "replied" }.compactMap { $0.metadata["from"]?.description }
    #expect(Set(repliedTo) == [first, second])
    #expect(perMail.contains { $0.message == "no reply" && $0.metadata["reason"] == "auto-submitted" })
    #expect(summary.newMails == 3)
    #expect(summary.replied == 2)
    #expect(summary.skipped == 1)
    for id in ids.prefix(2) {
      let replies = try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: id)
      #expect(replies.count == 1)
    }
    #expect(try await store.counts() == [.sent: 2, .skipped: 1])
    // What the rules made of each mail is logged and recorded.
    #expect(perMail.first { $0.metadata["from"]?.description == first }?.metadata["category"] == "errors")
    #expect(perMail.first { $0.metadata["from"]?.description == second }?.metadata["coverage"] == "unclassified")
    let sent = try await store.records(withStatus: .sent)
    #expect(Set(sent.map { $0.category ?? "-" }) == ["errors", "-"])
    #expect(Set(sent.map { $0.coverage ?? "-" }) == ["covered", "unclassified"])

    let again = try await engine.runOnce()
    #expect(again.newMails == 0 && again.replied == 0)

    // Staff see what happened: keywords on the originals, which stay unread.
    let client = try stack.imap(botAccount)
    let validity = try #require(try await client.status(of: folder).uidValidity)
    let flags = try await client.metadata(
      in: folder, uidValidity: validity, uids: try await client.uids(in: folder, uidValidity: validity, above: 0))
    #expect(flags.filter { $0.flags.contains(Keyword.replied) }.count == 2)
    #expect(flags.filter { $0.flags.contains(Keyword.skipped) }.count == 1)
    #expect(flags.allSatisfy { !$0.isSeen })
    // The auto-reply was not answered.
    try await Task.sleep(for: .seconds(1))
    #expect(
      try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: ids[2], timeout: .zero)
        .isEmpty)
  }

  @Test("on the first start, read mail and mail older than the window are left alone")
  func firstStartWindow() async throws {
    let ids = [uniqueMessageID(), uniqueMessageID()]
    let folder = try await mailbox(
      with: [
        customerMail(from: customer(), to: botAccount, subject: "Stare", body: "Przeczytane już.", messageID: ids[0]),
        customerMail(from: customer(), to: botAccount, subject: "Nowe", body: "Nieprzeczytane.", messageID: ids[1]),
      ], ids: ids)
    let client = try stack.imap(botAccount)
    let validity = try #require(try await client.status(of: folder).uidValidity)
    let read = try await client.uids(in: folder, uidValidity: validity, header: "Message-ID", contains: ids[0])
    try await client.store(in: folder, uidValidity: validity, uids: read, flags: ["\\Seen"], add: true)

    // Two days later, with the default 24-hour window: nothing is recent enough.
    let later = try engine(
      folder: folder, store: try SQLiteStateStore(path: temporaryStatePath()), now: Date().addingTimeInterval(48 * 3600)
    )
    let old = try await later.runOnce()
    #expect(old.history == 2 && old.replied == 0)

    // Now: the unread one is answered, the read one is history.
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let summary = try await engine(folder: folder, store: store).runOnce()
    #expect(summary.history == 1)
    #expect(summary.replied == 1)
    #expect(try await store.counts() == [.history: 1, .sent: 1])
  }

  @Test("settled mails are moved to their outcome's folder (created when missing, Polish names too), once")
  func filing() async throws {
    let ids = [uniqueMessageID(), uniqueMessageID(), uniqueMessageID()]
    let folder = try await mailbox(
      with: [
        customerMail(from: customer(), to: botAccount, subject: "Błąd", body: "Błąd 1045.", messageID: ids[0]),
        customerMail(from: customer(), to: botAccount, subject: "Pytanie", body: "Jak to zrobić?", messageID: ids[1]),
        customerMail(
          from: customer(), to: botAccount, subject: "Nieobecność", body: "Jestem na urlopie.", messageID: ids[2],
          extraHeaders: ["Auto-Submitted: auto-replied"]),
      ], ids: ids)
    let covered = "\(folder)-Obsłużone"
    let robots = "\(folder)-Automaty"
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let engine = try engine(
      folder: folder, store: store, rules: try errorRules(),
      folders: FilingFolders(covered: covered, skipped: robots))
    let summary = try await engine.runOnce()
    #expect(summary.replied == 2 && summary.skipped == 1)
    #expect(summary.filed == 2)

    // The unclassified question stays for staff in the mailbox; the others moved, keywords with them.
    let client = try stack.imap(botAccount)
    for (name, id, keyword) in [
      (covered, ids[0], Keyword.replied), (robots, ids[2], Keyword.skipped), (folder, ids[1], Keyword.replied),
    ] {
      let validity = try #require(try await client.status(of: name).uidValidity)
      let uids = try await client.uids(in: name, uidValidity: validity, above: 0)
      #expect(uids.count == 1, "\(name)")
      #expect(try await client.uids(in: name, uidValidity: validity, header: "Message-ID", contains: id) == uids)
      let flags = try await client.metadata(in: name, uidValidity: validity, uids: uids)
      #expect(flags.first?.flags.contains(keyword) == true, "\(name): \(flags)")
      #expect(flags.first?.isSeen == false)
    }
    // Nothing is filed twice, nothing answered twice.
    let again = try await engine.runOnce()
    #expect(again.filed == 0 && again.replied == 0)
    #expect(
      try await store.unfiled(
        mailbox: folder, uidValidity: try #require(try await client.status(of: folder).uidValidity)
      ).isEmpty)
  }

  @Test(
    "a thank-you note (its category says reply: no) gets no reply, is recorded with the reason and filed as 'other'")
  func silentCategory() async throws {
    let ids = [uniqueMessageID(), uniqueMessageID()]
    let folder = try await mailbox(
      with: [
        customerMail(
          from: customer(), to: botAccount, subject: "Re: zgłoszenie", body: "Dziękuję, działa!", messageID: ids[0]),
        customerMail(from: customer(), to: botAccount, subject: "Błąd", body: "Błąd 1045.", messageID: ids[1]),
      ], ids: ids)
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let other = "\(folder)-Inne"
    let summary = try await engine(
      folder: folder, store: store, rules: try rulesWithSilentThanks(), folders: FilingFolders(other: other)
    ).runOnce()
    #expect(summary.replied == 1 && summary.skipped == 1, "\(summary)")
    let skipped = try #require(try await store.records(withStatus: .skipped).first)
    #expect(skipped.skipReason == .noReplyCategory && skipped.category == "thanks")
    let client = try stack.imap(botAccount)
    let validity = try #require(try await client.status(of: other).uidValidity)
    #expect(try await client.uids(in: other, uidValidity: validity, header: "Message-ID", contains: ids[0]).count == 1)
    try await Task.sleep(for: .seconds(1))  // give a wrong reply time to arrive
    #expect(
      try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: ids[0], timeout: .zero)
        .isEmpty)
    #expect(try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: ids[1]).count == 1)
  }

  /// A folder of klient@ that mail to `klient+FOLDER@example.test` is delivered
  /// into (Dovecot's detail mailboxes): a mailbox with an address of its own.
  func addressedFolder(_ prefix: String) async throws -> (folder: String, address: String) {
    let folder = "\(prefix)-\(UUID().uuidString.prefix(8))"
    try await stack.imap(botAccount).createMailbox(folder)
    return (folder, "klient+\(folder)@example.test")
  }

  /// The mails in `folder`, parsed.
  func messages(in folder: String) async throws -> [Message] {
    let client = try stack.imap(botAccount)
    let validity = try #require(try await client.status(of: folder).uidValidity)
    var messages: [Message] = []
    for uid in try await client.uids(in: folder, uidValidity: validity, above: 0) {
      messages.append(Message(parsing: try await client.fetchMessage(in: folder, uidValidity: validity, uid: uid)))
    }
    return messages
  }

  @Test("two bots on two mailboxes that write to each other exchange at most one reply each")
  func twoBots() async throws {
    let (folderA, addressA) = try await addressedFolder("BotA")
    let (folderB, addressB) = try await addressedFolder("BotB")
    // A person at each side writes to the other side's support address.
    let client = try stack.imap(botAccount)
    for (from, to, folder) in [(addressB, addressA, folderA), (addressA, addressB, folderB)] {
      let mail = customerMail(from: from, to: to, subject: "Błąd programu", body: "Błąd 1045 przy wydruku.")
      let (validity, uid) = try #require(try await client.append(mail, to: folder))
      try await client.store(in: folder, uidValidity: validity, uids: [uid], flags: ["\\Seen"], add: false)
    }
    let storeA = try SQLiteStateStore(path: temporaryStatePath())
    let storeB = try SQLiteStateStore(path: temporaryStatePath())
    let botA = try engine(folder: folderA, store: storeA, rules: try errorRules(), botAddress: addressA)
    let botB = try engine(folder: folderB, store: storeB, rules: try errorRules(), botAddress: addressB)
    for _ in 0..<4 {
      _ = try await botA.runOnce()
      _ = try await botB.runOnce()
      try await Task.sleep(for: .milliseconds(700))  // the replies travel through Postfix
    }
    for (folder, other) in [(folderA, addressB), (folderB, addressA)] {
      let mails = try await messages(in: folder)
      let fromOtherBot = mails.filter { $0.headers["Auto-Submitted"] != nil && $0.from?.address == other }
      #expect(fromOtherBot.count == 1, "\(folder): \(mails.map(\.subject))")
      #expect(mails.count == 2)
    }
    for store in [storeA, storeB] {
      #expect(try await store.counts() == [.sent: 1, .skipped: 1])
      #expect(try await store.records(withStatus: .skipped).first?.skipReason == .autoSubmitted)
    }
  }

  @Test("an autoresponder that ignores RFC 3834 (no Auto-Submitted, answers everything) gets one reply")
  func naiveRobot() async throws {
    let (folder, address) = try await addressedFolder("Naive")
    let robot = "robot-\(UUID().uuidString.prefix(8).lowercased())@customers.example.test"
    let client = try stack.imap(botAccount)
    let first = customerMail(from: robot, to: address, subject: "Błąd", body: "Błąd 1045.")
    let (validity, uid) = try #require(try await client.append(first, to: folder))
    try await client.store(in: folder, uidValidity: validity, uids: [uid], flags: ["\\Seen"], add: false)
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let bot = try engine(folder: folder, store: store, rules: try errorRules(), botAddress: address)
    var robotAnswered: Set<String> = []
    for round in 0..<4 {
      _ = try await bot.runOnce()
      // The robot answers every reply it got, as a plain mail from the same address.
      let replies = try await stack.waitForMessages(
        MailStack.catchall, header: "To", contains: robot, count: robotAnswered.count + 1, timeout: .seconds(3))
      for reply in replies.map({ Message(parsing: $0) }) {
        guard let id = reply.messageID, robotAnswered.insert(id).inserted else { continue }
        let answer = customerMail(
          from: robot, to: address, subject: "Re: \(reply.subject ?? "")", body: "Dziękujemy za wiadomość (\(round)).",
          extraHeaders: ["In-Reply-To: \(id)"])
        _ = try #require(try await client.append(answer, to: folder))
      }
    }
    #expect(robotAnswered.count == 1, "the bot answered the robot \(robotAnswered.count) times")
    #expect(try await store.counts()[.sent] == 1)
  }

  @Test("a mailbox recreated on the server (new UIDVALIDITY): nothing answered twice, with or without a Message-ID")
  func recreatedMailbox() async throws {
    let folder = "Engine-\(UUID().uuidString.prefix(8))"
    let withID = customerMail(from: customer(), to: botAccount, subject: "Błąd", body: "Błąd 1045.")
    // Some old ERP systems send no Message-ID at all.
    let withoutID = Array(
      String(decoding: customerMail(from: customer(), to: botAccount, subject: "Błąd", body: "Błąd 7."), as: UTF8.self)
        .components(separatedBy: "\r\n").filter { !$0.hasPrefix("Message-ID:") }.joined(separator: "\r\n").utf8)
    func fill() async throws -> UInt32 {
      let client = try stack.imap(botAccount)  // a new session: the old one saw the folder go
      try await client.createMailbox(folder)
      var validity: UInt32 = 0
      for mail in [withID, withoutID] {
        let (folderValidity, uid) = try #require(try await client.append(mail, to: folder))
        try await client.store(in: folder, uidValidity: folderValidity, uids: [uid], flags: ["\\Seen"], add: false)
        validity = folderValidity
      }
      return validity
    }
    let first = try await fill()
    let store = try SQLiteStateStore(path: temporaryStatePath())
    #expect(try await engine(folder: folder, store: store, rules: try errorRules()).runOnce().replied == 2)

    // The server loses its index: the folder comes back with the same mails under a new UIDVALIDITY.
    try await Task.sleep(for: .seconds(1.1))  // Dovecot derives UIDVALIDITY from the clock
    try ChildProcess.run(
      "/usr/bin/curl",
      [
        "-s", "--cacert", stack.caFile, "-u", "\(botAccount):\(stack.password)", "\(stack.imapsURL)/", "-X",
        "DELETE \(folder)",
      ])
    let second = try await fill()
    #expect(second != first)
    let again = try await engine(folder: folder, store: store, rules: try errorRules()).runOnce()
    #expect(again.newMails == 2)
    #expect(again.replied == 0)
    let skipped = try await store.records(withStatus: .skipped)
    #expect(skipped.count == 2 && skipped.allSatisfy { $0.skipReason == .duplicate && $0.uidValidity == second })
  }

  @Test("a mail the server cannot read fails three passes, then is recorded as failed; the mails behind it go ahead")
  func unreadableMail() async throws {
    let folder = "Engine-\(UUID().uuidString.prefix(8))"
    let client = try stack.imap(botAccount)
    try await client.createMailbox(folder)
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let engine = try engine(folder: folder, store: store, rules: try errorRules())
    _ = try await engine.runOnce()  // the first start is behind it: new mail is answered, read or not
    let poison = customerMail(from: customer(), to: botAccount, subject: "Błąd", body: "Błąd 1.")
    let (validity, first) = try #require(try await client.append(poison, to: folder))
    // Its file on the server becomes unreadable: Dovecot answers the FETCH with "BYE FETCH failed: Internal error".
    let files = "\(try #require(stack.directory))/mail/example.test/klient/Maildir/.\(folder)/cur"
    for file in try FileManager.default.contentsOfDirectory(atPath: files) { chmod("\(files)/\(file)", 0) }
    let good = customerMail(from: customer(), to: botAccount, subject: "Błąd", body: "Błąd 2.")
    let (_, second) = try #require(try await client.append(good, to: folder))
    for _ in 0..<2 {
      await #expect(throws: IMAPError.self) { try await engine.runOnce() }
    }
    let third = try await engine.runOnce()
    #expect(third.failed == 1 && third.replied == 1, "\(third)")
    let failed = try #require(try await store.record(mailbox: folder, uidValidity: validity, uid: first))
    #expect(failed.status == .failed)
    #expect(failed.lastError?.contains("could not be handled in 3 attempts") == true)
    #expect(try await store.record(mailbox: folder, uidValidity: validity, uid: second)?.status == .sent)
  }

  @Test("a mail the bot died on three times is recorded as failed on the next start; the mails behind it go ahead")
  func mailThatStopsTheBot() async throws {
    let folder = "Engine-\(UUID().uuidString.prefix(8))"
    let client = try stack.imap(botAccount)
    try await client.createMailbox(folder)
    let store = try SQLiteStateStore(path: temporaryStatePath())
    _ = try await engine(folder: folder, store: store).runOnce()  // the first start is behind it
    let (validity, first) = try #require(
      try await client.append(customerMail(from: customer(), to: botAccount, subject: "Błąd", body: "1."), to: folder))
    let (_, second) = try #require(
      try await client.append(customerMail(from: customer(), to: botAccount, subject: "Błąd", body: "2."), to: folder))
    // Three starts that each began the first mail and never came back (killed, out of memory…).
    for _ in 0..<3 { _ = try await store.beginAttempt(mailbox: folder, uidValidity: validity, uid: first) }
    let summary = try await engine(folder: folder, store: store).runOnce()
    #expect(summary.failed == 1 && summary.replied == 1, "\(summary)")
    let failed = try #require(try await store.record(mailbox: folder, uidValidity: validity, uid: first))
    #expect(failed.status == .failed)
    #expect(failed.lastError?.contains("started 3 times without finishing") == true)
    #expect(try await store.record(mailbox: folder, uidValidity: validity, uid: second)?.status == .sent)
    let flags = try await client.metadata(in: folder, uidValidity: validity, uids: [first]).first?.flags ?? []
    #expect(flags.contains(Keyword.failed))
  }

  @Test("a brand-new, empty mailbox: the first passes find nothing and fail nothing, the first mail is answered")
  func emptyMailbox() async throws {
    let folder = try await mailbox(with: [], ids: [])
    let store = try SQLiteStateStore(path: temporaryStatePath())
    for _ in 0..<2 { #expect(try await engine(folder: folder, store: store).runOnce().newMails == 0) }
    let id = uniqueMessageID()
    let mail = customerMail(from: customer(), to: botAccount, subject: "Błąd", body: "Błąd 1045.", messageID: id)
    let client = try stack.imap(botAccount)
    _ = try #require(try await client.append(mail, to: folder))
    #expect(try await engine(folder: folder, store: store).runOnce().replied == 1)
  }

  @Test("a dry run decides but sends, records and flags nothing")
  func dryRun() async throws {
    let id = uniqueMessageID()
    let folder = try await mailbox(
      with: [customerMail(from: customer(), to: botAccount, subject: "Próba", body: "Test.", messageID: id)], ids: [id])
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let summary = try await engine(folder: folder, store: store, dryRun: true).runOnce()
    #expect(summary.replied == 1)
    #expect(try await store.counts().isEmpty)
    #expect(try await store.cursor(for: folder) == nil)
    let client = try stack.imap(botAccount)
    let validity = try #require(try await client.status(of: folder).uidValidity)
    let flags = try await client.metadata(
      in: folder, uidValidity: validity, uids: try await client.uids(in: folder, uidValidity: validity, above: 0))
    #expect(flags.allSatisfy { $0.flags.isEmpty })

    // The real run afterwards still answers it.
    #expect(try await engine(folder: folder, store: store).runOnce().replied == 1)
  }

  @Test("SMTP unreachable: the reply is deferred, kept, and sent on a later pass")
  func deferredWhenSMTPDown() async throws {
    let id = uniqueMessageID()
    let folder = try await mailbox(
      with: [
        customerMail(from: customer(), to: botAccount, subject: "Pilne", body: "Proszę o kontakt.", messageID: id)
      ], ids: [id])
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let start = Date()
    // Port 9 (discard) is closed on loopback: the connection is refused.
    let down = try await engine(folder: folder, store: store, smtpURL: "smtp://127.0.0.1:9", now: start).runOnce()
    #expect(down.deferred == 1 && down.replied == 0)
    let pending = try await store.records(withStatus: .retry)
    #expect(pending.count == 1)
    #expect(pending.first?.lastError?.contains("127.0.0.1:9") == true)

    // Before the retry time nothing happens; after it, the same reply goes out once.
    #expect(try await engine(folder: folder, store: store, now: start).runOnce().retried == 0)
    let back = try await engine(folder: folder, store: store, now: start.addingTimeInterval(3600)).runOnce()
    #expect(back.retried == 1 && back.replied == 1)
    let replies = try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: id)
    #expect(replies.count == 1)
    #expect(try await store.counts() == [.sent: 1])
  }

  /// A fresh folder holding `mails`, unread, put there with APPEND (faster
  /// than SMTP for hundreds of mails).
  func appendedMailbox(_ mails: [[UInt8]]) async throws -> String {
    let folder = "Engine-\(UUID().uuidString.prefix(8))"
    let client = try stack.imap(botAccount)
    try await client.createMailbox(folder)
    var uids: [UInt32] = []
    var validity: UInt32 = 0
    for mail in mails {
      let appended = try #require(try await client.append(mail, to: folder))
      (validity, uids) = (appended.uidValidity, uids + [appended.uid])
    }
    // libcurl's APPEND marks mail read; new mail is unread.
    try await client.store(in: folder, uidValidity: validity, uids: uids, flags: ["\\Seen"], add: false)
    return folder
  }

  @Test("50 mails from one sender within a minute get one reply; the others are left for staff, with the reason")
  func senderLimit() async throws {
    let sender = customer()
    let folder = try await appendedMailbox(
      (0..<50).map { customerMail(from: sender, to: botAccount, subject: "Pytanie \($0)", body: "Treść \($0).") })
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let summary = try await engine(folder: folder, store: store).runOnce()
    #expect(summary.replied == 1 && summary.skipped == 49)
    #expect(try await store.records(withStatus: .skipped).allSatisfy { $0.skipReason == .rateLimited })
    try await Task.sleep(for: .seconds(1))
    #expect(
      try await stack.waitForMessages(
        MailStack.catchall, header: "To", contains: sender, count: 2, timeout: .seconds(2)
      )
      .count == 1)
  }

  @Test("500 forged senders in an hour get no more replies than the hourly cap; the next hour answers again")
  func hourlyCap() async throws {
    let tag = "flood-\(UUID().uuidString.prefix(8).lowercased())"
    let folder = try await appendedMailbox(
      (0..<500).map {
        customerMail(from: "\(tag)-\($0)@customers.example.test", to: botAccount, subject: "Faktura", body: "Zapłać.")
      })
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let limits = RateLimits(senderWindow: 3600, hourlyCap: 20)
    let start = Date()
    let flood = try await engine(folder: folder, store: store, now: start, rateLimits: limits).runOnce()
    #expect(flood.replied == 20 && flood.skipped == 480)
    #expect(try await store.records(withStatus: .skipped).allSatisfy { $0.skipReason == .hourlyCap })
    #expect(
      try await stack.waitForMessages(MailStack.catchall, header: "To", contains: tag, count: 20).count == 20)

    let client = try stack.imap(botAccount)
    try await client.append(
      customerMail(from: "\(tag)-later@customers.example.test", to: botAccount, subject: "Później", body: "x"),
      to: folder)
    let validity = try #require(try await client.status(of: folder).uidValidity)
    try await client.store(in: folder, uidValidity: validity, uids: [501], flags: ["\\Seen"], add: false)
    let later = try await engine(folder: folder, store: store, now: start.addingTimeInterval(3601), rateLimits: limits)
      .runOnce()
    #expect(later.replied == 1)
  }

  /// A mail whose reply was stopped mid-hand-over: its record is `sending`
  /// with the exact reply bytes, `minutesAgo` old. With `reachedServer`, the
  /// server had accepted it (and filed its copy in Sent) before the stop.
  func interruptedReply(
    reachedServer: Bool, minutesAgo: Double
  ) async throws -> (
    folder: String, store: SQLiteStateStore, id: String, start: Date
  ) {
    let id = uniqueMessageID()
    let folder = try await mailbox(
      with: [customerMail(from: customer(), to: botAccount, subject: "Awaria", body: "Nie działa.", messageID: id)],
      ids: [id])
    let store = try SQLiteStateStore(path: temporaryStatePath())
    let start = Date()
    if reachedServer {
      _ = try await engine(folder: folder, store: store, now: start, sentCopy: .server).runOnce()
      _ = try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: id)
      var record = try #require(try await store.records(withStatus: .sent).first)
      record.status = .sending  // the stop came after the server's 250, before the commit
      record.updatedAt = start.addingTimeInterval(-minutesAgo * 60)
      try await store.save(record, advancing: nil)
    } else {
      _ = try await engine(folder: folder, store: store, smtpURL: "smtp://127.0.0.1:9", now: start).runOnce()
      var record = try #require(try await store.records(withStatus: .retry).first)
      record.status = .sending  // the stop came before the server took the reply
      record.updatedAt = start.addingTimeInterval(-minutesAgo * 60)
      try await store.save(record, advancing: nil)
    }
    return (folder, store, id, start)
  }

  @Test(
    "a reply interrupted by a stop: found in Sent it counts as sent, absent after the grace time it goes out, once",
    arguments: [(true, 0.0), (false, 5.0)])
  func interruptedWithServerCopies(reachedServer: Bool, minutesAgo: Double) async throws {
    let (folder, store, id, start) = try await interruptedReply(reachedServer: reachedServer, minutesAgo: minutesAgo)
    let summary = try await engine(folder: folder, store: store, now: start, sentCopy: .server).runOnce()
    #expect(summary.recovered == (reachedServer ? 1 : 0))
    #expect(summary.replied == (reachedServer ? 0 : 1))
    #expect(try await store.counts() == [.sent: 1])
    try await Task.sleep(for: .seconds(1))  // give a wrong second reply time to arrive
    #expect(try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: id).count == 1)
  }

  @Test("a re-sent reply whose hand-over is interrupted again waits for its copy instead of going out a third time")
  func interruptedResendWaits() async throws {
    let (folder, store, id, start) = try await interruptedReply(reachedServer: false, minutesAgo: 5)
    // The re-send reaches the server, then the bot stops before it records the outcome.
    let stopping = StopsAfterSMTP(inner: store)
    await #expect(throws: StopsAfterSMTP.Stopped.self) {
      try await engine(folder: folder, store: stopping, now: start, sentCopy: .server).runOnce()
    }
    // The store knows the reply was handed over again just now, not five minutes ago.
    let record = try #require(try await store.records(withStatus: .sending).first)
    #expect(abs(record.updatedAt.timeIntervalSince(start)) < 1, "handed over at \(record.updatedAt), pass at \(start)")
    // Moments later (the server's copy may not be in Sent yet): no second reply.
    let next = try await engine(folder: folder, store: store, now: start.addingTimeInterval(1), sentCopy: .server)
      .runOnce()
    #expect(next.replied == 0)
    _ = try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: id)
    try await Task.sleep(for: .seconds(1))  // give a wrong second reply time to arrive
    #expect(try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: id).count == 1)
  }

  @Test("a reply interrupted moments ago and not yet in Sent waits: the server's copy may still be on its way")
  func interruptedWaits() async throws {
    let (folder, store, id, start) = try await interruptedReply(reachedServer: false, minutesAgo: 0)
    let summary = try await engine(folder: folder, store: store, now: start, sentCopy: .server).runOnce()
    #expect(summary.replied == 0 && summary.recovered == 0)
    #expect(try await store.counts() == [.sending: 1])
    #expect(
      try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: id, timeout: .seconds(1))
        .isEmpty)
  }

  @Test("when the bot files the copies itself, an interrupted reply is never re-sent but marked for staff")
  func interruptedUnknown() async throws {
    let (folder, store, id, start) = try await interruptedReply(reachedServer: false, minutesAgo: 10)
    let summary = try await engine(folder: folder, store: store, now: start, sentCopy: .bot).runOnce()
    #expect(summary.replied == 0 && summary.failed == 1)
    let record = try #require(try await store.records(withStatus: .failed).first)
    #expect(record.lastError?.contains("unknown") == true)
    let client = try stack.imap(botAccount)
    let validity = try #require(try await client.status(of: folder).uidValidity)
    let flags = try await client.metadata(in: folder, uidValidity: validity, uids: [record.uid]).first?.flags ?? []
    #expect(flags.contains(Keyword.failed))
    #expect(
      try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: id, timeout: .seconds(1))
        .isEmpty)
  }

  @Test("a reply opens a ticket with its number in the subject; an answer to it joins the ticket, unanswered")
  func tickets() async throws {
    let customer = customer()
    let customersFile = FileManager.default.temporaryDirectory.appendingPathComponent(
      "customers-\(UUID().uuidString).csv")
    try """
    id,company,contacts,license_keys,seats,updated,contract_until,language
    K-1,Hurtownia Testowa,\(customer),,3,2026-06-01,,pl
    """.write(to: customersFile, atomically: true, encoding: .utf8)
    let desk = Reloadable<DeskSetup>(rulesDirectory: shippedRules)
    let customers = Reloadable<CustomerDirectory>(customersPath: customersFile.path) { .default }
    let store = try SQLiteStateStore(path: temporaryStatePath())

    let first = uniqueMessageID()
    let folder = try await mailbox(
      with: [
        customerMail(
          from: customer, to: botAccount, subject: "Błąd 1045", body: "Program pokazuje błąd.", messageID: first)
      ],
      ids: [first])
    let pass = try await engine(folder: folder, store: store, rules: try errorRules(), desk: desk, customers: customers)
      .runOnce()
    #expect(pass.replied == 1)
    let reply = Message(
      parsing: try #require(
        try await stack.waitForMessages(MailStack.catchall, header: "In-Reply-To", contains: first).first))
    let subject = try #require(reply.subject)
    let ticket = try #require(Desk.ticketTags(in: subject, prefix: "PWSK").first)
    #expect(subject == "Re: Błąd 1045 [\(ticket)]")
    #expect(reply.text.contains("Hurtownia Testowa"))
    #expect(reply.text.contains("Zgłoszenie otrzymało numer \(ticket)"))
    let sent = try #require(try await store.records(withStatus: .sent).first)
    #expect(sent.ticket == ticket)
    #expect(sent.plan == "basic")
    #expect(sent.template == "covered")

    // The customer answers the reply: attached to the ticket, no second auto-reply.
    let answer = uniqueMessageID()
    let client = try stack.imap(botAccount)
    try await stack.inject(
      customerMail(
        from: customer, to: botAccount, subject: "Re: \(subject)", body: "Dodaję zrzut ekranu.", messageID: answer,
        extraHeaders: ["In-Reply-To: \(try #require(reply.messageID))"]),
      from: customer, to: [botAccount])
    _ = try await stack.waitForMessages(botAccount, header: "Message-ID", contains: answer)
    let validity = try #require(try await client.status(of: "INBOX").uidValidity)
    try await client.move(
      from: "INBOX", uidValidity: validity,
      uids: try await client.uids(in: "INBOX", uidValidity: validity, header: "Message-ID", contains: answer),
      to: folder)
    let second = try await engine(
      folder: folder, store: store, rules: try errorRules(), desk: desk, customers: customers
    )
    .runOnce()
    #expect(second.newMails == 1 && second.replied == 0 && second.skipped == 1)
    let skipped = try #require(try await store.records(withStatus: .skipped).first)
    #expect(skipped.skipReason == .followUp)
    #expect(skipped.ticket == ticket)
  }
}

/// A state store that stops the bot (throws) when it is about to record a
/// reply as sent: the server has the reply, the store never hears of it, as
/// after a SIGKILL between the SMTP answer and the commit.
struct StopsAfterSMTP: StateStore {
  struct Stopped: Error {}
  let inner: any StateStore

  func save(_ record: MailRecord, advancing cursor: MailboxCursor?) async throws {
    if record.status == .sent { throw Stopped() }
    try await inner.save(record, advancing: cursor)
  }

  func beginAttempt(mailbox: String, uidValidity: UInt32, uid: UInt32) async throws -> Int {
    try await inner.beginAttempt(mailbox: mailbox, uidValidity: uidValidity, uid: uid)
  }
  func cursor(for mailbox: String) async throws -> MailboxCursor? { try await inner.cursor(for: mailbox) }
  func record(mailbox: String, uidValidity: UInt32, uid: UInt32) async throws -> MailRecord? {
    try await inner.record(mailbox: mailbox, uidValidity: uidValidity, uid: uid)
  }
  func hasReplied(toMessageID messageID: String) async throws -> Bool {
    try await inner.hasReplied(toMessageID: messageID)
  }
  func hasReplied(toContentHash hash: String) async throws -> Bool { try await inner.hasReplied(toContentHash: hash) }
  func save(cursor: MailboxCursor) async throws { try await inner.save(cursor: cursor) }
  func records(withStatus status: MailStatus) async throws -> [MailRecord] {
    try await inner.records(withStatus: status)
  }
  func counts() async throws -> [MailStatus: Int] { try await inner.counts() }
  func replyCount(since moment: Date, to recipient: String?) async throws -> Int {
    try await inner.replyCount(since: moment, to: recipient)
  }
  func ticket(
    for identity: String, messageID: String?, prefix: String, year: Int, customer: String?, at moment: Date
  ) async throws -> String {
    try await inner.ticket(
      for: identity, messageID: messageID, prefix: prefix, year: year, customer: customer, at: moment)
  }
  func existingTicket(messageIDs: [String], ids: [String]) async throws -> String? {
    try await inner.existingTicket(messageIDs: messageIDs, ids: ids)
  }
  func link(messageIDs: [String], to ticket: String) async throws {
    try await inner.link(messageIDs: messageIDs, to: ticket)
  }
  func unfiled(mailbox: String, uidValidity: UInt32) async throws -> [MailRecord] {
    try await inner.unfiled(mailbox: mailbox, uidValidity: uidValidity)
  }
  func markFiled(mailbox: String, uidValidity: UInt32, uids: [UInt32], in folder: String?) async throws {
    try await inner.markFiled(mailbox: mailbox, uidValidity: uidValidity, uids: uids, in: folder)
  }
}
