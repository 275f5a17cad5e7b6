import Foundation

/// The shape of PWSK licence keys: `X` a letter or digit, `9` a digit, `A` a
/// letter, anything else itself. Default `XXXX-XXXX-XXXX-XXXX`.
public struct LicenseKeyPattern: Sendable, Equatable {
  public var pattern: String
  public static let `default` = LicenseKeyPattern(pattern: "XXXX-XXXX-XXXX-XXXX")

  public init(pattern: String) { self.pattern = pattern }

  public func matches(_ text: String) -> Bool {
    let characters = Array(text)
    let shape = Array(pattern)
    guard characters.count == shape.count else { return false }
    return zip(characters, shape).allSatisfy(Self.fits)
  }

  private static func fits(_ character: Character, _ shape: Character) -> Bool {
    switch shape {
    case "X": character.isASCII && (character.isLetter || character.isNumber)
    case "9": character.isASCII && character.isNumber
    case "A": character.isASCII && character.isLetter
    default: character == shape
    }
  }

  /// Every key in `text` (not part of a longer run of letters and digits), upper-cased.
  public func keys(in text: String) -> [String] {
    let characters = Array(text.uppercased())
    let length = pattern.count
    guard length > 0, characters.count >= length else { return [] }
    var found: [String] = []
    var index = 0
    while index + length <= characters.count {
      let before = index == 0 ? " " : characters[index - 1]
      let after = index + length < characters.count ? characters[index + length] : " "
      let candidate = String(characters[index..<(index + length)])
      if !(before.isLetter || before.isNumber), !(after.isLetter || after.isNumber), matches(candidate) {
        if !found.contains(candidate) { found.append(candidate) }
        index += length
      } else {
        index += 1
      }
    }
    return found
  }
}
