import HooktopCore

/// Square: `x-square-hmacsha256-signature: BASE64` HMAC-SHA256 of the
/// notification URL followed by the body (legacy `x-square-signature`: SHA-1).
struct SquareScheme: SignatureScheme {
    let name = "square"
    let signatureHeader: String? = "x-square-hmacsha256-signature"

    func detect(_ request: SignedRequest) -> Bool {
        request.headers.contains("x-square-hmacsha256-signature") || request.headers.contains("x-square-signature")
    }

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        let sha256 = request.headers.contains("x-square-hmacsha256-signature")
        let header = sha256 ? "x-square-hmacsha256-signature" : "x-square-signature"
        guard request.headers.contains(header) else { return Verdict.missing(name, "x-square-hmacsha256-signature") }
        guard let url = request.url else {
            return Verdict.invalid(name, "Square signs the notification URL: set public_url in the source (or --url)")
        }
        let scheme = HMACScheme(name: name, header: header, algorithm: sha256 ? .sha256 : .sha1, encoding: .base64,
                                recipe: "{notification url}{body}", defaultTolerance: nil, detectWith: []) { r in
            .success(.init(signatures: [r.headers.first(header) ?? ""], timestamp: nil, message: bytes(url) + r.body))
        }
        var result = scheme.verify(request, settings)
        if result.status == .invalid { result.detail = (result.detail ?? "") + "; URL assumed: \(url)" }
        return result
    }
}
