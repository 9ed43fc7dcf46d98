import Foundation

/// JSON that other tools write and Foundation refuses: lone UTF-16
/// surrogate escapes. mitmproxy writes a byte that is not UTF-8 as `\udcXX`
/// (Python's "surrogateescape"); that byte becomes `WireText`'s scalar for it
/// (U+10FFXX, the pair `\udbff\udfXX`), so the exact byte comes back. Any
/// other lone surrogate becomes U+FFFD.
enum JSONRepair {
    static func loneSurrogates(_ data: Data) -> Data {
        let bytes = [UInt8](data)
        guard bytes.firstRange(of: Array("\\u".utf8)) != nil else { return data }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func hex4(_ at: Int) -> UInt16? {
            guard at + 4 <= bytes.count, let v = UInt16(String(decoding: bytes[at..<at + 4], as: UTF8.self), radix: 16) else { return nil }
            return v
        }
        func isEscape(_ at: Int) -> Bool { at + 1 < bytes.count && bytes[at] == 0x5C && bytes[at + 1] == UInt8(ascii: "u") }
        while i < bytes.count {
            guard bytes[i] == 0x5C, i + 1 < bytes.count else { out.append(bytes[i]); i += 1; continue }
            guard bytes[i + 1] == UInt8(ascii: "u"), let unit = hex4(i + 2) else {
                out.append(bytes[i]); out.append(bytes[i + 1]); i += 2; continue  // \\ \" \n …: copy as is
            }
            switch unit {
            case 0xD800...0xDBFF:
                if isEscape(i + 6), let low = hex4(i + 8), (0xDC00...0xDFFF).contains(low) {
                    out += bytes[i..<i + 12]  // a proper pair
                    i += 12
                } else {
                    out += Array("\\ufffd".utf8)
                    i += 6
                }
            case 0xDC80...0xDCFF:
                out += Array("\\udbff\\udf".utf8) + Array(String(format: "%02x", unit & 0xFF).utf8)
                i += 6
            case 0xDC00...0xDFFF:
                out += Array("\\ufffd".utf8)
                i += 6
            default:
                out += bytes[i..<i + 6]
                i += 6
            }
        }
        return Data(out)
    }
}
