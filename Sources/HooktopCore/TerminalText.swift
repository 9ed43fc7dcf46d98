/// Makes text from a request safe to print on a terminal: control characters,
/// escape sequences and invalid UTF-8 become visible placeholders, so a payload
/// is shown and never obeyed.
public enum TerminalText {
    /// For one-line fields (paths, header values): every control character is escaped.
    public static func inline(_ text: String) -> String {
        escape(Array(text.utf8), keepNewlines: false)
    }

    /// For bodies: newlines and tabs are kept, every other control is escaped.
    public static func block(_ bytes: [UInt8]) -> String {
        escape(bytes, keepNewlines: true)
    }

    /// `block` for part of a body (one line of it).
    public static func block(_ bytes: ArraySlice<UInt8>) -> String {
        escape(Array(bytes), keepNewlines: true)
    }

    /// `\xNN` for C0 and DEL, `\u{NN}` for C1, `\xNN` for each byte of invalid UTF-8.
    /// Built as UTF-8 bytes (what is kept is copied as it came), made a String once.
    public static func escape(_ bytes: [UInt8], keepNewlines: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                if b == 0x0A && keepNewlines || b == 0x09 && keepNewlines {
                    out.append(b)
                } else if b < 0x20 || b == 0x7F {
                    appendHexEscape(b, to: &out)
                } else {
                    out.append(b)
                }
                i += 1
                continue
            }
            if let (scalar, length) = decodeScalar(bytes, at: i) {
                if WireText.isEscape(scalar) {
                    appendHexEscape(UInt8(scalar.value - WireText.base), to: &out)  // a byte that was not UTF-8 on the wire
                } else if scalar.value >= 0x80 && scalar.value < 0xA0 {
                    out += Array("\\u{\(String(scalar.value, radix: 16))}".utf8)
                } else if scalar.properties.generalCategory == .format && scalar.value != 0x200D {
                    // Bidi overrides and other invisible formatting could disguise text.
                    out += Array("\\u{\(String(scalar.value, radix: 16))}".utf8)
                } else {
                    out += bytes[i..<i + length]
                }
                i += length
            } else {
                appendHexEscape(b, to: &out)
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func appendHexEscape(_ b: UInt8, to out: inout [UInt8]) {
        out += [UInt8(ascii: "\\"), UInt8(ascii: "x"), hexDigits[Int(b >> 4)], hexDigits[Int(b & 0x0F)]]
    }

    /// True when the bytes are valid UTF-8 with few NULs or other binary-only
    /// controls: show as (escaped) text rather than a hex dump. Terminal controls
    /// such as ESC and BEL do not count: a payload full of them is text to look at.
    public static func looksLikeText(_ bytes: [UInt8]) -> Bool {
        var controls = 0
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                if b < 0x20 && !(0x07...0x0D).contains(b) && b != 0x1B { controls += 1 }
                i += 1
            } else if let (_, length) = decodeScalar(bytes, at: i) {
                i += length
            } else {
                return false
            }
        }
        return controls * 20 <= bytes.count
    }

    /// Decodes one well-formed UTF-8 sequence (no overlongs, no surrogates).
    static func decodeScalar(_ bytes: [UInt8], at i: Int) -> (Unicode.Scalar, Int)? {
        decodeScalar(bytes, at: i, end: bytes.count)
    }

    /// Decodes one well-formed UTF-8 sequence starting at `i` and ending
    /// before `end`: the scalar and its length in bytes, or nil.
    @inlinable
    public static func decodeScalar<Bytes: RandomAccessCollection>(_ bytes: Bytes, at i: Int, end: Int) -> (Unicode.Scalar, Int)?
    where Bytes.Element == UInt8, Bytes.Index == Int {
        let b0 = bytes[i]
        let length: Int
        var value: UInt32
        switch b0 {
        case 0xC2...0xDF: length = 2; value = UInt32(b0 & 0x1F)
        case 0xE0...0xEF: length = 3; value = UInt32(b0 & 0x0F)
        case 0xF0...0xF4: length = 4; value = UInt32(b0 & 0x07)
        default: return nil
        }
        guard i + length <= end else { return nil }
        for k in 1..<length {
            let b = bytes[i + k]
            guard b & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(b & 0x3F)
        }
        let minimum: UInt32 = length == 3 ? 0x800 : length == 4 ? 0x10000 : 0x80
        guard value >= minimum, let scalar = Unicode.Scalar(value) else { return nil }
        return (scalar, length)
    }

    /// A classic hex dump: offset, 16 bytes in hex, printable ASCII.
    public static func hexDump(_ bytes: [UInt8], limit: Int = .max) -> String {
        var lines: [String] = []
        var offset = 0
        while offset < min(bytes.count, limit) {
            lines.append(hexDumpLine(bytes, at: offset))
            offset += 16
        }
        if bytes.count > limit { lines.append("... \(bytes.count - limit) more bytes") }
        return lines.joined(separator: "\n")
    }

    /// The hex dump's line for the 16 bytes from `offset` (fewer at the end).
    public static func hexDumpLine(_ bytes: [UInt8], at offset: Int) -> String {
        let row = bytes[offset..<min(offset + 16, bytes.count)]
        var hex = row.map { b -> String in let h = String(b, radix: 16); return h.count == 1 ? "0" + h : h }
        while hex.count < 16 { hex.append("  ") }
        let ascii = String(row.map { $0 >= 0x20 && $0 < 0x7F ? Character(Unicode.Scalar($0)) : "." })
        let off = String(offset, radix: 16)
        return String(repeating: "0", count: max(0, 8 - off.count)) + off + "  "
            + hex[0..<8].joined(separator: " ") + "  " + hex[8..<16].joined(separator: " ") + "  |" + ascii + "|"
    }
}
