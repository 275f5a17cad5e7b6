import Foundation
import MailMessage

/// A calendar day without a time, as people in Poland name it.
public struct LocalDay: Sendable, Hashable, Comparable, CustomStringConvertible {
  public var year: Int
  public var month: Int
  public var day: Int

  public init(year: Int, month: Int, day: Int) {
    self.year = year
    self.month = month
    self.day = day
  }

  /// The local day of `moment` in `timeZone`.
  public init(_ moment: Date, in timeZone: TimeZone) {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    let parts = calendar.dateComponents([.year, .month, .day], from: moment)
    self.init(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
  }

  /// `2026-11-25`; nil for anything else, including days that do not exist.
  public init?(iso text: String) {
    let parts = text.split(separator: "-")
    guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
      let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]), (1...12).contains(month),
      (1...Self.daysIn(month, of: year)).contains(day)
    else { return nil }
    self.init(year: year, month: month, day: day)
  }

  public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

  /// Days since 1970-01-01.
  public var ordinal: Int { MailDate.daysSinceEpoch(year: year, month: month, day: day) }

  public init(ordinal: Int) {
    let z = ordinal + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let shiftedMonth = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
    let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
    self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
  }

  public var next: LocalDay { LocalDay(ordinal: ordinal + 1) }

  public func daysSince(_ other: LocalDay) -> Int { ordinal - other.ordinal }

  /// 1 = Sunday … 7 = Saturday (as Calendar numbers them).
  public var weekday: Int { ((ordinal + 4) % 7 + 7) % 7 + 1 }

  /// The same day `months` later; the 29th–31st fall back to the month's last day (29 Feb + 12 months = 28 Feb).
  public func adding(months: Int) -> LocalDay {
    let total = year * 12 + (month - 1) + months
    let newYear = total / 12
    let newMonth = total % 12 + 1
    return LocalDay(year: newYear, month: newMonth, day: min(day, Self.daysIn(newMonth, of: newYear)))
  }

  static func daysIn(_ month: Int, of year: Int) -> Int { MailDate.daysIn(month, of: year) }

  public static func < (lhs: LocalDay, rhs: LocalDay) -> Bool { lhs.ordinal < rhs.ordinal }
}
