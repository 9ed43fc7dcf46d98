import HooktopCore
import HooktopSignatures

/// Decides, for a complete request, its source, its signature verdict and
/// what to answer: a provider handshake, a `[[respond]]` rule, 413 for an
/// oversized body, or the default. Pure: the handler records and sends it.
struct ResponsePolicy: Sendable {
    var maxBody: Int
    var config: Config
    var registry: SchemeRegistry
    var forwardTo: String? = nil
    var proxy = false

    struct Decision {
        var response: RecordedResponse
        /// How long to hold the answer (a `[[respond]]` delay), in microseconds.
        var delayMicros: Int64 = 0
        /// Proxy mode: the answer is the target's, once it has given one.
        var waitForTarget = false
    }

    func decide(_ request: inout CapturedRequest) -> Decision {
        let path = request.path
        let source = config.source(forPath: path)
        request.source = source?.name
        request.deliveryID = DeliveryID.extract(headers: request.headers, body: request.body)
        // A body over --max-body was not kept whole: delivering it would hand the target a different request.
        if !request.bodyTruncated, let target = ForwardTarget.url(for: request, source: source, fallback: forwardTo) {
            request.targetURL = target
            request.deliveryState = .pending
            // Leased to this daemon until its first attempt is over; another
            // process takes it only if this one dies (see StoreLedger).
            request.nextAttemptAt = request.receivedAt.adding(microseconds: config.delivery.timeoutMicros + 30_000_000)
        }
        let signed = SignedRequest(request, url: source?.publicURL.map { Self.assumedURL($0, query: request.query) })
        if request.bodyTruncated, let scheme = source?.scheme ?? registry.detect(signed)?.name {
            request.signature = SignatureResult(
                scheme: scheme, status: .invalid,
                detail: "the body (\(request.bodySize) bytes) is over --max-body and was not kept whole, so the signature was not checked")
        } else {
            request.signature = registry.check(
                signed, scheme: source?.scheme,
                settings: SignatureSettings(secrets: source?.secrets ?? [], toleranceSeconds: source?.toleranceSeconds, hmac: source?.hmac),
                sourceName: source?.name)
        }
        if let handshake = Handshake.respond(to: signed, scheme: request.signature.scheme, source: source, signature: request.signature) {
            return Decision(response: handshake)
        }
        if request.bodyTruncated {
            return Decision(response: Self.json(status: 413, #"{"ok":false,"error":"body of \#(request.bodySize) bytes exceeds the \#(maxBody)-byte limit"}"#))
        }
        if proxy && request.targetURL != nil {
            return Decision(response: .defaultOK, waitForTarget: true)
        }
        if let rule = config.respondRule(forPath: path) {
            return Decision(response: RecordedResponse(status: rule.status, headers: rule.headers, body: rule.body),
                            delayMicros: rule.delayMicros)
        }
        return Decision(response: .defaultOK)
    }

    /// The URL a provider signed: the source's `public_url`, with the request's
    /// query appended when the configured URL has none.
    static func assumedURL(_ publicURL: String, query: String) -> String {
        publicURL.contains("?") || query.isEmpty ? publicURL : publicURL + "?" + query
    }

    /// What a sender gets when its request could not be stored.
    static let notStored = json(status: 503, #"{"ok":false,"error":"request not stored; try again"}"#)

    static func json(status: Int, _ body: String) -> RecordedResponse {
        RecordedResponse(status: status, headers: HeaderList([("Content-Type", "application/json")]), body: Array(body.utf8))
    }
}
