import Foundation
import MailMessage

/// Builds the auto-reply to a customer's mail: threading headers, the RFC
/// 3834 markers and a Message-ID that is derived from the original, so that
/// the same mail always gets the same reply id — the key for finding out after
/// a crash whether the reply went out.
public enum AutoReply {
  /// The fixed text of the walking skeleton; policy-specific templates replace it later.
  public static let acknowledgementText = """
    Dzień dobry,

    dziękujemy za wiadomość. Pani/Pana zgłoszenie zostało przyjęte i przekazane \
    do działu pomocy technicznej PWSK.

    Pomoc techniczna pracuje w dni robocze w godzinach 8:00–16:00. Odpowiemy \
    najszybciej, jak to będzie możliwe.

    Ta wiadomość została wysłana automatycznie. Jeśli chcą Państwo coś dodać \
    do zgłoszenia, prosimy odpowiedzieć na tę wiadomość.

    Z poważaniem
    Pomoc techniczna PWSK
    """

  /// The reply to `original`, from `bot`, dated `date`.
  /// - Parameter identity: what identifies the original (its Message-ID, or
  ///   mailbox/UIDVALIDITY/UID when it has none).
  public static func compose(
    to original: Message, recipient: MailAddress, from bot: MailAddress, text: String, date: Date, identity: String
  ) -> OutgoingMessage {
    let originalID = original.messageID
    var references = Array(original.references.suffix(20))
    if let originalID, !references.contains(originalID) { references.append(originalID) }
    return OutgoingMessage(
      from: bot,
      to: [recipient],
      subject: replySubject(original.subject),
      date: date,
      messageID: messageID(for: identity, domain: bot.domain),
      inReplyTo: originalID,
      references: references,
      extraHeaders: [
        HeaderField(name: "Auto-Submitted", value: "auto-replied"),
        // Asks Exchange/Outlook not to answer us with out-of-office notes.
        HeaderField(name: "X-Auto-Response-Suppress", value: "All"),
        HeaderField(name: LoopGuard.loopHeader, value: bot.address),
      ],
      text: text)
  }

  /// `Re: ` + the original subject, unless it already starts with a reply prefix.
  public static func replySubject(_ subject: String?) -> String {
    let subject = (subject ?? "").trimmingCharacters(in: .whitespaces)
    if subject.isEmpty { return "Re: zgłoszenie" }
    let lower = subject.lowercased()
    if ["re:", "odp:", "aw:", "re :"].contains(where: lower.hasPrefix) { return subject }
    return "Re: " + subject
  }

  /// `<sb.1a2b3c4d5e6f7a8b@domain>`: stable for the same identity.
  public static func messageID(for identity: String, domain: String) -> String {
    "<sb.\(FNV1a.hex(identity))@\(domain.isEmpty ? "localhost" : domain)>"
  }
}
