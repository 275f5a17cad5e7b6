import Foundation

/// Who files the copy of each reply in the Sent folder.
public enum SentCopy: String, Sendable, CaseIterable {
  /// The bot stores it with IMAP APPEND after the SMTP server accepted the reply.
  case bot
  /// The SMTP server files a copy of everything the account submits (Gmail,
  /// Microsoft 365, Postfix with a BCC rule): a copy exists exactly when the
  /// server accepted the reply, which settles what a crash left open.
  case server
}

/// What to do with a reply that was being handed to SMTP when the bot stopped
/// (status `sending`), or that is due for another attempt.
public enum InterruptedReply: Equatable, Sendable {
  /// Its copy is in the Sent folder: it went out.
  case wentOut
  /// The server files every accepted reply and none is there after the grace time: it never went out.
  case send
  /// Not there yet, but the server's copy may still be on its way: look again later.
  case wait
  /// Nobody can tell: leave it to a person.
  case unknown

  /// - Parameters:
  ///   - foundInSent: whether the reply's Message-ID is in the Sent folder; nil when there is none to look in.
  ///   - sentCopy: who files the copies.
  ///   - age: how long ago the reply was handed to SMTP.
  ///   - grace: how long the server's copy may take to arrive.
  public static func decide(foundInSent: Bool?, sentCopy: SentCopy, age: TimeInterval, grace: TimeInterval) -> Self {
    switch (foundInSent, sentCopy) {
    case (true, _): .wentOut
    case (false, .server): age >= grace ? .send : .wait
    // The bot's own copy is stored only after the server accepted the reply,
    // so its absence proves nothing: the stop may have come in between.
    case (false, .bot), (nil, _): .unknown
    }
  }
}
