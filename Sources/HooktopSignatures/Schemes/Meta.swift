import HooktopCore

/// Meta (Facebook, Instagram, WhatsApp): `X-Hub-Signature-256: sha256=HEX`
/// of the body with the app secret. The same header as GitHub, so it is only
/// detected by Meta's user agent; name the scheme in the source to be sure.
struct MetaScheme: SignatureScheme {
    let name = "meta"
    let signatureHeader: String? = "X-Hub-Signature-256"
    private let inner = GitHubScheme.prefixed(name: "meta", header: "X-Hub-Signature-256", prefix: "sha256=", algorithm: .sha256)

    static func looksLikeMeta(_ request: SignedRequest) -> Bool {
        request.headers.first("User-Agent")?.lowercased().contains("facebookexternalua") == true
    }

    func detect(_ request: SignedRequest) -> Bool {
        Self.looksLikeMeta(request) && request.headers.contains("X-Hub-Signature-256")
    }

    func carriesSignature(_ request: SignedRequest, _ settings: SignatureSettings) -> Bool? {
        request.headers.contains("X-Hub-Signature-256") || Handshake.query(request)["hub.verify_token"] != nil
    }

    var canResign: Bool { true }

    func resign(_ headers: HeaderList, body: [UInt8], secret: Secret, now: Int64) throws(ResignError) -> HeaderList {
        try inner.resign(headers, body: body, secret: secret, now: now)
    }

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        let query = Handshake.query(request)
        if query["hub.mode"] == "subscribe", let token = query["hub.verify_token"] {
            // The subscription check proves knowledge of the verify token, not a signature.
            if Verdict.firstMatch(received: [bytes(token)], keys: settings.secrets.map { bytes($0.value) }, compute: { $0 }) != nil {
                return Verdict.valid(name, "hub.verify_token matches (subscription handshake)")
            }
            return Verdict.invalid(name, "hub.verify_token does not match the configured verify token")
        }
        return inner.verify(request, settings)
    }
}
