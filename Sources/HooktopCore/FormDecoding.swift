/// `application/x-www-form-urlencoded` (and query strings) into ordered
/// name/value pairs, `+` as space, percent escapes decoded.
public enum FormDecoding {
    public static func pairs(_ body: [UInt8]) -> [(String, String)] {
        pairs(String(decoding: body, as: UTF8.self))
    }

    public static func pairs(_ text: String) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(kv[0]), kv.count > 1 ? decode(kv[1]) : "")
        }
    }

    /// As the WHATWG URL standard's urlencoded parser (and Python's
    /// `unquote_plus`, and so the frameworks providers' SDKs are checked
    /// against) does it: `+` is a space, `%` and two hex digits a byte, any
    /// other `%` itself; then UTF-8, a bad sequence U+FFFD. Foundation's
    /// `removingPercentEncoding` gave up on the whole value at one stray `%`
    /// or escaped byte that is not UTF-8, leaving every other escape undone.
    static func decode(_ s: Substring) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var i = s.utf8.startIndex
        let end = s.utf8.endIndex
        while i < end {
            let b = s.utf8[i]
            if b == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if b == UInt8(ascii: "%"),
                      let h1 = s.utf8.index(i, offsetBy: 1, limitedBy: end), h1 < end,
                      let h2 = s.utf8.index(h1, offsetBy: 1, limitedBy: end), h2 < end,
                      let hi = hexValue(s.utf8[h1]), let lo = hexValue(s.utf8[h2]) {
                bytes.append(hi << 4 | lo)
                i = h2
            } else {
                bytes.append(b)
            }
            i = s.utf8.index(after: i)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
