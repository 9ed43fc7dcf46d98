import HooktopConfig
import HooktopCore
import HooktopDelivery
import HooktopSignatures

/// What a request is, before anything is answered: its source, its
/// provider delivery id, where it is delivered, and its signature verdict.
/// Pure; the one place a request's source is decided.
struct RequestClassifier: Sendable {
    var config: Config
    var registry: SchemeRegistry
    /// `--forward-to`: the target for requests whose source names none.
    var forwardTo: String?

    /// What `classify` found beyond the request's fields: its source, and the
    /// request as its signature sees it (the answer's handshake check reads it too).
    struct Classified {
        var source: Config.Source?
        var signed: SignedRequest
    }

    /// Fills in what the request is; returns its source and its signature
    /// view. A request that is not `deliverable` (recorded broken) gets no target.
    @discardableResult
    func classify(_ request: inout CapturedRequest, deliverable: Bool = true) -> Classified {
        let source = config.source(forPath: request.path)
        request.source = source?.name
        request.deliveryID = DeliveryID.extract(headers: request.headers, body: request.body)
        // A body over --max-body was not kept whole: delivering it would hand the target a different request.
        if deliverable, !request.bodyTruncated, let target = config.targetURL(for: request, source: source, fallback: forwardTo) {
            request.targetURL = target
            request.deliveryState = .pending
            // Leased to this daemon until its first attempt is over; another
            // process takes it only if this one dies.
            request.nextAttemptAt = Lease.until(now: request.receivedAt, timeoutMicros: config.delivery.timeoutMicros)
        }
        let signed = signedRequest(request, source: source)
        if request.bodyTruncated, let scheme = source?.scheme ?? registry.detect(signed)?.name {
            request.signature = SignatureResult(
                scheme: scheme, status: .invalid,
                detail: "the body (\(request.bodySize) bytes) is over --max-body and was not kept whole, so the signature was not checked")
        } else {
            request.signature = registry.check(signed, scheme: source?.scheme, settings: source?.signatureSettings ?? SignatureSettings(),
                                               sourceName: source?.name)
        }
        return Classified(source: source, signed: signed)
    }

    /// The request as its signature sees it, with the URL the provider signed.
    func signedRequest(_ request: borrowing CapturedRequest, source: Config.Source?) -> SignedRequest {
        SignedRequest(request, url: source?.publicURL.map { Self.assumedURL($0, query: request.query) })
    }

    /// The URL a provider signed: the source's `public_url`, with the request's
    /// query appended when the configured URL has none.
    static func assumedURL(_ publicURL: String, query: String) -> String {
        publicURL.contains("?") || query.isEmpty ? publicURL : publicURL + "?" + query
    }
}
