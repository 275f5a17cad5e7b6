/// Reads the MIME tree of a message: header sections, multipart bodies split
/// at their boundaries, embedded messages, within `ParserLimits`. It never
/// fails; what it had to leave out goes into `warnings`.
enum MIMEParser {
  /// The tree of `bytes`, the message itself at its root.
  static func parse(_ bytes: ArraySlice<UInt8>, limits: ParserLimits, warnings: inout [ParserWarning]) -> MIMEPart {
    var partCount = 0
    return parsePart(bytes, depth: 0, limits: limits, partCount: &partCount, warnings: &warnings)
  }

  private static func parsePart(
    _ bytes: ArraySlice<UInt8>, depth: Int, limits: ParserLimits, partCount: inout Int,
    warnings: inout [ParserWarning]
  ) -> MIMEPart {
    partCount += 1
    let (headers, bodyStart) = Headers.parse(bytes, limits: limits, warnings: &warnings)
    let body = bytes[bodyStart...]
    var part = MIMEPart(headers: headers, rawBody: body, parts: [])
    let type = part.contentType
    let isEmbedded = type.value == "message/rfc822" || type.value == "message/global"
    guard (type.type == "multipart" && type.parameters["boundary"].map({ !$0.isEmpty }) == true) || isEmbedded else {
      return part
    }
    guard depth < limits.maxDepth else {
      warnings.append(.nestingTooDeep(limit: limits.maxDepth))
      return part
    }
    if isEmbedded {
      // A forwarded message: parsed as a part of its own (its body may be encoded, rarely).
      let inner =
        part.transferEncoding == .base64 ? ArraySlice(part.decodedBody) : body
      part.parts = [parsePart(inner, depth: depth + 1, limits: limits, partCount: &partCount, warnings: &warnings)]
      return part
    }
    let (pieces, closed) = split(body, boundary: Array((type.parameters["boundary"] ?? "").utf8))
    if !closed { warnings.append(.missingClosingBoundary) }
    if pieces.isEmpty { warnings.append(.noParts) }
    for piece in pieces {
      guard partCount < limits.maxParts else {
        warnings.append(.tooManyParts(limit: limits.maxParts))
        break
      }
      part.parts.append(parsePart(piece, depth: depth + 1, limits: limits, partCount: &partCount, warnings: &warnings))
    }
    if !pieces.isEmpty { part.rawBody = [] }
    return part
  }

  /// The bodies between `--boundary` lines; whether the closing `--boundary--` was seen.
  /// Lines are found with `memchr`; only those that start with "--" are looked at closer.
  private static func split(_ body: ArraySlice<UInt8>, boundary: [UInt8]) -> ([ArraySlice<UInt8>], Bool) {
    let delimiter = [UInt8]("--".utf8) + boundary
    var pieces: [ArraySlice<UInt8>] = []
    var partStart: Int?
    let closed = body.withUnsafeBufferPointer { buffer in
      let offset = body.startIndex  // buffer[i] is body[offset + i]
      var index = 0
      while index < buffer.count {
        let lineEnd = buffer.index(of: 0x0A, from: index) ?? buffer.count
        let next = lineEnd < buffer.count ? lineEnd + 1 : lineEnd
        defer { index = next }
        guard buffer[index] == UInt8(ascii: "-"), buffer[index..<lineEnd].starts(with: delimiter) else { continue }
        let after = buffer[(index + delimiter.count)..<lineEnd]
        let isClosing = after.starts(with: "--".utf8)
        let rest = isClosing ? after.dropFirst(2) : after
        guard rest.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) else { continue }
        if let start = partStart {
          // The line break before the delimiter belongs to the delimiter.
          var end = index
          if end > start, buffer[end - 1] == 0x0A { end -= 1 }
          if end > start, buffer[end - 1] == 0x0D { end -= 1 }
          pieces.append(body[(offset + start)..<(offset + end)])
        }
        if isClosing { return true }
        partStart = next
      }
      return false
    }
    if !closed, let start = partStart.map({ $0 + body.startIndex }), start < body.endIndex {
      pieces.append(body[start...])
    }
    return (pieces, closed)
  }
}
