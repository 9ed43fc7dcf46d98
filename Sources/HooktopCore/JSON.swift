/// A JSON value whose objects keep their key order, so output reads the way
/// SPEC.md documents it. Serialising is all hooktop needs from it.
public indirect enum JSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([(String, JSON)])

    public static func == (a: JSON, b: JSON) -> Bool { a.serialized() == b.serialized() }

    public func serialized() -> String {
        var out: [UInt8] = []
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Into bytes: exports write these straight out (appending to a String
    /// checked and grew it at every piece; 23 % of a HAR export).
    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: JSON.append("null", to: &out)
        case .bool(let b): JSON.append(b ? "true" : "false", to: &out)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d):
            if d.isFinite {
                out.append(contentsOf: (d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)).utf8)
            } else {
                JSON.append("null", to: &out)
            }
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (i, (key, value)) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    private static func append(_ text: StaticString, to out: inout [UInt8]) {
        text.withUTF8Buffer { out.append(contentsOf: $0) }
    }

    /// A JSON string; C0 and C1 controls, DEL, U+2028 and U+2029 are written
    /// as `\\uXXXX`, so no terminal or JavaScript parser sees them raw.
    static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { bytes in
            // Most strings (names, URLs, ids, header values) need no escape: copied whole.
            guard let first = bytes.firstIndex(where: mayNeedEscape) else {
                out.append(contentsOf: bytes)
                return
            }
            func appendUnicode(_ value: UInt32) {
                append("\\u", to: &out)
                for shift in stride(from: 12, through: 0, by: -4) {
                    let digit = UInt8((value >> UInt32(shift)) & 0xF)
                    out.append(digit < 10 ? 0x30 + digit : 0x57 + digit)  // 0-9, a-f
                }
            }
            // Between escapes, runs of plain bytes are copied whole.
            var i = first
            var plain = 0
            while i < bytes.count {
                let b = bytes[i]
                guard mayNeedEscape(b) else { i += 1; continue }
                if plain < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain..<i])) }
                switch b {
                case 0x22: append("\\\"", to: &out); i += 1
                case 0x5C: append("\\\\", to: &out); i += 1
                case 0x0A: append("\\n", to: &out); i += 1
                case 0x0D: append("\\r", to: &out); i += 1
                case 0x09: append("\\t", to: &out); i += 1
                case 0x00..<0x20, 0x7F: appendUnicode(UInt32(b)); i += 1
                case 0xC2 where i + 1 < bytes.count && bytes[i + 1] < 0xA0:
                    appendUnicode(UInt32(bytes[i + 1])); i += 2
                case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                    appendUnicode(bytes[i + 2] == 0xA8 ? 0x2028 : 0x2029); i += 3
                default: out.append(b); i += 1
                }
                plain = i
            }
            if plain < bytes.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[plain...])) }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A byte that starts something `writeString` rewrites (or might: the
    /// lead bytes of C1 controls and of U+2028/U+2029).
    private static func mayNeedEscape(_ b: UInt8) -> Bool {
        b < 0x20 || b == 0x22 || b == 0x5C || b == 0x7F || b == 0xC2 || b == 0xE2
    }
}

extension JSON {
    public init(_ value: String?) { self = value.map(JSON.string) ?? .null }
    public init(_ value: Int?) { self = value.map { .int(Int64($0)) } ?? .null }
}
