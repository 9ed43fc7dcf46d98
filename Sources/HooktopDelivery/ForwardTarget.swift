import HooktopCore

/// Where a captured request is delivered: the target's path plus the part of
/// the request path below the source's match, and the request's query.
/// `--forward-to http://h/base` with no source sends `/x/y` to `/base/x/y`.
public enum ForwardTarget {
    public static func url(base: String, requestTarget: String, match: Glob?) -> String {
        let (path, query) = split(requestTarget)
        var rest = path
        if let match {
            var prefix = match.literalPrefix
            while prefix.hasSuffix("/") { prefix.removeLast() }
            if !prefix.isEmpty, path.hasPrefix(prefix) { rest = String(path.dropFirst(prefix.count)) }
        }
        let (origin, basePath) = splitURL(base)
        var joined = basePath
        while joined.hasSuffix("/") { joined.removeLast() }
        if !rest.isEmpty && !rest.hasPrefix("/") { rest = "/" + rest }
        joined += rest
        if joined.isEmpty { joined = "/" }
        return origin + joined + (query.isEmpty ? "" : "?" + query)
    }

    public static func split(_ target: String) -> (String, String) {
        (RequestTarget.path(target), RequestTarget.query(target))
    }

    /// `http://h:1/a/b` -> (`http://h:1`, `/a/b`); a query on the base is dropped.
    /// Read by bytes: it runs for every delivery attempt (the engine's
    /// per-origin cap, the metrics' target label).
    public static func splitURL(_ url: String) -> (String, String) {
        let utf8 = url.utf8
        let end = utf8.firstIndex(of: UInt8(ascii: "?")) ?? utf8.endIndex
        let bytes = utf8[..<end]
        var i = bytes.startIndex
        var afterScheme: String.Index?
        while i < bytes.endIndex {
            if bytes[i] == UInt8(ascii: ":") {
                let rest = bytes[bytes.index(after: i)...]
                if rest.starts(with: "//".utf8) { afterScheme = bytes.index(i, offsetBy: 3) }
                break
            }
            i = bytes.index(after: i)
        }
        guard let afterScheme else { return (String(url[..<end]), "") }
        guard let slash = bytes[afterScheme...].firstIndex(of: UInt8(ascii: "/")) else { return (String(url[..<end]), "") }
        return (String(url[..<slash]), String(url[slash..<end]))
    }

    /// Headers that describe one connection, not the request: never forwarded.
    public static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization", "host", "content-length", "expect",
    ]

    /// The captured headers, less hop-by-hop ones, in order, with the target's Host.
    public static func headers(_ headers: HeaderList, targetURL: String) -> HeaderList {
        var out = HeaderList(headers.fields.filter { !isHopByHop($0.name) })
        out.append("Host", TargetURL(targetURL)?.authority ?? splitURL(targetURL).0)
        return out
    }

    /// Whether a header is one of `hopByHop`, without lowercasing a copy of every name.
    public static func isHopByHop(_ name: String) -> Bool {
        hopByHopNames.contains { name.caseInsensitiveEquals($0) }
    }

    private static let hopByHopNames = Array(hopByHop)
}
