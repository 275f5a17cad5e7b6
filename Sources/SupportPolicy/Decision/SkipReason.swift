/// Why a mail gets no auto-reply. The raw values are the short codes used in
/// logs, the state store and `classify --json`.
public enum SkipReason: String, Sendable, Codable, CaseIterable {
  /// `Auto-Submitted` (or a vendor variant) says a machine wrote it.
  case autoSubmitted = "auto-submitted"
  /// A delivery report or a null envelope sender.
  case bounce
  /// Mailing-list mail (`List-*` headers).
  case list
  /// `Precedence: bulk|list|junk`.
  case bulk
  /// The sender asked for no automatic answers (`X-Auto-Response-Suppress`).
  case suppressed = "auto-response-suppressed"
  /// Our own loop marker: we wrote it.
  case loop = "x-loop"
  /// From one of our own addresses.
  case ownAddress = "own-address"
  /// From a robot mailbox: MAILER-DAEMON, postmaster, noreply, *-request, owner-*…
  case robotSender = "robot-sender"
  /// No address to answer to.
  case noSender = "no-sender"
  /// The same message (by Message-ID) was already answered.
  case duplicate
  /// The message disappeared from the mailbox before it could be read.
  case vanished
  /// A further mail in a thread that already has a ticket: attached to it, not answered again.
  case followUp = "follow-up"
  /// This sender already got an auto-reply within the sender window.
  case rateLimited = "rate-limited"
  /// The bot already sent its hourly cap of auto-replies (a flood, perhaps of forged senders).
  case hourlyCap = "hourly-cap"
  /// Its category says `reply: no` (a thank-you note): filed with its category's mail, not answered.
  case noReplyCategory = "no-reply-category"
}
