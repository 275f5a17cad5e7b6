/// What deciding and writing a reply can fail at. The files staff keep are
/// checked when they are loaded (their mistakes are `Diagnostic`s with file
/// and line); these are the failures left for the moment a reply is written.
public enum SupportPolicyError: Error, Sendable, Equatable, CustomStringConvertible {
  /// The decision picked a template that is not loaded in that language.
  case missingTemplate(String, Language)
  /// The mail has neither Reply-To nor From, so there is nobody to answer.
  case noRecipient

  public var description: String {
    switch self {
    case .missingTemplate(let name, let language):
      "The reply cannot be written: the template \(name).\(language.rawValue).mustache is not loaded."
    case .noRecipient: "The reply cannot be written: the mail has no address to reply to (no Reply-To, no From)."
    }
  }
}
