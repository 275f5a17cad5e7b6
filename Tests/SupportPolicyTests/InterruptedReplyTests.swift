import Foundation
import Testing

@testable import SupportPolicy

@Suite("What happens to a reply a stop interrupted")
struct InterruptedReplyTests {
  @Test(
    "found in Sent, it went out; absent, only a server that files every accepted reply proves it did not",
    arguments: [
      (true, SentCopy.bot, 0.0, InterruptedReply.wentOut),
      (true, .server, 0, .wentOut),
      (false, .server, 299, .wait),
      (false, .server, 300, .send),
      (false, .bot, 3600, .unknown),
      (nil, .server, 3600, .unknown),
      (nil, .bot, 0, .unknown),
    ] as [(Bool?, SentCopy, TimeInterval, InterruptedReply)])
  func decide(found: Bool?, copy: SentCopy, age: TimeInterval, expected: InterruptedReply) {
    #expect(InterruptedReply.decide(foundInSent: found, sentCopy: copy, age: age, grace: 300) == expected)
  }
}
