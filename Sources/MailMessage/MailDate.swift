import Foundation

/// Dates as mail clients write them: RFC 5322 (`Wed, 25 Nov 2026 10:00:00
/// +0100`) and the broken forms seen in the wild — missing weekday or
/// seconds, two-digit years, zone names (CET, GMT+0100, "(CET)"), numeric
/// dates (`25-11-2026 10:00`, `25.11.2026`, ISO 8601), Polish month names.
public enum MailDate {
  /// The zone assumed when a date names none: the senders are mostly in Poland.
  public static let defaultZone = TimeZone(identifier: "Europe/Warsaw") ?? .gmt

  /// `parse` over the bytes of a header value: the strict RFC 5322 form
  /// (`[Wed, ]25 Nov 2026 10:00[:00] +0100[ (CET)]`), which nearly every
  /// client writes, is read here without making strings; anything else goes
  /// to the general parser.
  static func parse(bytes: ArraySlice<UInt8>) -> Date? {
    if let date = parseStrict(bytes) { return date }
    return parse(String(decoding: bytes, as: UTF8.self))
  }

  private static func parseStrict(_ bytes: ArraySlice<UInt8>) -> Date? {
    var index = bytes.startIndex
    let end = bytes.endIndex
    func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") }
    func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    func skipBlanks() { while index < end, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 } }
    /// A run of 1...`maxDigits` digits.
    func number(maxDigits: Int) -> (value: Int, digits: Int)? {
      var value = 0
      var digits = 0
      while index < end, isDigit(bytes[index]), digits < maxDigits {
        value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
        digits += 1
        index += 1
      }
      guard digits > 0, index == end || !isDigit(bytes[index]) else { return nil }
      return (value, digits)
    }
    skipBlanks()
    // An optional day name: letters and a comma.
    if index < end, isLetter(bytes[index]) {
      guard index + 4 <= end, bytes[index + 3] == UInt8(ascii: ","),
        englishDays.contains(key(bytes[index], bytes[index + 1], bytes[index + 2]))
      else { return nil }
      index += 4
      skipBlanks()
    }
    guard let day = number(maxDigits: 2) else { return nil }
    guard index < end, bytes[index] == 0x20 else { return nil }
    skipBlanks()
    guard index + 3 <= end, let month = englishMonth(bytes[index], bytes[index + 1], bytes[index + 2]) else {
      return nil
    }
    index += 3
    guard index < end, bytes[index] == 0x20 else { return nil }
    skipBlanks()
    guard let year = number(maxDigits: 4), year.digits == 4 else { return nil }
    guard index < end, bytes[index] == 0x20 else { return nil }
    skipBlanks()
    guard let hour = number(maxDigits: 2), index < end, bytes[index] == UInt8(ascii: ":") else { return nil }
    index += 1
    guard let minute = number(maxDigits: 2) else { return nil }
    var second = 0
    if index < end, bytes[index] == UInt8(ascii: ":") {
      index += 1
      guard let value = number(maxDigits: 2) else { return nil }
      second = value.value
    }
    guard index < end, bytes[index] == 0x20 else { return nil }
    skipBlanks()
    guard index < end, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") else { return nil }
    let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
    index += 1
    guard let zone = number(maxDigits: 4), zone.digits == 4 else { return nil }
    let (zoneHours, zoneMinutes) = (zone.value / 100, zone.value % 100)
    guard zoneHours <= 14, zoneMinutes < 60 else { return nil }
    skipBlanks()
    // What may follow: a comment only (a zone name there does not overrule the offset).
    if index < end {
      guard bytes[index] == UInt8(ascii: "("), bytes[(index + 1)...].firstIndex(of: UInt8(ascii: ")")) == end - 1,
        !bytes[(index + 1)...].contains(UInt8(ascii: "("))
      else { return nil }
    }
    let (d, m, y) = (day.value, month, year.value)
    guard (1...daysIn(m, of: y)).contains(d), (0...23).contains(hour.value), (0...59).contains(minute.value),
      (0...60).contains(second)
    else { return nil }
    let local =
      daysSinceEpoch(year: y, month: m, day: d) * 86_400 + hour.value * 3600 + minute.value * 60 + min(second, 59)
    return Date(timeIntervalSince1970: TimeInterval(local - sign * (zoneHours * 3600 + zoneMinutes * 60)))
  }

  /// "Jan" … "Dec" in any case.
  private static func englishMonth(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> Int? {
    englishMonths.firstIndex(of: key(a, b, c)).map { $0 + 1 }
  }

  /// Three ASCII letters, lower-cased, as one number.
  private static func key(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt32 {
    UInt32(a.asciiLowercased) << 16 | UInt32(b.asciiLowercased) << 8 | UInt32(c.asciiLowercased)
  }

  private static func keys(_ names: [String]) -> [UInt32] {
    names.map { name in
      let bytes = Array(name.utf8)
      return key(bytes[0], bytes[1], bytes[2])
    }
  }

  private static let englishMonths = keys([
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
  ])
  private static let englishDays = keys(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])

  public static func parse(_ text: String) -> Date? {
    var day: Int?
    var month: Int?
    var year: Int?
    var time: (hour: Int, minute: Int, second: Int)?
    var offset: Int?
    var commentZone: Int?

    // Comments may carry the only zone: "10:00:00 (CET)".
    var cleaned = ""
    var depth = 0
    var comment = ""
    for character in text {
      if character == "(" {
        depth += 1
        continue
      }
      if character == ")", depth > 0 {
        depth -= 1
        if depth == 0 {
          commentZone = commentZone ?? zoneOffset(comment.trimmingWhitespace())
          comment = ""
        }
        continue
      }
      if depth > 0 { comment.append(character) } else { cleaned.append(character) }
    }

    var tokens = cleaned.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).map(String.init)
    // ISO 8601: 2026-11-25T10:00:00+01:00
    if tokens.count == 1, let t = tokens[0].firstIndex(where: { $0 == "T" || $0 == "t" }) {
      tokens = [String(tokens[0][..<t]), String(tokens[0][tokens[0].index(after: t)...])]
    }

    for token in tokens {
      let lower = token.lowercased()
      if time == nil, token.contains(Character(":")), token.first?.isNumber == true {
        // 10:00, 10:00:00, 10:00:00.123, 10:00:00+01:00
        var clock = Substring(token)
        if let sign = clock.firstIndex(where: { $0 == "+" || $0 == "-" || $0 == "Z" || $0 == "z" }) {
          offset = offset ?? zoneOffset(String(clock[sign...]))
          clock = clock[..<sign]
        }
        let parts = clock.split(separator: ":").map { Int($0.prefix { $0.isNumber }) }
        guard parts.count >= 2, let hour = parts[0], let minute = parts[1] else { return nil }
        time = (hour, minute, parts.count > 2 ? (parts[2] ?? 0) : 0)
      } else if let numeric = numericDate(token), day == nil {
        (day, month, year) = numeric
      } else if let number = Int(token), token.allSatisfy(\.isNumber) {
        if day == nil, token.count <= 2 {
          day = number
        } else if year == nil, token.count == 4 || (token.count == 2 && day != nil && month != nil) {
          year = token.count == 2 ? (number < 50 ? 2000 + number : 1900 + number) : number
        } else if offset == nil, token.count == 4 {
          offset = zoneOffset("+" + token)
        }
      } else if let named = monthNumber(lower) {
        month = named
      } else if let zone = zoneOffset(token) {
        offset = offset ?? zone
      }
      // Weekday names and anything else unknown are ignored.
    }
    guard let day, let month, let year, let time, (1...12).contains(month), (1...daysIn(month, of: year)).contains(day),
      (0...23).contains(time.hour), (0...59).contains(time.minute), (0...60).contains(time.second)
    else { return nil }
    let local =
      daysSinceEpoch(year: year, month: month, day: day) * 86_400 + time.hour * 3600 + time.minute * 60
      + min(time.second, 59)
    let zone =
      offset ?? commentZone ?? defaultZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - 3600)))
    return Date(timeIntervalSince1970: TimeInterval(local - zone))
  }

  /// Days from 1970-01-01 to the given day of the proleptic Gregorian calendar.
  public static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
    let shifted = month <= 2 ? year - 1 : year  // the year starts in March: leap days come last
    let era = (shifted >= 0 ? shifted : shifted - 399) / 400
    let yearOfEra = shifted - era * 400
    let dayOfYear = (153 * ((month + 9) % 12) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  /// The number of days in a month of the Gregorian calendar.
  public static func daysIn(_ month: Int, of year: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  /// `25-11-2026`, `25.11.2026`, `2026-11-25`, `25/11/2026`: day first unless the year is.
  private static func numericDate(_ token: String) -> (Int, Int, Int)? {
    let parts = token.split(whereSeparator: { $0 == "-" || $0 == "." || $0 == "/" })
    guard parts.count == 3, parts.allSatisfy({ $0.allSatisfy(\.isNumber) && !$0.isEmpty }) else { return nil }
    let numbers = parts.compactMap { Int($0) }
    guard numbers.count == 3 else { return nil }
    if parts[0].count == 4 { return (numbers[2], numbers[1], numbers[0]) }
    let year = parts[2].count == 2 ? 2000 + numbers[2] : numbers[2]
    return (numbers[0], numbers[1], year)
  }

  private static let months: [String: Int] = {
    var table: [String: Int] = [:]
    let english = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    let polish = ["sty", "lut", "mar", "kwi", "maj", "cze", "lip", "sie", "wrz", "paź", "lis", "gru"]
    for (index, name) in english.enumerated() { table[name] = index + 1 }
    for (index, name) in polish.enumerated() { table[name] = index + 1 }
    table["paz"] = 10
    table["sept"] = 9
    return table
  }()

  private static func monthNumber(_ lower: String) -> Int? {
    var trimmed = Substring(lower)
    while trimmed.last == "." { trimmed.removeLast() }
    let name = String(trimmed)
    if let exact = months[name] { return exact }
    // Full names: "november", "listopada", "listopad" (Polish genitive and nominative).
    let polishFull = [
      "stycz": 1, "luty": 2, "lutego": 2, "marzec": 3, "marca": 3, "kwie": 4, "maj": 5, "maja": 5, "czerw": 6,
      "lip": 7, "sierp": 8, "wrze": 9, "paźdz": 10, "pazdz": 10, "listopad": 11, "grud": 12,
    ]
    for (prefix, number) in polishFull where name.hasPrefix(prefix) { return number }
    guard name.count > 3 else { return nil }
    return months[String(name.prefix(3))]
  }

  private static let namedZones: [String: Int] = [
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "bst": 3600, "cet": 3600, "met": 3600, "cest": 7200,
    "mest": 7200, "eet": 7200, "eest": 10800, "est": -18000, "edt": -14400, "cst": -21600, "cdt": -18000,
    "mst": -25200, "mdt": -21600, "pst": -28800, "pdt": -25200,
  ]

  /// `+0100`, `-05:00`, `+01`, `Z`, `GMT`, `CET`, `GMT+0100`, `UTC+01:00`.
  static func zoneOffset(_ token: String) -> Int? {
    var text = token.lowercased()
    if let named = namedZones[text] { return named }
    for prefix in ["gmt", "utc", "ut"] where text.hasPrefix(prefix) && text.count > prefix.count {
      text.removeFirst(prefix.count)
      break
    }
    guard let sign = text.first, sign == "+" || sign == "-" else { return nil }
    let digits = text.dropFirst().filter { $0 != ":" }
    guard digits.allSatisfy(\.isNumber), [2, 4].contains(digits.count), let hours = Int(digits.prefix(2)),
      let minutes = Int(digits.count == 4 ? String(digits.suffix(2)) : "0"), hours <= 14, minutes < 60
    else { return nil }
    return (hours * 3600 + minutes * 60) * (sign == "-" ? -1 : 1)
  }
}
