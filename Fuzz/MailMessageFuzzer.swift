// libFuzzer entry point for the MIME parser. Built by scripts/fuzz.sh together
// with the MailMessage sources into one module, with
// -sanitize=fuzzer,address. Every input must parse without a crash, a hang or
// a sanitizer report, and what we compose from it must stay well-formed.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let message = Message(parsing: bytes, limits: ParserLimits(maxBytes: 1 << 20, maxDepth: 12, maxParts: 200))
  // Touch everything a caller would use.
  _ = (message.subject, message.from, message.to, message.cc, message.replyTo, message.date)
  _ = (message.messageID, message.inReplyTo, message.references, message.text, message.newText, message.attachments)
  for part in [message.root] + message.root.parts { _ = (part.decodedBody, part.filename, part.decodedSize) }

  // The byte fast paths must agree with the general parsers they stand in for.
  for field in message.headers.fields {
    let text = String(decoding: field.valueBytes, as: UTF8.self)
    precondition(MailDate.parse(bytes: field.valueBytes) == MailDate.parse(text), "date paths disagree: \(text)")
    precondition(
      HeaderParameters(parsing: field.valueBytes) == HeaderParameters(parsing: text),
      "parameter paths disagree: \(text)")
    precondition(
      EncodedWords.decode(text).utf8.containsLineBreak == EncodedWords.decode(text).contains(where: \.isNewline),
      "line-break check disagrees: \(text)")
  }

  // A reply built from hostile values must never carry a header of their making.
  let reply = OutgoingMessage(
    from: MailAddress(name: "Pomoc", address: "pomoc@pwsk.pl"),
    to: [MailAddress(name: message.from?.name, address: "klient@example.pl")],
    subject: "Re: " + (message.subject ?? ""), date: Date(timeIntervalSince1970: 0),
    messageID: "<sb.1@pwsk.pl>", inReplyTo: message.messageID, references: message.references,
    text: message.newText)
  if let rendered = try? reply.render() {
    precondition(!rendered.contains(0), "NUL in a composed message")
    for (index, byte) in rendered.enumerated() where byte == 0x0A {
      precondition(index > 0 && rendered[index - 1] == 0x0D, "bare LF in a composed message")
    }
    precondition(rendered.allSatisfy { $0 < 0x80 }, "8-bit byte in a composed message")
  }
  return 0
}
