import Foundation
import MailMessage
import Triage

/// The one place that says whether the bot answers a mail, and if not, why,
/// in the order the reasons are checked. Pure: the shell (the engine, or the
/// offline commands) gathers the facts as plain values, `decide` looks at them.
///
/// The order, and what each step needs:
///
/// | step | looks at | outcome |
/// |---|---|---|
/// | 1. first start | first time on this mailbox, the mail read already or older than the window | `.history` |
/// | 2. handled before | the state store has a record of this mail (the cursor had not moved yet) | `.alreadyHandled` |
/// | 2a. flagged before | no record, but the mail carries a keyword of the bot (`$SupportbotReplied`…): a new or moved state file | `.history` |
/// | 3. attempts | handling started more often than `attemptsPerMail` without finishing | `.giveUp` |
/// | 4. read it | nothing above: the mail itself is needed now | `.needs(.content)` |
/// | 5. vanished | the mail was expunged before it could be read | `.skip(.vanished)` |
/// | 6. loop guard | RFC 3834: auto-replies, bounces, lists, our own mail, robots (`LoopGuard`) | `.skip(…)` |
/// | 7. duplicate | a mail with this Message-ID (or these bytes, without one) was answered | `.skip(.duplicate)` |
/// | 8. follow-up | a further mail in a thread that has a ticket | `.skip(.followUp)` |
/// | 9. category | its category says `reply: no` | `.skip(.noReplyCategory)` |
/// | 10. rate limits | replies to this sender in the window, to anyone in the last hour (`RateLimits`) | `.skip(…)` |
/// | 11. | none of the above | `.reply` |
public struct Gate: Sendable {
  public var loopGuard: LoopGuard
  public var rateLimits: RateLimits
  /// On a first start, unread mail younger than this is answered; the rest is history.
  public var firstStartWindow: TimeInterval
  /// How often handling one mail may start before it is given up.
  public var attemptsPerMail: Int
  /// Categories whose mail gets no automatic reply (`reply: no`).
  public var silentCategories: Set<String>

  public init(
    loopGuard: LoopGuard, rateLimits: RateLimits = .init(), firstStartWindow: TimeInterval = 24 * 3600,
    attemptsPerMail: Int = 3, silentCategories: Set<String> = []
  ) {
    self.loopGuard = loopGuard
    self.rateLimits = rateLimits
    self.firstStartWindow = firstStartWindow
    self.attemptsPerMail = attemptsPerMail
    self.silentCategories = silentCategories
  }

  /// The gate for the bot at `ownAddresses`, with the reply switches of the categories in `rules`.
  public init(
    ownAddresses: [String], rules: RuleSet?, rateLimits: RateLimits = .init(),
    firstStartWindow: TimeInterval = 24 * 3600, attemptsPerMail: Int = 3
  ) {
    self.init(
      loopGuard: LoopGuard(ownAddresses: ownAddresses), rateLimits: rateLimits, firstStartWindow: firstStartWindow,
      attemptsPerMail: attemptsPerMail, silentCategories: rules?.silentCategories ?? [])
  }

  /// What to do with a mail, given what is known about it (see the table
  /// above), or which fact the next step needs: `.needs(…)` asks the shell to
  /// find it out and ask again, so the shell looks up nothing the decision
  /// does not need (a history mail is never counted, an auto-reply never
  /// looked up in the state store).
  public func decide(_ facts: MailFacts) -> Decision {
    if facts.isFirstStart,
      facts.isSeen || (facts.arrivedAt ?? .distantPast) < facts.now.addingTimeInterval(-firstStartWindow)
    {
      return .history
    }
    guard let isRecorded = facts.isRecorded else { return .needs(.isRecorded) }
    if isRecorded { return .alreadyHandled }
    // The mailbox remembers what a state file forgot: never answer a mail the bot flagged.
    if facts.isFlaggedByBot { return .history }
    guard let attempt = facts.attempt else { return .needs(.attempt) }
    if attempt > attemptsPerMail { return .giveUp(unfinishedAttempts: attempt - 1) }
    let message: Message
    let category: String?
    switch facts.content {
    case .notRead: return .needs(.content)
    case .vanished: return .skip(.vanished)
    case .read(let read, let readCategory): (message, category) = (read, readCategory)
    }
    if let reason = loopGuard.reasonToSkip(message) { return .skip(reason) }
    guard let answeredBefore = facts.answeredBefore else { return .needs(.answeredBefore) }
    if answeredBefore { return .skip(.duplicate) }
    guard let thread = facts.thread else { return .needs(.thread) }
    if case .ticket = thread { return .skip(.followUp) }
    if let reason = categorySkip(category) { return .skip(reason) }
    guard let replies = facts.replies else { return .needs(.replies) }
    if let reason = rateLimits.reasonToSkip(toSender: replies.toSender, lastHour: replies.lastHour) {
      return .skip(reason)
    }
    return .reply
  }

