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
/// | 3. attempts | handling started more often than `attemptsPerMail` without finishing | `.giveUp` |
/// | 4. read it | nothing above, and the mail not read yet | `.read` (read it, ask again) |
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

  /// What to do with a mail, given what is known about it (see the table above).
  public func decide(_ facts: MailFacts) -> Decision {
    let arrival = facts.arrival
    if arrival.isFirstStart,
      arrival.isSeen || (arrival.arrivedAt ?? .distantPast) < facts.now.addingTimeInterval(-firstStartWindow)
    {
      return .history
    }
    if arrival.isRecorded { return .alreadyHandled }
    if arrival.attempt > attemptsPerMail { return .giveUp(unfinishedAttempts: arrival.attempt - 1) }
    switch facts.content {
    case .notRead: return .read
    case .vanished: return .skip(.vanished)
    case .read(let mail):
      if let reason = loopGuard.reasonToSkip(mail.message) { return .skip(reason) }
      if mail.answeredBefore { return .skip(.duplicate) }
      if mail.ticket != nil { return .skip(.followUp) }
      if let reason = categorySkip(mail.category) { return .skip(reason) }
      if let reason = rateLimits.reasonToSkip(toSender: mail.repliesToSender, lastHour: mail.repliesLastHour) {
        return .skip(reason)
      }
      return .reply
    }
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
  /// Nothing against it so far: read the mail and ask again.
  case read
  /// No reply, for this reason.
  case skip(SkipReason)
  /// Answer it.
  case reply

  /// The reason of a `.skip`, else nil.
  public var skipReason: SkipReason? {
    if case .skip(let reason) = self { return reason }
    return nil
  }
}

/// The facts about one mail that the gate decides on, gathered by the shell.
public struct MailFacts: Sendable {
  /// What the mailbox listing and the state store say before the mail is read.
  public struct Arrival: Sendable, Equatable {
    /// The bot sees this mailbox for the first time (no cursor, or a new UIDVALIDITY).
    public var isFirstStart: Bool
    /// Someone has read the mail already (`\Seen`).
    public var isSeen: Bool
    /// When the server received it (INTERNALDATE).
    public var arrivedAt: Date?
    /// The state store has a record of this mail.
    public var isRecorded: Bool
    /// Which start of its handling this is, counted in the state store: 1 the first time.
    public var attempt: Int

    public init(isFirstStart: Bool, isSeen: Bool, arrivedAt: Date?, isRecorded: Bool, attempt: Int) {
      self.isFirstStart = isFirstStart
      self.isSeen = isSeen
      self.arrivedAt = arrivedAt
      self.isRecorded = isRecorded
      self.attempt = attempt
    }

    /// A mail seen on its own, outside any mailbox (the offline commands): never history, never tried before.
    public static let alone = Arrival(isFirstStart: false, isSeen: false, arrivedAt: nil, isRecorded: false, attempt: 1)
  }

  /// The mail as read, with what the state store knows about its like.
  public struct Mail: Sendable {
    public var message: Message
    /// Its category (nil: unclassified).
    public var category: String?
    /// A mail with its Message-ID (without one: with its exact bytes) already got a reply.
    public var answeredBefore: Bool
    /// The ticket of the thread it continues, if that thread has one.
    public var ticket: String?
    /// Replies to its sender within the sender window of `RateLimits`.
    public var repliesToSender: Int
    /// Replies to anyone within the last hour.
    public var repliesLastHour: Int

    public init(
      message: Message, category: String?, answeredBefore: Bool = false, ticket: String? = nil,
      repliesToSender: Int = 0, repliesLastHour: Int = 0
    ) {
      self.message = message
      self.category = category
      self.answeredBefore = answeredBefore
      self.ticket = ticket
      self.repliesToSender = repliesToSender
      self.repliesLastHour = repliesLastHour
    }
  }

  /// How far the mail has been read.
  public enum Content: Sendable {
    case notRead
    /// It was expunged before it could be read.
    case vanished
    case read(Mail)
  }

  public var arrival: Arrival
  public var content: Content
  /// The moment of the decision.
  public var now: Date

  public init(arrival: Arrival, content: Content, now: Date) {
    self.arrival = arrival
    self.content = content
    self.now = now
  }

  /// A mail on its own, as the offline commands see it: no mailbox, no state store.
  public static func alone(_ message: Message, category: String?, now: Date) -> MailFacts {
    MailFacts(arrival: .alone, content: .read(Mail(message: message, category: category)), now: now)
  }
}
