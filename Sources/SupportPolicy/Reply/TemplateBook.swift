import Foundation
import Mustache
import Triage

/// The reply texts staff edit: `rules/templates/<name>.<language>.mustache`,
/// Mustache, plain text. Every template the decision can pick must exist in
/// both languages, and a template may only use the variables below: a typo
/// is an error when the templates are loaded, never a half-empty mail.
public struct TemplateBook: Sendable {
  /// The templates the decision picks from (see `ReplyPlanner`).
  public static let names = [
    "covered", "uncovered", "contract", "expired", "unknown", "unverified", "unclassified", "other",
  ]

  /// What a template may use, and what it means (rules/templates/README.md lists them for staff).
  public static let variables: [(name: String, meaning: String)] = [
    ("ticket", "the ticket id, e.g. PWSK-2026-000123"),
    ("subject", "the subject of the customer's mail"),
    ("category", "the category id, e.g. devices"),
    ("categoryTitle", "the category's title from its rule file"),
    ("company", "the customer's company — only when the sender is on the customer's record"),
    ("customerId", "the customer's number — only when the sender is on the record"),
    ("planUntil", "the last day of the contract or of basic support, e.g. 25 listopada 2026"),
    ("expiredSince", "the first day without basic support"),
    (
      "nextResponse",
      "when a person will look at it: 'dziś, do godziny 16:00', 'w poniedziałek, 30 listopada 2026, od godziny 8:00'"
    ),
    ("openNow", "true during working hours (for {{#openNow}}…{{/openNow}})"),
    ("seats", "the customer's seats with the right word: '1 stanowisko', '3 stanowiska', '5 stanowisk'"),
    ("pricePerSeat", "the contract price per seat and year: '400 zł netto'"),
    ("priceTotal", "the price for all the customer's seats: '1 200 zł netto'"),
    ("monthlyHours", "staff hours a month in the contract: '8 godzin'"),
    ("hotline", "the hotline number from policy.rules"),
    ("salesAddress", "where to order the contract, from policy.rules"),
    ("supportHours", "'8:00–16:00'"),
    ("signature", "the signature from policy.rules"),
    ("keyFormat", "how a licence key looks, from policy.rules: XXXX-XXXX-XXXX-XXXX"),
  ]

  private let templates: [String: MustacheTemplate]

  /// Checks and compiles templates given as (path, text); the name and
  /// language come from the file name.
  public static func parse(_ files: [(path: String, text: String)]) -> (TemplateBook?, [Diagnostic]) {
    var diagnostics: [Diagnostic] = []
    var templates: [String: MustacheTemplate] = [:]
    let known = Set(variables.map(\.name))
    for (path, text) in files {
      let key = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
      diagnostics += checkTags(text, path: path, known: known)
      do {
        // Plain text: nothing is HTML-escaped.
        templates[key] = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT }}" + text)
      } catch let error as MustacheTemplate.ParserError {
        diagnostics.append(
          Diagnostic(
            .error,
            SourceLocation(file: path, line: error.context.lineNumber, column: max(1, error.context.columnNumber)),
            "the template cannot be read: \(error.error)", hint: "check that every {{#section}} has its {{/section}}"))
      } catch {
        diagnostics.append(
          Diagnostic(.error, SourceLocation(file: path, line: 1), "the template cannot be read: \(error)"))
      }
    }
    guard !diagnostics.contains(where: { $0.severity == .error }) else { return (nil, diagnostics) }
    return (TemplateBook(templates: templates), diagnostics)
  }

  /// Every `{{tag}}` must name a known variable; partials and delimiter changes are not used.
  private static func checkTags(_ text: String, path: String, known: Set<String>) -> [Diagnostic] {
    var diagnostics: [Diagnostic] = []
    for (lineIndex, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
      var rest = Substring(line)
      while let open = rest.range(of: "{{") {
        let column = line.distance(from: line.startIndex, to: open.lowerBound) + 1
        let location = SourceLocation(file: path, line: lineIndex + 1, column: column)
        guard let close = rest[open.upperBound...].range(of: "}}") else {
          diagnostics.append(Diagnostic(.error, location, "this {{ is not closed with }}"))
          break
        }
        var tag = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
        rest = rest[close.upperBound...]
        if rest.hasPrefix("}") { rest = rest.dropFirst() }
        guard let sigil = tag.first else { continue }
        switch sigil {
        case "!", "%": continue  // a comment, a pragma
        case ">", "<", "$", "=":
          diagnostics.append(
            Diagnostic(.error, location, "'{{\(tag)}}': partials, blocks and delimiter changes are not used in replies")
          )
          continue
        case "#", "^", "/", "&", "{":
          tag.removeFirst()
        default: break
        }
        let name = tag.trimmingCharacters(in: .whitespaces).split(separator: ".").first.map(String.init) ?? ""
        if !known.contains(name) {
          diagnostics.append(
            Diagnostic(
              .error, location, "unknown variable '\(name)'",
              hint: Diagnostic.suggestion(for: name, among: known.sorted())))
        }
      }
    }
    return diagnostics
  }

  /// The text of template `name` in `language` for `context`. Paragraphs stay
  /// as written; runs of more than one empty line (left by empty sections) are squeezed.
  public func render(_ name: String, _ language: Language, _ context: [String: any Sendable]) -> String? {
    guard let template = templates["\(name).\(language.rawValue)"] else { return nil }
    var lines: [Substring] = []
    for line in template.render(context as [String: Any]).split(
      omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    {
      let trimmed = line.reversed().drop { $0 == " " }.reversed()
      if trimmed.isEmpty, lines.last?.isEmpty ?? true { continue }
      lines.append(Substring(trimmed))
    }
    while lines.last?.isEmpty == true { lines.removeLast() }
    return lines.joined(separator: "\n")
  }
}
