import HooktopConfig
import HooktopCore
import HooktopSignatures

/// What to answer a complete request: a provider handshake, 413 for an
/// oversized body, the target's answer (proxy mode), a `[[respond]]` rule,
/// or the default. Pure: the handler records and sends it.
struct ResponsePolicy: Sendable {
    var maxBody: Int
    var classifier: RequestClassifier
    var proxy = false
    /// Senders must present it when set (`--require-token`).
    var token: AccessToken?

    init(maxBody: Int, config: Config, registry: SchemeRegistry, forwardTo: String? = nil, proxy: Bool = false,
         token: Secret? = nil) {
        self.maxBody = maxBody
        self.token = token.map(AccessToken.init(secret:))
        classifier = RequestClassifier(config: config, registry: registry, forwardTo: forwardTo)
        self.proxy = proxy
    }

    struct Decision {
        var response: RecordedResponse
        /// How long to hold the answer (a `[[respond]]` delay), in microseconds.
        var delayMicros: Int64 = 0
        /// Proxy mode: the answer is the target's, once it has given one.
        var waitForTarget = false
    }

    /// Classifies the request, then decides its answer.
    func decide(_ request: inout CapturedRequest) -> Decision {
        let classified = classifier.classify(&request)
        return answer(request, source: classified.source, signed: classified.signed)
    }

    func answer(_ request: CapturedRequest, source: Config.Source?, signed: SignedRequest) -> Decision {
        if let handshake = Handshake.respond(to: signed, scheme: request.signature.scheme, source: source?.handshake,
                                             signature: request.signature) {
            return Decision(response: handshake)
        }
        if request.bodyTruncated {
            return Decision(response: Self.json(status: 413, #"{"ok":false,"error":"body of \#(request.bodySize) bytes exceeds the \#(maxBody)-byte limit"}"#))
        }
        if proxy && request.targetURL != nil {
            return Decision(response: .defaultOK, waitForTarget: true)
        }
        if source?.oauthPage == true, let oauth = OAuthRedirect(request) {
            return Decision(response: Self.oauthPage(oauth))
        }
        if let rule = classifier.config.respondRule(forPath: request.path) {
            return Decision(response: RecordedResponse(status: rule.status, headers: rule.headers, body: rule.body),
                            delayMicros: rule.delayMicros)
        }
        return Decision(response: .defaultOK)
    }

    /// The page a browser lands on after an OAuth redirect: what came, and that the tab can go.
    static func oauthPage(_ oauth: OAuthRedirect) -> RecordedResponse {
        let message = oauth.succeeded
            ? "Signed in. hooktop has the authorization code; you can close this tab."
            : "The provider refused: " + html(oauth.error ?? "") + (oauth.errorDescription.map { " (" + html($0) + ")" } ?? "")
                + ". hooktop recorded it; you can close this tab."
        let page = """
            <!doctype html><html><head><meta charset="utf-8"><title>hooktop</title></head>
            <body style="font-family: sans-serif; margin: 3em"><p>\(message)</p></body></html>

            """
        // The URL holds a live authorization code: the page loads nothing, runs nothing and sends no Referer.
        return RecordedResponse(status: 200, headers: HeaderList([("Content-Type", "text/html; charset=utf-8"),
                                                                  ("Cache-Control", "no-store"),
                                                                  ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
                                                                  ("Referrer-Policy", "no-referrer")]),
                                body: Array(page.utf8))
    }

    /// Text from a request, safe inside HTML.
    static func html(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// What a sender gets when its request could not be stored.
    static let notStored = json(status: 503, #"{"ok":false,"error":"request not stored; try again"}"#)

    static func json(status: Int, _ body: String) -> RecordedResponse {
        RecordedResponse(status: status, headers: HeaderList([("Content-Type", "application/json")]), body: Array(body.utf8))
    }
}
