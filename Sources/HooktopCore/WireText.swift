/// Bytes from the wire as a `String`, losslessly, even when they are not
/// UTF-8 (obs-text such as a Latin-1 `0xE9` in a header value).
///
/// Valid UTF-8 is kept as it is. Every other byte B becomes the private-use
/// scalar U+10FF00 + B, the way Python's "surrogateescape" keeps undecodable
/// bytes. A scalar that really is in that range is escaped byte by byte too,
/// so the mapping is one-to-one and `bytes(of:)` gives back exactly what came.
public enum WireText {
    public static let base: UInt32 = 0x10FF00

    /// Concrete, not generic: the capture path calls it for every header value,
    /// across a module boundary where a generic would not be specialized.
    public static func string(_ bytes: ArraySlice<UInt8>) -> String {
        // Nearly every header value and target is ASCII: one pass, no validation.
        let ascii = bytes.withUnsafeBufferPointer { buffer in
            var all = true
            for b in buffer where b >= 0x80 { all = false; break }
            return all
        }
        if ascii { return bytes.withUnsafeBufferPointer { String(decoding: $0, as: UTF8.self) } }
        return slow(Array(bytes))
    }

    public static func string(_ bytes: [UInt8]) -> String { string(bytes[...]) }

    /// The same, for bytes read in place (the capture decoder reads a head
    /// where it arrived, without copying it into an array first).
    public static func string(_ bytes: UnsafeRawBufferPointer) -> String {
        for b in bytes where b >= 0x80 { return slow(Array(bytes)) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func slow(_ array: [UInt8]) -> String {
        // The common case: plain UTF-8 with nothing in the escape range.
        if let text = String(validating: array, as: UTF8.self), !text.unicodeScalars.contains(where: isEscape) {
            return text
        }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < array.count {
            if array[i] < 0x80 {
                out.append(Unicode.Scalar(array[i]))
                i += 1
            } else if let (scalar, length) = TerminalText.decodeScalar(array, at: i), !isEscape(scalar) {
                out.append(scalar)
                i += length
            } else {
                out.append(Unicode.Scalar(base + UInt32(array[i]))!)
                i += 1
            }
        }
        return String(out)
    }

    /// The bytes a `string(_:)` came from.
    public static func bytes(of text: String) -> [UInt8] {
        guard hasRawBytes(text) else { return Array(text.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            if isEscape(scalar) {
                out.append(UInt8(scalar.value - base))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }

    /// Whether the text holds bytes that were not UTF-8.
    public static func hasRawBytes(_ text: String) -> Bool {
        // An escape scalar is four UTF-8 bytes starting F4 8F: ASCII text has none.
        text.utf8.contains(0xF4) && text.unicodeScalars.contains(where: isEscape)
    }

    public static func isEscape(_ scalar: Unicode.Scalar) -> Bool { scalar.value >= base }
}
