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
    public static func splitURL(_ url: String) -> (String, String) {
        let withoutQuery = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        guard let schemeEnd = withoutQuery.range(of: "://") else { return (withoutQuery, "") }
        let afterScheme = withoutQuery[schemeEnd.upperBound...]
        guard let slash = afterScheme.firstIndex(of: "/") else { return (withoutQuery, "") }
        return (String(withoutQuery[..<slash]), String(withoutQuery[slash...]))
    }

    /// Headers that describe one connection, not the request: never forwarded.
    public static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
        "proxy-authenticate", "proxy-authorization", "host", "content-length", "expect",
    ]

    /// The captured headers, less hop-by-hop ones, in order, with the target's Host.
    public static func headers(_ headers: HeaderList, targetURL: String) -> HeaderList {
        var out = HeaderList(headers.fields.filter { !hopByHop.contains($0.name.lowercased()) })
        let authority = splitURL(targetURL).0.components(separatedBy: "://").last ?? ""
        out.append("Host", authority)
        return out
    }
}
