import Foundation
import Triage

/// The commercial and practical facts the replies quote, from
/// `rules/policy.rules` (staff edit it like the rules):
///
///     price-per-seat: 400
///     monthly-hours: 8
///     hotline: +48 81 111 22 33
///     sales-address: handlowy@pwsk.pl
///     ticket-prefix: PWSK
///     license-key-pattern: XXXX-XXXX-XXXX-XXXX
///     closed-days: 2026-12-31, 2027-01-02
///     signature: Zespół pomocy technicznej PWSK
///     signature-en: PWSK Technical Support
public struct Policy: Sendable, Equatable {
  /// Net price of the service contract per seat and year, in złoty.
  public var pricePerSeat = 400
  /// Staff hours a month the contract includes.
  public var monthlyHours = 8
  public var hotline = ""
  public var salesAddress = ""
  /// The first part of ticket ids: PWSK-2026-000123.
  public var ticketPrefix = "PWSK"
  public var keyPattern = LicenseKeyPattern.default
  public var closedDays: Set<LocalDay> = []
  public var signature = "Pomoc techniczna PWSK"
  /// The signature of English replies.
  public var signatureEnglish = "PWSK Technical Support"

  public init() {}

  static let keys = [
    "price-per-seat", "monthly-hours", "hotline", "sales-address", "ticket-prefix", "license-key-pattern",
    "closed-days", "signature", "signature-en",
  ]

  /// Parses `policy.rules`; nil with errors.
  public static func parse(_ text: String, file: String) -> (Policy?, [Diagnostic]) {
    var policy = Policy()
    var diagnostics: [Diagnostic] = []
    for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      let location = SourceLocation(file: file, line: index + 1)
      let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
        .trimmingCharacters(in: .whitespaces)
      guard !line.isEmpty else { continue }
      guard let colon = line.firstIndex(of: ":") else {
        diagnostics.append(Diagnostic(.error, location, "expected 'key: value', found '\(line)'"))
        continue
      }
      let key = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      func number(_ range: ClosedRange<Int>) -> Int? {
        guard let number = Int(value.replacingOccurrences(of: " ", with: "")), range.contains(number) else {
          diagnostics.append(
            Diagnostic(
              .error, location,
              "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound), not '\(value)'"))
          return nil
        }
        return number
      }
      switch key {
      case "price-per-seat": policy.pricePerSeat = number(0...1_000_000) ?? policy.pricePerSeat
      case "monthly-hours": policy.monthlyHours = number(0...1000) ?? policy.monthlyHours
      case "hotline": policy.hotline = value
      case "sales-address":
        if !value.contains("@") {
          diagnostics.append(Diagnostic(.error, location, "'\(value)' is not an email address"))
        }
        policy.salesAddress = value
      case "ticket-prefix":
        if value.isEmpty || !value.allSatisfy({ ($0.isLetter || $0.isNumber) && $0.isASCII }) {
          diagnostics.append(
            Diagnostic(.error, location, "the ticket prefix may only have letters and digits, like PWSK"))
        }
        policy.ticketPrefix = value.uppercased()
      case "license-key-pattern":
        if value.count < 4 || !value.contains(where: { "X9A".contains($0) }) {
          diagnostics.append(
            Diagnostic(
              .error, location, "'\(value)' is not a key pattern",
              hint: "X = letter or digit, 9 = digit, A = letter; e.g. XXXX-XXXX-XXXX-XXXX"))
        }
        policy.keyPattern = LicenseKeyPattern(pattern: value)
      case "closed-days":
        for item in value.split(whereSeparator: { $0 == "," || $0 == " " }) {
          if let day = LocalDay(iso: String(item)) {
            policy.closedDays.insert(day)
          } else {
            diagnostics.append(Diagnostic(.error, location, "'\(item)' is not a date like 2026-12-31"))
          }
        }
      case "signature": policy.signature = value
      case "signature-en": policy.signatureEnglish = value
      default:
        diagnostics.append(
          Diagnostic(.error, location, "unknown key '\(key)'", hint: Diagnostic.suggestion(for: key, among: keys)))
      }
    }
    return diagnostics.isEmpty ? (policy, []) : (nil, diagnostics)
  }
}
