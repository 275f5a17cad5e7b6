import Foundation
import Testing

@testable import SupportPolicy

@Suite("Rate limits: one reply per sender per window, a cap per hour")
struct RateLimitTests {
  @Test(
    "the sender window comes first, then the hourly cap",
    arguments: [
      (RateLimits(senderWindow: 3600, hourlyCap: 100), 0, 0, nil),
      (RateLimits(senderWindow: 3600, hourlyCap: 100), 1, 0, SkipReason.rateLimited),
      (RateLimits(senderWindow: 3600, hourlyCap: 100), 0, 99, nil),
      (RateLimits(senderWindow: 3600, hourlyCap: 100), 0, 100, .hourlyCap),
      (RateLimits(senderWindow: 3600, hourlyCap: 100), 3, 100, .rateLimited),
      // A window of 0 turns the per-sender limit off; the cap stays.
      (RateLimits(senderWindow: 0, hourlyCap: 5), 3, 4, nil),
      (RateLimits(senderWindow: 0, hourlyCap: 5), 3, 5, .hourlyCap),
    ] as [(RateLimits, Int, Int, SkipReason?)])
  func decide(limits: RateLimits, toSender: Int, lastHour: Int, expected: SkipReason?) {
    #expect(limits.reasonToSkip(toSender: toSender, lastHour: lastHour) == expected)
  }
}
