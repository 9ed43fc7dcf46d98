import Foundation

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

    static func decode(_ s: Substring) -> String {
        let plus = s.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }
}
