import Foundation
import SupportPolicy

/// How far the bot got in one mailbox.
public struct MailboxCursor: Sendable, Equatable {
  public var mailbox: String
  public var uidValidity: UInt32
  /// Every UID up to this one has a record (or was there before the first start).
  public var lastUID: UInt32

  public init(mailbox: String, uidValidity: UInt32, lastUID: UInt32) {
    self.mailbox = mailbox
    self.uidValidity = uidValidity
    self.lastUID = lastUID
  }
}

/// Where a mail stands.
public enum MailStatus: String, Sendable, Codable, CaseIterable {
  /// Was in the mailbox before the bot's first start; left alone.
  case history
  /// Decided not to answer; `skipReason` says why.
  case skipped
  /// The reply is about to be handed to SMTP, or was being handed when the bot
  /// stopped: the one ambiguous state (see README, "Exactly once").
  case sending
  /// The SMTP server accepted the reply.
  case sent
  /// SMTP failed temporarily; it will be tried again at `nextAttempt`.
  case retry
  /// SMTP refused the reply for good, or retries ran out.
  case failed
}

/// Everything the bot knows about one mail.
public struct MailRecord: Sendable, Equatable {
  public var mailbox: String
  public var uidValidity: UInt32
  public var uid: UInt32
  public var messageID: String?
  /// A fingerprint of the mail's bytes, to recognise it without a Message-ID.
  public var contentHash: String?
  public var sender: String?
  public var subject: String?
  /// What the rules made of it: the category id (nil: unclassified) and its coverage.
  public var category: String?
  public var coverage: String?
  /// The ticket the mail opened or belongs to; the plan and template of its reply.
  public var ticket: String?
  public var plan: String?
  public var template: String?
  public var status: MailStatus
  public var skipReason: SkipReason?
  public var replyMessageID: String?
  public var replyRecipient: String?
  /// The exact reply bytes, kept so a retry sends the same message.
  public var replyBytes: [UInt8]?
  public var attempts: Int
  public var lastError: String?
  public var nextAttempt: Date?
  /// When the reply was decided (committed as `sending`): what rate limits count.
  public var decidedAt: Date?
  public var updatedAt: Date

  public init(
    mailbox: String, uidValidity: UInt32, uid: UInt32, messageID: String? = nil, contentHash: String? = nil,
    sender: String? = nil,
    subject: String? = nil, category: String? = nil, coverage: String? = nil, ticket: String? = nil,
    plan: String? = nil, template: String? = nil, status: MailStatus,
    skipReason: SkipReason? = nil, replyMessageID: String? = nil,
    replyRecipient: String? = nil, replyBytes: [UInt8]? = nil, attempts: Int = 0, lastError: String? = nil,
    nextAttempt: Date? = nil, decidedAt: Date? = nil, updatedAt: Date
  ) {
    self.mailbox = mailbox
    self.uidValidity = uidValidity
    self.uid = uid
    self.messageID = messageID
    self.contentHash = contentHash
    self.sender = sender
    self.subject = subject
    self.category = category
    self.coverage = coverage
    self.ticket = ticket
    self.plan = plan
    self.template = template
    self.status = status
    self.skipReason = skipReason
    self.replyMessageID = replyMessageID
    self.replyRecipient = replyRecipient
    self.replyBytes = replyBytes
    self.attempts = attempts
    self.lastError = lastError
    self.nextAttempt = nextAttempt
    self.decidedAt = decidedAt
    self.updatedAt = updatedAt
  }
}

/// The bot's memory. Every write is durable before the call returns, so a
/// record written before a side effect survives a crash during it.
/// `SQLiteStateStore` throws `StateError`, naming the database and what it was doing.
public protocol StateStore: Sendable {
  func cursor(for mailbox: String) async throws -> MailboxCursor?
  /// The mail with that UID, if it has been handled.
  func record(mailbox: String, uidValidity: UInt32, uid: UInt32) async throws -> MailRecord?
  /// Whether a mail with that Message-ID already got (or is getting) a reply.
  func hasReplied(toMessageID messageID: String) async throws -> Bool
  /// Whether a mail with these exact bytes already got (or is getting) a reply.
  func hasReplied(toContentHash hash: String) async throws -> Bool
  /// Notes that the bot starts handling this mail, durably, and says how many
  /// times it has started without a record to show for it (this one included):
  /// attempts that failed, and attempts the bot never came back from (a crash
  /// in the middle of a mail). Saving the mail's record ends the count.
  func beginAttempt(mailbox: String, uidValidity: UInt32, uid: UInt32) async throws -> Int
  /// Saves the record and moves the cursor in one transaction; the mail's attempts are settled by it.
  func save(_ record: MailRecord, advancing cursor: MailboxCursor?) async throws
  /// Moves the cursor alone (mail left alone as history on the first start).
  func save(cursor: MailboxCursor) async throws
  /// Records of the given status, oldest first.
  func records(withStatus status: MailStatus) async throws -> [MailRecord]
  /// Number of mails per status.
  func counts() async throws -> [MailStatus: Int]
  /// How many replies were decided since `moment`: to `recipient`, or to anyone when nil.
  func replyCount(since moment: Date, to recipient: String?) async throws -> Int
  /// The ticket of the mail with this identity, made now if it has none:
  /// `PREFIX-YEAR-NNNNNN`, numbered per year. The mail's Message-ID is linked to it.
  func ticket(
    for identity: String, messageID: String?, prefix: String, year: Int, customer: String?, at moment: Date
  )
    async throws -> String
  /// An existing ticket that one of these Message-IDs belongs to, or that one of these ids names.
  func existingTicket(messageIDs: [String], ids: [String]) async throws -> String?
  /// Links Message-IDs (a follow-up, our reply) to a ticket, so later mails in the thread find it.
  func link(messageIDs: [String], to ticket: String) async throws
  /// Settled mails of a mailbox (sent, failed, skipped) not yet filed in their outcome's folder.
  func unfiled(mailbox: String, uidValidity: UInt32) async throws -> [MailRecord]
  /// Notes that these mails were filed: moved to `folder`, or left where they are when it is nil.
  func markFiled(mailbox: String, uidValidity: UInt32, uids: [UInt32], in folder: String?) async throws
}
