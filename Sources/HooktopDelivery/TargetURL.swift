/// An http:// or https:// URL as the transport connects to it: where to
/// connect, what to say in Host, and the request target to send. Read byte
/// by byte (one of these is made per delivery); anything it cannot connect
/// to as written — no host, a port out of range, user info, a fragment, a
/// space or control character — is nil, and the attempt says "invalid URL".
public struct TargetURL: Sendable, Equatable {
    public var tls: Bool
    /// The host as it is resolved: brackets taken off an IPv6 literal.
    public var host: String
    public var port: Int
    /// `host:port` as written (brackets kept), for the Host header.
    public var authority: String
    /// The path and query, `/` at least.
    public var requestTarget: String

    /// Connections to the same origin are shared.
    public var origin: String { (tls ? "https://" : "http://") + authority }

    /// Whether the host is an address, not a name (no TLS server name for those).
    public var hostIsAddress: Bool {
        host.contains(":") || (!host.isEmpty && host.utf8.allSatisfy { $0 == UInt8(ascii: ".") || (0x30...0x39).contains($0) })
    }

    public init?(_ url: String) {
        let bytes = Array(url.utf8)
        func hasPrefix(_ prefix: String) -> Bool {
            let p = Array(prefix.utf8)
            guard bytes.count >= p.count else { return false }
            return zip(bytes, p).allSatisfy { a, b in a | 0x20 == b || a == b }
        }
        let start: Int
        if hasPrefix("http://") { tls = false; start = 7 } else if hasPrefix("https://") { tls = true; start = 8 } else { return nil }
        // Nothing a request line or a Host header cannot carry.
        guard !bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "#") }) else { return nil }
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "/"), bytes[end] != UInt8(ascii: "?") { end += 1 }
        let authorityBytes = bytes[start..<end]
        guard !authorityBytes.isEmpty, !authorityBytes.contains(UInt8(ascii: "@")) else { return nil }
        // Host and port: `[v6]:port`, `[v6]`, `name:port`, `name`.
        var hostBytes = authorityBytes[...]
        var portBytes: ArraySlice<UInt8>?
        if authorityBytes.first == UInt8(ascii: "[") {
            guard let close = authorityBytes.firstIndex(of: UInt8(ascii: "]")) else { return nil }
            hostBytes = authorityBytes[(authorityBytes.startIndex + 1)..<close]
            let rest = authorityBytes[(close + 1)...]
            if !rest.isEmpty {
                guard rest.first == UInt8(ascii: ":") else { return nil }
                portBytes = rest.dropFirst()
            }
            guard !hostBytes.isEmpty, hostBytes.allSatisfy({ $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") || Self.isHex($0) }) else { return nil }
        } else if let colon = authorityBytes.firstIndex(of: UInt8(ascii: ":")) {
            hostBytes = authorityBytes[..<colon]
            portBytes = authorityBytes[(colon + 1)...]
        }
        guard !hostBytes.isEmpty, !hostBytes.contains(where: { $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") }) else { return nil }
        if let portBytes {
            guard !portBytes.isEmpty, portBytes.count <= 5, portBytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            let value = portBytes.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard (1...65535).contains(value) else { return nil }
            port = value
        } else {
            port = tls ? 443 : 80
        }
        host = String(decoding: hostBytes, as: UTF8.self)
        authority = String(decoding: authorityBytes, as: UTF8.self)
        let rest = bytes[end...]
        if rest.isEmpty {
            requestTarget = "/"
        } else if rest.first == UInt8(ascii: "?") {
            requestTarget = "/" + String(decoding: rest, as: UTF8.self)
        } else {
            requestTarget = String(decoding: rest, as: UTF8.self)
        }
    }

    private static func isHex(_ b: UInt8) -> Bool {
        (0x30...0x39).contains(b) || (0x61...0x66).contains(b | 0x20)
    }
}
