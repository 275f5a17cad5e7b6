import Foundation
import MailMessage

/// Who wrote a mail, as far as the customer list can tell.
public struct Identification: Sendable, Equatable {
  public enum Match: String, Sendable {
    case address
    case domain
    case licenseKey = "license-key"
  }

  public var customer: Customer?
  public var match: Match?
  /// Whether the sender's address (or its domain) is on the customer's record.
  /// Only then may a reply name the company, its dates or seats: a licence
  /// key quoted from a stranger's address gets a neutral answer.
  public var senderIsOnRecord: Bool

  public static let unknown = Identification(customer: nil, match: nil, senderIsOnRecord: false)
}

/// Finds the customer behind a mail: the exact address first, then the
/// company's own domain (never a free-mail one), then a licence key quoted in
/// the subject or the text.
public struct CustomerDirectory: Sendable {
  public let list: CustomerList
  public let keyPattern: LicenseKeyPattern
  private let byAddress: [String: Int]
  private let byDomain: [String: Int]
  private let byKey: [String: Int]

  public init(_ list: CustomerList, keyPattern: LicenseKeyPattern = .default) {
    self.list = list
    self.keyPattern = keyPattern
    var byAddress: [String: Int] = [:]
    var byDomain: [String: Int] = [:]
    var byKey: [String: Int] = [:]
    for (index, customer) in list.customers.enumerated() {
      for address in customer.addresses { byAddress[address] = index }
      for domain in customer.domains { byDomain[domain] = index }
      for key in customer.licenseKeys { byKey[key] = index }
    }
    self.byAddress = byAddress
    self.byDomain = byDomain
    self.byKey = byKey
  }

  public func identify(sender: String, subject: String, text: String) -> Identification {
    let address = sender.lowercased()
    if let index = byAddress[address] {
      return Identification(customer: list.customers[index], match: .address, senderIsOnRecord: true)
    }
    let domain = MailAddress(address: address).domain
    if !CustomerList.freeMailDomains.contains(domain), let index = byDomain[domain] {
      return Identification(customer: list.customers[index], match: .domain, senderIsOnRecord: true)
    }
    for key in keyPattern.keys(in: subject) + keyPattern.keys(in: text) {
      if let index = byKey[key] {
        return Identification(customer: list.customers[index], match: .licenseKey, senderIsOnRecord: false)
      }
    }
    return .unknown
  }
}
