import Logging

extension ContinuousClock.Instant {
  /// The time since this instant, as a log value in milliseconds: "63ms".
  public var elapsedForLog: Logger.MetadataValue {
    let elapsed = ContinuousClock.now - self
    let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    return "\(Int(milliseconds.rounded()))ms"
  }
}
