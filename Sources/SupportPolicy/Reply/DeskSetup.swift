/// The policy and the reply templates in force, as staff keep them in the
/// rules folder (`policy.rules`, `templates/`); read from disk by SupportDesk's
/// loaders, parsed here from their text.
public struct DeskSetup: Sendable {
  public var policy: Policy
  public var templates: TemplateBook

  public init(policy: Policy, templates: TemplateBook) {
    self.policy = policy
    self.templates = templates
  }
}
