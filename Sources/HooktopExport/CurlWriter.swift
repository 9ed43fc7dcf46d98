import HooktopCore

/// One runnable `curl` command per request: exact method, target and headers,
/// the body byte for byte. Text bodies go in a quoted `--data-binary`; any
/// other body is piped in through `printf` with octal escapes, so NUL bytes
/// and terminal escapes survive and nothing raw is printed.
public struct CurlWriter: ExportWriter {
    let baseURL: String?

    public init(baseURL: String? = nil) {
        self.baseURL = baseURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }

    public mutating func write(_ r: CapturedRequest, to out: inout some ExportOutput) throws(ExportError) {
        try out.write(command(r) + "\n")
    }

    public func command(_ r: CapturedRequest) -> String {
        let base = baseURL ?? "http://\(r.headers.first("Host") ?? "localhost")"
        var words = ["curl", "-sS", "--http1.1", "--path-as-is", "-X", Shell.quote(r.method), Shell.quote(base + r.target)]
        for field in r.headers where !field.name.caseInsensitiveEquals("Content-Length") {
            words += ["-H", Shell.quote("\(field.name): \(field.value)")]
        }
        // curl adds these on its own; an empty -H stops it, keeping the request as captured.
        for name in ["Accept", "User-Agent", "Expect"] where !r.headers.contains(name) {
            words += ["-H", Shell.quote("\(name):")]
        }
        var prefix = ""
        if !r.body.isEmpty {
            if Shell.isPlainText(r.body) {
                words += ["--data-binary", Shell.quote(String(decoding: r.body, as: UTF8.self))]
            } else {
                prefix = "printf '\(Shell.printfEscaped(r.body))' | "
                words += ["--data-binary", "@-"]
            }
        }
        return prefix + words.joined(separator: " ")
    }
}

/// POSIX shell quoting that never lets a control byte through as it is.
enum Shell {
    /// `'text'`, or `$'…'` with escapes when the text holds control characters.
    static func quote(_ s: String) -> String {
        let utf8 = Array(s.utf8)
        if isPlainText(utf8, allowNewlines: false) {
            guard utf8.contains(UInt8(ascii: "'")) else { return "'" + s + "'" }
            return "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
        }
        var out = "$'"
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "'"): out += "\\'"
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
            }
        }
        return out + "'"
    }

    /// Valid UTF-8 with no control characters (but newline and tab in bodies).
    static func isPlainText(_ bytes: [UInt8], allowNewlines: Bool = true) -> Bool {
        for (i, b) in bytes.enumerated() {
            if b < 0x20 && !(allowNewlines && (b == 0x0A || b == 0x09)) { return false }
            if b == 0x7F || (b == 0xC2 && i + 1 < bytes.count && bytes[i + 1] < 0xA0) { return false }
        }
        return bytes.allSatisfy { $0 < 0x80 } || String(validating: bytes, as: UTF8.self) != nil
    }

    /// A printf format that prints exactly these bytes: printable ASCII as it
    /// is, `%` doubled, everything else as a three-digit octal escape.
    static func printfEscaped(_ bytes: [UInt8]) -> String {
        var out = ""
        out.reserveCapacity(bytes.count * 2)
        for (i, b) in bytes.enumerated() {
            switch b {
            case UInt8(ascii: "-") where i == 0: out += octal(b)  // else printf takes it for an option
            case UInt8(ascii: "%"): out += "%%"
            case UInt8(ascii: "\\"), UInt8(ascii: "'"): out += octal(b)
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += octal(b)
            }
        }
        return out
    }

    private static func octal(_ b: UInt8) -> String {
        let o = String(b, radix: 8)
        return "\\" + String(repeating: "0", count: 3 - o.count) + o
    }
}
