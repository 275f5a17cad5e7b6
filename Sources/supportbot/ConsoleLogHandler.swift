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
    for key in Self.leading {
      if let value = all.removeValue(forKey: key) { parts.append("\(key)=\(Self.escaped("\(value)"))") }
    }
    parts.append(Self.escaped("\(event.message)"))
    for key in all.keys.sorted() { parts.append("\(key)=\(Self.escaped("\(all[key]!)"))") }
    FileHandle.standardError.write(Data((parts.joined(separator: " ") + "\n").utf8))
  }

  /// Control characters from mail (an ESC sequence in a sender's name, a
  /// line break in a subject) written as `\u{1B}`: one event stays one line,
  /// and nothing a customer wrote can move the terminal's cursor or colours.
  static func escaped(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var result = ""
    for scalar in text.unicodeScalars {
      if isControl(scalar) {
        result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
      } else {
        result.unicodeScalars.append(scalar)
      }
    }
    return result
  }

  private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029
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
