import Foundation

/// The language of a reply.
public enum Language: String, Sendable, Codable, CaseIterable {
  case pl, en
}

/// Numbers, dates and moments as customers read them, in correct Polish
/// ("25 listopada 2026", "2 stanowiska", "5 godzin", "1 200 zł netto") and English.
public enum Wording {
  /// Polish plural: 1 stanowisko; 2–4, 22–24… stanowiska; 5–21, 25… stanowisk (12–14 too).
  public static func polishPlural(_ count: Int, one: String, few: String, many: String) -> String {
    if count == 1 { return one }
    let lastDigit = abs(count) % 10
    let lastTwo = abs(count) % 100
    if (2...4).contains(lastDigit), !(12...14).contains(lastTwo) { return few }
    return many
  }

  /// "3 stanowiska" / "3 seats".
  public static func seats(_ count: Int, _ language: Language) -> String {
    switch language {
    case .pl: "\(count) " + polishPlural(count, one: "stanowisko", few: "stanowiska", many: "stanowisk")
    case .en: count == 1 ? "1 seat" : "\(count) seats"
    }
  }

  /// "8 godzin" / "8 hours".
  public static func hours(_ count: Int, _ language: Language) -> String {
    switch language {
    case .pl: "\(count) " + polishPlural(count, one: "godzina", few: "godziny", many: "godzin")
    case .en: count == 1 ? "1 hour" : "\(count) hours"
    }
  }

  private static let polishMonths = [
    "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września", "października",
    "listopada", "grudnia",
  ]
  private static let englishMonths = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
    "December",
  ]
  /// Indexed by `LocalDay.weekday` - 1 (Sunday first).
  private static let polishWeekdays = ["niedziela", "poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota"]
  /// "w poniedziałek", "we wtorek", "w środę"…
  private static let polishOnWeekdays = [
    "w niedzielę", "w poniedziałek", "we wtorek", "w środę", "w czwartek", "w piątek", "w sobotę",
  ]
  private static let englishWeekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

  /// "25 listopada 2026" / "25 November 2026".
  public static func date(_ day: LocalDay, _ language: Language) -> String {
    switch language {
    case .pl: "\(day.day) \(polishMonths[day.month - 1]) \(day.year)"
    case .en: "\(day.day) \(englishMonths[day.month - 1]) \(day.year)"
    }
  }

  /// "1 200 zł netto" / "PLN 1,200 net".
  public static func money(_ amount: Int, _ language: Language) -> String {
    var digits = String(abs(amount))
    var groups: [String] = []
    while digits.count > 3 {
      groups.insert(String(digits.suffix(3)), at: 0)
      digits.removeLast(3)
    }
    groups.insert(digits, at: 0)
    switch language {
    case .pl: return (amount < 0 ? "-" : "") + groups.joined(separator: " ") + " zł netto"
    case .en: return "PLN " + (amount < 0 ? "-" : "") + groups.joined(separator: ",") + " net"
    }
  }

  /// When a person will look at the mail, as the end of a sentence:
  /// "dziś, do godziny 16:00", "jutro (czwartek, 26 listopada 2026) od godziny 8:00",
  /// "w poniedziałek, 30 listopada 2026, od godziny 8:00".
  public static func response(
    _ response: SupportCalendar.Response, today: LocalDay, calendar: SupportCalendar, _ language: Language
  ) -> String {
    let opening = "\(calendar.opening):00"
    let closing = "\(calendar.closing):00"
    let weekday = response.day.weekday - 1
    switch language {
    case .pl:
      if response.isOpenNow { return "dziś, do godziny \(closing)" }
      if response.day == today { return "dziś od godziny \(opening)" }
      if response.day == today.next {
        return "jutro (\(polishWeekdays[weekday]), \(date(response.day, .pl))) od godziny \(opening)"
      }
      return "\(polishOnWeekdays[weekday]), \(date(response.day, .pl)), od godziny \(opening)"
    case .en:
      if response.isOpenNow { return "today, before \(closing)" }
      if response.day == today { return "today from \(opening)" }
      if response.day == today.next {
        return "tomorrow (\(englishWeekdays[weekday]), \(date(response.day, .en))) from \(opening)"
      }
      return "on \(englishWeekdays[weekday]), \(date(response.day, .en)), from \(opening)"
    }
  }

  private static let polishMarkers: Set<String> = [
    "i", "w", "na", "z", "sie", "nie", "jest", "ze", "do", "dzien", "dobry", "prosze", "czy", "jak", "mam", "program",
    "pozdrawiam", "dziekuje", "witam", "oraz", "bardzo", "juz", "jest", "po", "od", "to", "mamy",
  ]
  private static let englishMarkers: Set<String> = [
    "the", "and", "is", "to", "of", "we", "you", "please", "hello", "hi", "thanks", "thank", "our", "it", "have",
    "with", "for", "regards", "does", "how", "can", "could", "would", "this", "that",
  ]

  /// The language a mail is written in: English only when English words clearly outnumber Polish ones.
  public static func detectLanguage(_ words: [String]) -> Language {
    var polish = 0
    var english = 0
    for word in words.prefix(400) {
      if polishMarkers.contains(word) { polish += 1 }
      if englishMarkers.contains(word) { english += 1 }
    }
    return english > polish * 2 && english >= 3 ? .en : .pl
  }
}
