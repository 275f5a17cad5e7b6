// libFuzzer entry point for the rule parser. Built by scripts/fuzz.sh from
// Triage's sources (MailMessage linked in as a module), with
// -sanitize=fuzzer,address. It calls only Triage's public RuleParser.parse:
// whatever staff type into rules/, the parser must answer with a rule set or
// with diagnostics, never a crash or a hang.
//
// One input is a whole rules folder: the parts between lines of `%%` are the
// settings file, the lists file, then one category file each.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  let parts = text.components(separatedBy: "\n%%\n")
  let files = parts.enumerated().map { index, part in
    let kind: RuleFile.Kind = index == 0 ? .settings : index == 1 ? .lists : .category
    return RuleFile(path: "fuzz/\(index).rules", text: part, kind: kind)
  }
  let (rules, diagnostics) = RuleParser.parse(files)
  // Never a half load: a rule set exactly when nothing is an error.
  let errors = diagnostics.filter { $0.severity == .error }
  precondition((rules == nil) == !errors.isEmpty, "a rule set came back together with errors, or neither")
  for diagnostic in diagnostics { _ = diagnostic.description }
  return 0
}
