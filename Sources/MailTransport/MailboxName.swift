/// Mailbox names as IMAP wants them on the wire: modified UTF-7 (RFC 3501
/// section 5.1.3). Polish servers and clients name folders "Wysłane" or
/// "Kopie robocze", which travel as `Wys&AUI-ane`; sent as raw UTF-8 they
/// are refused or land in a different folder.
enum MailboxName {
  /// The wire form of a folder name as staff write it. A name that is
  /// already valid modified UTF-7 (`Wys&AUI-ane`, copied from a server
  /// listing) is kept as it is.
  static func wire(_ name: String) -> String {
    if name.unicodeScalars.allSatisfy({ $0.isASCII }), isModifiedUTF7(name) { return name }
    var output = ""
    var pending: [UInt16] = []
    func flush() {
      guard !pending.isEmpty else { return }
      output += "&" + base64(pending) + "-"
      pending.removeAll()
    }
    for scalar in name.unicodeScalars {
      if scalar.value >= 0x20, scalar.value <= 0x7E {
        flush()
        output += scalar == "&" ? "&-" : String(scalar)
      } else {
        pending += Array(String(scalar).utf16)
      }
    }
    flush()
    return output
  }

  /// Whether an ASCII name follows modified UTF-7: every `&` opens either
  /// `&-` or a base64 run closed by `-`.
  static func isModifiedUTF7(_ name: String) -> Bool {
    var bytes = Array(name.utf8)[...]
    while let ampersand = bytes.firstIndex(of: UInt8(ascii: "&")) {
      bytes = bytes[(ampersand + 1)...]
      guard let dash = bytes.firstIndex(of: UInt8(ascii: "-")) else { return false }
      guard bytes[..<dash].allSatisfy({ alphabet.contains($0) }) else { return false }
      bytes = bytes[(dash + 1)...]
    }
    return true
  }

  /// RFC 3501's base64 variant: `,` for `/`, no padding.
  private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,".utf8)

  private static func base64(_ units: [UInt16]) -> String {
    let bytes = units.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    var text: [UInt8] = []
    var index = 0
    while index < bytes.count {
      let chunk = bytes[index..<min(index + 3, bytes.count)]
      let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * $1.offset) }
      for position in 0..<(chunk.count + 1) {
        text.append(alphabet[Int((value >> (18 - 6 * position)) & 0x3F)])
      }
      index += 3
    }
    return String(decoding: text, as: UTF8.self)
  }
}
