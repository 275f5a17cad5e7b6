/// A parsed `Content-Type` (or `Content-Disposition`): the value and its parameters.
public struct HeaderParameters: Sendable, Equatable {
  /// The lower-cased main value, e.g. "text/plain" or "attachment".
  public var value: String
  /// Parameters with lower-cased names, values unquoted.
  public var parameters: [String: String]

  public init(value: String, parameters: [String: String] = [:]) {
    self.value = value
    self.parameters = parameters
  }

  /// Parses `text/plain; charset="utf-8"; format=flowed`.
  public init(parsing text: String) {
    var segments: [String] = []
    var current = ""
    var inQuotes = false
    var escaped = false
    for character in text {
      if escaped {
        current.append(character)
        escaped = false
        continue
      }
      switch character {
      case "\\" where inQuotes: escaped = true
      case "\"": inQuotes.toggle()
      case ";" where !inQuotes:
        segments.append(current)
        current = ""
        continue
      default: break
      }
      current.append(character)
    }
    segments.append(current)
    value = segments[0].trimmingWhitespace().lowercased()
    parameters = [:]
    for segment in segments.dropFirst() {
      guard let equals = segment.firstIndex(of: "=") else { continue }
      let name = segment[..<equals].trimmingWhitespace().lowercased()
      var raw = segment[segment.index(after: equals)...].trimmingWhitespace()
      if raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 {
        raw = String(raw.dropFirst().dropLast()).replacingEscapes()
      }
      if !name.isEmpty, parameters[name] == nil { parameters[name] = raw }
    }
  }

  /// "text" of "text/plain".
  public var type: String { String(value.split(separator: "/").first ?? "") }
  /// "plain" of "text/plain".
  public var subtype: String { value.split(separator: "/").dropFirst().first.map(String.init) ?? "" }
}

extension String {
  fileprivate func replacingEscapes() -> String {
    var output = ""
    var escaped = false
    for character in self {
      if !escaped, character == "\\" {
        escaped = true
        continue
      }
      escaped = false
      output.append(character)
    }
    return output
  }
}
