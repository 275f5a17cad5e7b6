import Foundation

/// How many auto-replies the bot allows itself (DESIGN.md section 5): one per
/// sender per window, and a cap per hour over all senders, so a flood of
/// forged senders cannot turn it into a spam cannon.
public struct RateLimits: Sendable, Equatable {
  /// One auto-reply per sender within this time; 0: no per-sender limit.
  public var senderWindow: TimeInterval
  /// At most this many auto-replies in any hour.
  public var hourlyCap: Int

  public init(senderWindow: TimeInterval = 3600, hourlyCap: Int = 100) {
    self.senderWindow = senderWindow
    self.hourlyCap = hourlyCap
  }

  /// - Parameters:
  ///   - toSender: replies to this sender within `senderWindow`.
  ///   - lastHour: replies to anyone within the last hour.
  public func reasonToSkip(toSender: Int, lastHour: Int) -> SkipReason? {
    if senderWindow > 0, toSender > 0 { return .rateLimited }
    if lastHour >= hourlyCap { return .hourlyCap }
    return nil
  }
}