  /// Why a mail of this category gets no reply, if its category says so (`reply: no`).
  public func categorySkip(_ category: String?) -> SkipReason? {
    category.map(silentCategories.contains) == true ? .noReplyCategory : nil
  }

  /// Whether a mail whose handling failed in attempt number `attempt` is given up
  /// (recorded as failed, so that the mails behind it go ahead).
  public func givesUp(afterFailedAttempt attempt: Int) -> Bool { attempt >= attemptsPerMail }
}

/// What the gate says about a mail.
public enum Decision: Sendable, Equatable {
  /// First start on the mailbox, and the mail read already or older than the window: left alone.
  case history
  /// The state store already has its record: nothing to do.
  case alreadyHandled
  /// Handling it started this many times without finishing: recorded as failed, for staff.
  case giveUp(unfinishedAttempts: Int)
  /// No reply, for this reason.
  case skip(SkipReason)
  /// Answer it.
  case reply
  /// Nothing against it so far; find out this fact and ask again.
  case needs(MailFacts.Question)

  /// The reason of a `.skip`, else nil.
  public var skipReason: SkipReason? {
    if case .skip(let reason) = self { return reason }
    return nil
  }
}

/// What is known about one mail when the gate decides. The shell fills in
/// what the gate asks for (`Decision.needs`); nil means "not found out yet".
public struct MailFacts: Sendable {
  /// The facts the gate may ask for, in the order it asks.
  public enum Question: Sendable, Equatable {
    /// Whether the state store has a record of this mail.
    case isRecorded
    /// Which start of its handling this is (counted in the state store, this one included).
    case attempt
    /// The mail itself: read it.
    case content
    /// Whether a mail with its Message-ID (without one: with its exact bytes) already got a reply.
    case answeredBefore
    /// Whether it continues a thread that has a ticket.
    case thread
    /// How many replies went to its sender within the sender window, and to anyone in the last hour.
    case replies
  }

  /// The mail as far as it has been read.
  public enum Content: Sendable {
    case notRead
    /// It was expunged before it could be read.
    case vanished
    /// The message and its category (nil: unclassified).
    case read(Message, category: String?)
  }

  /// The thread a mail belongs to.
  public enum Thread: Sendable, Equatable {
    /// No ticket: a new request.
    case new
    /// A further mail in the thread of this ticket.
    case ticket(String)
  }

  /// Replies the bot decided to send recently.
  public struct Replies: Sendable, Equatable {
    /// To this mail's sender, within the sender window of `RateLimits`.
    public var toSender: Int
    /// To anyone, within the last hour.
    public var lastHour: Int

    public init(toSender: Int, lastHour: Int) {
      self.toSender = toSender
      self.lastHour = lastHour
    }
  }

  /// The moment of the decision.
  public var now: Date
  /// The bot sees this mailbox for the first time (no cursor, or a new UIDVALIDITY).
  public var isFirstStart: Bool
  /// Someone has read the mail already (`\Seen`).
  public var isSeen: Bool
  /// When the server received it (INTERNALDATE).
  public var arrivedAt: Date?
  /// It carries a keyword the bot sets on handled mail (`$SupportbotReplied`,
  /// `…Skipped`, `…Failed`): some run of the bot settled it already.
  public var isFlaggedByBot: Bool
  public var isRecorded: Bool?
  public var attempt: Int?
  public var content: Content
  public var answeredBefore: Bool?
  public var thread: Thread?
  public var replies: Replies?

  public init(
    now: Date, isFirstStart: Bool = false, isSeen: Bool = false, arrivedAt: Date? = nil, isFlaggedByBot: Bool = false,
    isRecorded: Bool? = nil, attempt: Int? = nil, content: Content = .notRead, answeredBefore: Bool? = nil,
    thread: Thread? = nil, replies: Replies? = nil
  ) {
    self.now = now
    self.isFirstStart = isFirstStart
    self.isSeen = isSeen
    self.arrivedAt = arrivedAt
    self.isFlaggedByBot = isFlaggedByBot
    self.isRecorded = isRecorded
    self.attempt = attempt
    self.content = content
    self.answeredBefore = answeredBefore
    self.thread = thread
    self.replies = replies
  }

  /// A mail on its own, as the offline commands see it: in no mailbox, never
  /// tried, nothing like it in a state store.
  public static func alone(_ message: Message, category: String?, now: Date) -> MailFacts {
    MailFacts(
      now: now, isRecorded: false, attempt: 1, content: .read(message, category: category), answeredBefore: false,
      thread: .new, replies: Replies(toSender: 0, lastHour: 0))
  }
}
