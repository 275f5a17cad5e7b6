import Foundation
import MailMessage

/// When PWSK support works: Monday to Friday, 8:00–16:00 in Poland
/// (Europe/Warsaw, with its DST), except Polish public holidays and the extra
/// closed days from the policy. Pure: the moment is always passed in.
public struct SupportCalendar: Sendable {
  public var timeZone: TimeZone
  public var opening: Int
  public var closing: Int
  /// Extra closed days (bridge days, company events), as local calendar days.
  public var closedDays: Set<LocalDay>

  public init(
    timeZone: TimeZone = TimeZone(identifier: "Europe/Warsaw") ?? .gmt, opening: Int = 8, closing: Int = 16,
    closedDays: Set<LocalDay> = []
  ) {
    self.timeZone = timeZone
    self.opening = opening
    self.closing = closing
    self.closedDays = closedDays
  }

  /// When a person will look at a mail that arrives at `moment`.
  public struct Response: Sendable, Equatable {
    /// Support is working right now: the mail is read today, before closing.
    public var isOpenNow: Bool
    /// The moment work on it can start: `moment` itself when open, else the next opening.
    public var start: Date
    /// The local day of `start`.
    public var day: LocalDay
  }

  public func response(at moment: Date) -> Response {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    let today = LocalDay(moment, in: timeZone)
    let hour = calendar.component(.hour, from: moment)
    if isWorkingDay(today), hour < closing {
      if hour >= opening { return Response(isOpenNow: true, start: moment, day: today) }
      return Response(isOpenNow: false, start: openingTime(on: today, calendar: calendar), day: today)
    }
    var day = today.next
    while !isWorkingDay(day) { day = day.next }
    return Response(isOpenNow: false, start: openingTime(on: day, calendar: calendar), day: day)
  }

  private func openingTime(on day: LocalDay, calendar: Calendar) -> Date {
    calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day, hour: opening)) ?? .distantFuture
  }

  public func isWorkingDay(_ day: LocalDay) -> Bool {
    guard day.weekday >= 2, day.weekday <= 6 else { return false }  // Monday…Friday
    return !closedDays.contains(day) && Self.holiday(on: day) == nil
  }

  /// The Polish public holiday on `day`, by name, or nil.
  public static func holiday(on day: LocalDay) -> String? {
    switch (day.month, day.day) {
    case (1, 1): return "Nowy Rok"
    case (1, 6): return "Trzech Króli"
    case (5, 1): return "Święto Pracy"
    case (5, 3): return "Święto Konstytucji 3 Maja"
    case (8, 15): return "Wniebowzięcie Najświętszej Maryi Panny"
    case (11, 1): return "Wszystkich Świętych"
    case (11, 11): return "Narodowe Święto Niepodległości"
    case (12, 24) where day.year >= 2025: return "Wigilia Bożego Narodzenia"
    case (12, 25): return "Boże Narodzenie"
    case (12, 26): return "Drugi dzień Bożego Narodzenia"
    default: break
    }
    let easter = easterSunday(day.year)
    switch day.daysSince(easter) {
    case 0: return "Wielkanoc"
    case 1: return "Poniedziałek Wielkanocny"
    case 49: return "Zielone Świątki"
    case 60: return "Boże Ciało"
    default: return nil
    }
  }

  /// Easter Sunday of the Gregorian calendar (the anonymous Gregorian algorithm).
  public static func easterSunday(_ year: Int) -> LocalDay {
    let a = year % 19
    let b = year / 100
    let c = year % 100
    let d = b / 4
    let e = b % 4
    let f = (b + 8) / 25
    let g = (b - f + 1) / 3
    let h = (19 * a + b - d - g + 15) % 30
    let i = c / 4
    let k = c % 4
    let l = (32 + 2 * e + 2 * i - h - k) % 7
    let m = (a + 11 * h + 22 * l) / 451
    let month = (h + l - 7 * m + 114) / 31
    let day = (h + l - 7 * m + 114) % 31 + 1
    return LocalDay(year: year, month: month, day: day)
  }
}
