/// The four TOML string forms and their escapes.
extension TOMLParser {
    mutating func basicString() throws(TOMLError) -> String {
        i += 1
        var out = [UInt8]()
        while true {
            guard let c = peek, c != 0x0A else { throw fail("unterminated string (missing '\"')") }
            i += 1
            if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
            if c == UInt8(ascii: "\\") { try escape(into: &out) } else { out.append(c) }
        }
    }

    mutating func literalString() throws(TOMLError) -> String {
        i += 1
        let start = i
        while let c = peek, c != UInt8(ascii: "'") {
            guard c != 0x0A else { throw fail("unterminated string (missing \"'\")") }
            i += 1
        }
        guard peek != nil else { throw fail("unterminated string (missing \"'\")") }
        defer { i += 1 }
        return String(decoding: s[start..<i], as: UTF8.self)
    }

    mutating func multilineBasic() throws(TOMLError) -> String {
        i += 3
        skipFirstNewline()
        var out = [UInt8]()
        while true {
            guard let c = peek else { throw fail("unterminated multi-line string (missing '\"\"\"')") }
            if s[i...].starts(with: Array("\"\"\"".utf8)) {
                i += 3
                while peek == UInt8(ascii: "\"") { out.append(UInt8(ascii: "\"")); i += 1 }
                return String(decoding: out, as: UTF8.self)
            }
            i += 1
            if c == 0x0A { line += 1 }
            if c == UInt8(ascii: "\\") {
                // A backslash at the end of a line trims the newline and leading space.
                var j = i
                while j < s.count, s[j] == 0x20 || s[j] == 0x09 { j += 1 }
                if j < s.count, s[j] == 0x0A || s[j] == 0x0D {
                    i = j
                    while let w = peek, w == 0x20 || w == 0x09 || w == 0x0A || w == 0x0D { if w == 0x0A { line += 1 }; i += 1 }
                    continue
                }
                try escape(into: &out)
            } else {
                out.append(c)
            }
        }
    }

    mutating func multilineLiteral() throws(TOMLError) -> String {
        i += 3
        skipFirstNewline()
        let start = i
        while i < s.count, !s[i...].starts(with: Array("'''".utf8)) {
            if s[i] == 0x0A { line += 1 }
            i += 1
        }
        guard i < s.count else { throw fail("unterminated multi-line string (missing \"'''\")") }
        let text = String(decoding: s[start..<i], as: UTF8.self)
        i += 3
        return text
    }

    mutating func skipFirstNewline() {
        if peek == 0x0D { i += 1 }
        if peek == 0x0A { i += 1; line += 1 }
    }

    mutating func escape(into out: inout [UInt8]) throws(TOMLError) {
        guard let e = peek else { throw fail("unterminated escape") }
        i += 1
        switch e {
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "e"): out.append(0x1B)
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let n = e == UInt8(ascii: "u") ? 4 : 8
            guard i + n <= s.count, let v = UInt32(String(decoding: s[i..<i + n], as: UTF8.self), radix: 16),
                  let scalar = Unicode.Scalar(v) else { throw fail("invalid unicode escape") }
            i += n
            out += Array(String(Character(scalar)).utf8)
        default:
            throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))' in string")
        }
    }
}
