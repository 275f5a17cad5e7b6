import Foundation
import MailMessage
import Triage

/// One customer of PWSK, from the customer list.
public struct Customer: Sendable, Equatable {
  public var id: String
  public var company: String
  /// Contact addresses, lower-cased.
  public var addresses: [String]
  /// The company's own mail domains, lower-cased (never free-mail ones).
  public var domains: [String]
  /// Licence keys, upper-cased.
  public var licenseKeys: [String]
  public var seats: Int
  /// Date of purchase or of the last update: basic support runs 12 months from it.
  public var updated: LocalDay
  /// End of the service contract ("stały nadzór"), if there is one.
  public var contractUntil: LocalDay?
  public var language: Language?
  /// Where the customer stands in the list.
  public var location: SourceLocation
}

/// The customer list: a CSV file with a header row that staff or an export keep.
///
///     id,company,contacts,license_keys,seats,updated,contract_until,language
///     K-0001,Hurtownia Lublin sp. z o.o.,biuro@hurtownia-lublin.pl hurtownia-lublin.pl,ABCD-EFGH-IJKL-MNOP,3,2026-03-15,,pl
///
/// `contacts` holds addresses and/or domains, `license_keys` one or more
/// keys, both separated by spaces (or by ';' when the file uses ','). A file
/// exported with ';' as the separator (Excel in Polish) works too.
public struct CustomerList: Sendable {
  public var customers: [Customer]

  public static let columns = [
    "id", "company", "contacts", "license_keys", "seats", "updated", "contract_until", "language",
  ]
  public static let requiredColumns: Set<String> = ["id", "company", "contacts", "seats", "updated"]

  /// Domains of mail providers: a match there says nothing about the company.
  public static let freeMailDomains: Set<String> = [
    "gmail.com", "googlemail.com", "wp.pl", "o2.pl", "onet.pl", "onet.eu", "op.pl", "poczta.onet.pl", "vp.pl",
    "interia.pl", "interia.eu", "poczta.fm", "gazeta.pl", "tlen.pl", "outlook.com", "hotmail.com", "live.com",
    "msn.com", "yahoo.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com", "gmx.com", "gmx.net",
  ]

  public init(customers: [Customer]) { self.customers = customers }

  /// Parses and checks the list; nil with errors (never a half list).
  public static func parse(
    _ text: String, file: String, keyPattern: LicenseKeyPattern = .default
  ) -> (
    CustomerList?, [Diagnostic]
  ) {
    var diagnostics: [Diagnostic] = []
    func error(_ line: Int, _ message: String, hint: String? = nil) {
      diagnostics.append(Diagnostic(.error, SourceLocation(file: file, line: line), message, hint: hint))
    }
    let rows = CSV.rows(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
    guard let header = rows.first else {
      error(
        1, "the customer list is empty", hint: "the first line names the columns: " + columns.joined(separator: ","))
      return (nil, diagnostics)
    }
    let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    for missing in requiredColumns.subtracting(names).sorted() {
      error(1, "the column '\(missing)' is missing", hint: "the header row is: " + columns.joined(separator: ","))
    }
    for unknown in Set(names).subtracting(columns).sorted() where !unknown.isEmpty {
      error(1, "unknown column '\(unknown)'", hint: "the columns are: " + columns.joined(separator: ","))
    }
    guard diagnostics.isEmpty else { return (nil, diagnostics) }
    let position = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    let listSeparators: Set<Character> = header.separator == ";" ? [" ", ","] : [" ", ";"]

    var customers: [Customer] = []
    var seenIDs: [String: Int] = [:]
    var owners: [String: (id: String, line: Int)] = [:]  // address, domain or key → first owner
    for row in rows.dropFirst() where !row.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
      let line = row.line
      func field(_ name: String) -> String {
        guard let index = position[name], index < row.fields.count else { return "" }
        return row.fields[index].trimmingCharacters(in: .whitespaces)
      }
      func items(_ name: String) -> [String] {
        field(name).split(whereSeparator: { listSeparators.contains($0) }).map { String($0) }
      }
      let errorsBefore = diagnostics.count
      let id = field("id")
      if id.isEmpty { error(line, "the customer has no id") }
      if let first = seenIDs[id], !id.isEmpty {
        error(line, "the id \(id) is used twice", hint: "also on line \(first)")
      }
      seenIDs[id] = line
      var addresses: [String] = []
      var domains: [String] = []
      for contact in items("contacts").map({ $0.lowercased() }) {
        if contact.contains("@") {
          guard MailAddress.parseList(contact).first?.address.lowercased() == contact,
            contact.split(separator: "@").count == 2
          else {
            error(line, "'\(contact)' is not an email address")
            continue
          }
          addresses.append(contact)
        } else if contact.contains("."), contact.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" }) {
          if freeMailDomains.contains(contact) {
            error(
              line, "\(contact) is a free-mail domain and would match strangers",
              hint: "list the customer's own address at \(contact) instead")
            continue
          }
          domains.append(contact)
        } else {
          error(line, "'\(contact)' is neither an email address nor a domain")
        }
      }
      if addresses.isEmpty, domains.isEmpty, field("license_keys").isEmpty {
        error(line, "customer \(id) has no contact and no licence key, so no mail can ever be matched to it")
      }
      var keys: [String] = []
      for key in items("license_keys").map({ $0.uppercased() }) {
        guard keyPattern.matches(key) else {
          error(line, "'\(key)' is not a licence key of the form \(keyPattern.pattern)")
          continue
        }
        keys.append(key)
      }
      for value in addresses + domains + keys {
        if let owner = owners[value], owner.id != id {
          error(
            line, "\(value) also belongs to \(owner.id) (line \(owner.line))",
            hint: "a contact or key identifies one customer")
        } else {
          owners[value] = (id, line)
        }
      }
      let seats = Int(field("seats"))
      if seats == nil || seats! < 1 || seats! > 10_000 {
        error(line, "seats must be a whole number from 1, not '\(field("seats"))'")
      }
      let updated = LocalDay(iso: field("updated"))
      if updated == nil {
        error(line, "updated must be a date like 2026-03-15 (purchase or last update), not '\(field("updated"))'")
      }
      var contract: LocalDay?
      if !field("contract_until").isEmpty {
        contract = LocalDay(iso: field("contract_until"))
        if contract == nil {
          error(
            line,
            "contract_until must be a date like 2027-01-31, or empty for no contract, not '\(field("contract_until"))'")
        }
      }
      var language: Language?
      if !field("language").isEmpty {
        language = Language(rawValue: field("language").lowercased())
        if language == nil { error(line, "language must be pl, en or empty, not '\(field("language"))'") }
      }
      guard diagnostics.count == errorsBefore, let seats, let updated else { continue }
      customers.append(
        Customer(
          id: id, company: field("company"), addresses: addresses, domains: domains, licenseKeys: keys, seats: seats,
          updated: updated, contractUntil: contract, language: language,
          location: SourceLocation(file: file, line: line)))
    }
    guard diagnostics.isEmpty else { return (nil, diagnostics) }
    return (CustomerList(customers: customers), [])
  }
}
