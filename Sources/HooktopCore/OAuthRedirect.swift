/// A browser sent back to a `redirect_uri` by an OAuth provider: a GET whose
/// query carries `code` (success) or `error` (refusal), usually with `state`.
public struct OAuthRedirect: Sendable, Equatable {
    public var code: String?
    public var state: String?
    public var error: String?
    public var errorDescription: String?

    public init?(_ request: CapturedRequest) {
        guard request.method == "GET" else { return nil }
        let query = FormDecoding.pairs(request.query)
        func value(_ key: String) -> String? { query.first { $0.0 == key }?.1 }
        code = value("code")
        state = value("state")
        error = value("error")
        errorDescription = value("error_description")
        guard code != nil || error != nil else { return nil }
    }

    public var succeeded: Bool { error == nil }

    /// One line for people: `code 4/0Ab…Xy, state 8c1f…` or `error access_denied: the user said no`.
    public var summary: String {
        var parts: [String] = []
        if let error { parts.append("error " + error + (errorDescription.map { ": " + $0 } ?? "")) }
        if let code { parts.append("code " + Self.shorten(code)) }
        if let state { parts.append("state " + Self.shorten(state)) }
        return parts.joined(separator: ", ")
    }

    /// An authorization code is a credential for a minute: enough of it to tell two apart.
    static func shorten(_ s: String) -> String {
        s.count <= 12 ? s : String(s.prefix(6)) + "…" + String(s.suffix(4))
    }
}

extension CapturedRequest {
    /// What a request is, shown before its path in lists: the `expect` label
    /// it came for, or `oauth` / `oauth error` for an OAuth redirect.
    public var tag: String? {
        if let label { return label }
        if let oauth = OAuthRedirect(self) { return oauth.succeeded ? "oauth" : "oauth error" }
        return nil
    }
}
