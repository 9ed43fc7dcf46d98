import Foundation
import HooktopCore

/// One runnable `curl` command per request that, run by bash, sends the
/// request again exactly: method, request target, headers in order and case
/// (empty values too), the body byte for byte, the HTTP version.
///
/// Nothing a sender controls decides what the command touches: the body
/// reaches curl through a pipe or a file hooktop wrote (never `@path` from
/// the payload), and the address comes from `Destination`, never from the
/// request's `Host` header unless the user asks for that.
public struct CurlWriter: ExportWriter {
    /// Where the commands send requests.
    public struct Destination: Sendable {
        /// `--base-url`: everything goes here.
        public var baseURL: String?
        /// The capturing daemon's own address, used when a request has no
        /// delivery target and no base URL is given.
        public var daemon: String
        /// Use the captured `Host` header instead (asked for explicitly).
        public var fromHostHeader: Bool

        public init(baseURL: String? = nil, daemon: String = "http://\(ListenAddress.default)", fromHostHeader: Bool = false) {
            self.baseURL = baseURL
            self.daemon = daemon
            self.fromHostHeader = fromHostHeader
        }
    }

    /// A folder next to the script for bodies too large or too binary to
    /// inline: `directory` is where files go, `scriptRelative` how the
    /// script names it (relative to the script's own folder).
    public struct BodyFiles: Sendable {
        public var directory: String
        public var scriptRelative: String
        public init(directory: String, scriptRelative: String) {
            self.directory = directory
            self.scriptRelative = scriptRelative
        }

        /// `replay.sh.bodies/` beside the script `replay.sh`.
        public static func beside(script path: String) -> BodyFiles {
            let name = path.split(separator: "/").last.map(String.init) ?? path
            return BodyFiles(directory: path + ".bodies", scriptRelative: name + ".bodies")
        }
    }

    /// Bodies up to this size are inlined even with `BodyFiles`, when they are text.
    public static let inlineLimit = 64 * 1024

    let destination: Destination
    let bodyFiles: BodyFiles?
    private var filesWritten = 0

    public init(destination: Destination = Destination(), bodyFiles: BodyFiles? = nil) {
        self.destination = destination
        self.bodyFiles = bodyFiles
    }

    public mutating func begin(to out: inout some ExportOutput) throws(ExportError) {
        var head = "#!/usr/bin/env bash\n# curl commands written by hooktop; run with bash.\n"
        if bodyFiles != nil { head += "here=$(dirname -- \"$0\")\n" }
        try out.write(head)
    }

    public mutating func write(_ r: CapturedRequest, to out: inout some ExportOutput) throws(ExportError) {
        var body = BodySource.pipe
        if let bodyFiles, !r.body.isEmpty, r.body.count > Self.inlineLimit || !Shell.isPlainText(r.body) {
            filesWritten += 1
            let name = "\(r.id > 0 ? String(r.id) : "n\(filesWritten)").body"
            try Self.writeFile(r.body, directory: bodyFiles.directory, name: name)
            body = .file("\"$here\"/" + Shell.quote(bodyFiles.scriptRelative + "/" + name))
        }
        var line = "# \(r.id) \(TerminalText.inline(r.method)) \(r.receivedAt.iso8601)"
        if r.bodyTruncated { line += " (body truncated: \(r.body.count) of \(r.bodySize) bytes kept)" }
        try out.write(line + "\n" + command(r, body: body) + "\n")
    }

    /// The command for one request, its body piped in (for the clipboard).
    public func command(_ r: CapturedRequest) -> String { command(r, body: .pipe) }

    enum BodySource {
        case pipe
        /// A shell word naming a file hooktop wrote.
        case file(String)
    }

    func command(_ r: CapturedRequest, body: BodySource) -> String {
        let (origin, target) = address(r)
        // -q first: no ~/.curlrc may add to the request. -g: no globbing of [] {}.
        var words = ["curl", "-q", "-sS", r.version == "HTTP/1.0" ? "--http1.0" : "--http1.1", "-g", "--path-as-is"]
        let head = r.method == "HEAD" && r.body.isEmpty
        words += head ? ["--head"] : ["-X", Shell.quote(r.method)]
        words += ["--request-target", Shell.quote(target)]
        for field in r.headers {
            var value = field.value
            // What is kept of a truncated body is what is sent: say its real length.
            if r.bodyTruncated && field.name.caseInsensitiveEquals("Content-Length") { value = String(r.body.count) }
            words += ["-H", Shell.quote(value.isEmpty ? "\(field.name);" : "\(field.name): \(value)")]
        }
        // curl adds these on its own; an empty -H stops it, keeping the request as captured.
        var added = ["Host", "User-Agent", "Accept"]
        if !r.body.isEmpty { added += ["Content-Type", "Expect"] }
        for name in added where !r.headers.contains(name) { words += ["-H", Shell.quote("\(name):")] }
        var prefix = ""
        if !r.body.isEmpty {
            switch body {
            case .pipe:
                // printf is a bash builtin: no argument-length limit, and the octal
                // escapes keep every byte (NUL included) and print nothing raw.
                prefix = "printf '\(Shell.printfEscaped(r.body))' | "
                words += ["--data-binary", "@-"]
            case .file(let word):
                words += ["--data-binary", "@" + word]
            }
        }
        words.append(Shell.quote(origin))
        return prefix + words.joined(separator: " ")
    }

    /// The URL curl connects to (scheme and authority only) and the request
    /// target it sends, chosen by `destination`.
    func address(_ r: CapturedRequest) -> (origin: String, target: String) {
        let captured = r.target.isEmpty ? "/" : r.target
        if let base = destination.baseURL {
            let (origin, path) = Self.split(base)
            return (origin, captured.hasPrefix("/") ? Self.join(path, captured) : captured)
        }
        if destination.fromHostHeader, let host = r.headers.first("Host"), !host.isEmpty {
            return ("http://" + host, captured)
        }
        if let delivery = r.targetURL {
            let (origin, path) = Self.split(delivery)
            return (origin, path.isEmpty ? "/" : path)
        }
        return (Self.split(destination.daemon).origin, captured)
    }

    /// `http://h:1/a/b?q` into `http://h:1` and `/a/b?q`.
    static func split(_ url: String) -> (origin: String, path: String) {
        guard let scheme = url.range(of: "://") else { return (url, "") }
        let rest = url[scheme.upperBound...]
        guard let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) else { return (url, "") }
        var path = String(rest[slash...])
        if path.hasPrefix("?") { path = "/" + path }
        return (String(url[..<slash]), path)
    }

    static func join(_ base: String, _ target: String) -> String {
        base.hasSuffix("/") ? String(base.dropLast()) + target : base + target
    }

    static func writeFile(_ bytes: [UInt8], directory: String, name: String) throws(ExportError) {
        let path = directory + "/" + name
        guard (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                         attributes: [.posixPermissions: 0o700])) != nil,
              FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw .cannotWrite(path)
        }
    }
}

/// POSIX shell quoting that never lets a control byte through as it is.
enum Shell {
    /// `'text'`, or `$'…'` with escapes when the text holds control characters.
    /// Bytes that were not UTF-8 on the wire (`WireText`) are written as `\xNN`, so bash passes the very bytes on.
    static func quote(_ s: String) -> String {
        let utf8 = WireText.bytes(of: s)
        if isPlainText(utf8, allowNewlines: false) {
            guard utf8.contains(UInt8(ascii: "'")) else { return "'" + s + "'" }
            return "'" + s.split(separator: "'", omittingEmptySubsequences: false).joined(separator: #"'\''"#) + "'"
        }
        var out = "$'"
        for b in utf8 {
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
