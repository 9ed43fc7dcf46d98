/// The bytes HTTP/1.1 allows where, for everything that reads or writes a
/// message by hand: the capture decoder, the answers it writes, the
/// forwarded request (one place, so what is refused and what is sent agree).
public enum HTTPSyntax {
    /// RFC 9110 tchar: a letter, a digit, or one of ``!#$%&'*+-.^_`|~``.
    @inlinable
    public static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }

    /// A field value's byte: visible ASCII, space, HTAB or obs-text; no other control character.
    @inlinable
    public static func isValueByte(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "\t") || (b >= 0x20 && b != 0x7F)
    }

    /// A request target's byte: no space and no control character (raw UTF-8 and obs-text are kept).
    @inlinable
    public static func isTargetByte(_ b: UInt8) -> Bool {
        b > 0x20 && b != 0x7F
    }
}
