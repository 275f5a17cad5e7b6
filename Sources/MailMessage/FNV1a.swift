/// FNV-1a, 64 bits: a stable, dependency-free hash for identifiers that must
/// come out the same on every run and machine (a reply's Message-ID, a MIME
/// boundary, a fingerprint of a mail's bytes or of a file). Not a security
/// measure: nobody gains by forging a collision with any of these.
public enum FNV1a {
  /// The hash of the text's UTF-8 bytes.
  public static func hash(_ text: String) -> UInt64 { hash(text.utf8) }

  /// The hash of any bytes.
  public static func hash<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in bytes {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01B3
    }
    return hash
  }

  /// The hash as 16 lower-case hex digits, zeros in front.
  public static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
    let hex = String(hash(bytes), radix: 16)
    return String(repeating: "0", count: 16 - hex.count) + hex
  }

  /// The hash of the text's UTF-8 bytes as 16 hex digits.
  public static func hex(_ text: String) -> String { hex(text.utf8) }
}
