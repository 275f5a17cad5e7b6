import Foundation
import Logging

/// One line per event on standard error, easy to read and to grep:
///
///     2026-11-25 10:36:53 info  uid=3 from=jan@firma.pl replied reply=<sb.…@pwsk.pl> elapsed=8ms
///
/// The mail's identity (uid, from) comes first, then the message, then the
/// other details in a fixed order. systemd's journal adds its own time stamp;
/// set SUPPORTBOT_LOG_TIMESTAMPS=0 there to drop ours.
struct ConsoleLogHandler: LogHandler {
  var metadata: Logger.Metadata = [:]
  var logLevel: Logger.Level
  var metadataProvider: Logger.MetadataProvider?
  let timestamps: Bool

  private static let leading = ["uid", "from"]

  init(level: Logger.Level, timestamps: Bool) {
    self.logLevel = level
    self.timestamps = timestamps
  }

  subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  func log(event: LogEvent) {
    var all = metadata
    if let provided = metadataProvider?.get() { all.merge(provided) { _, new in new } }
    if let extra = event.metadata { all.merge(extra) { _, new in new } }
    var parts: [String] = []
    if timestamps { parts.append(Self.timestamp()) }
    parts.append(event.level.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0))
    for key in Self.leading { if let value = all.removeValue(forKey: key) { parts.append("\(key)=\(value)") } }
    parts.append("\(event.message)")
    for key in all.keys.sorted() { parts.append("\(key)=\(all[key]!)") }
    FileHandle.standardError.write(Data((parts.joined(separator: " ") + "\n").utf8))
  }

  private static func timestamp() -> String {
    var now = time(nil)
    var parts = tm()
    localtime_r(&now, &parts)
    return String(
      format: "%04d-%02d-%02d %02d:%02d:%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday, parts.tm_hour,
      parts.tm_min, parts.tm_sec)
  }
}
