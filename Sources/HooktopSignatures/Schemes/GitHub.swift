/// GitHub: `X-Hub-Signature-256: sha256=HEX` of the body; legacy `X-Hub-Signature: sha1=HEX`.
struct GitHubScheme: SignatureScheme {
    let name = "github"
    let signatureHeader: String? = "X-Hub-Signature-256"

    func detect(_ request: SignedRequest) -> Bool {
        request.headers.contains("X-GitHub-Event") || request.headers.contains("X-GitHub-Delivery")
            || (request.headers.contains("X-Hub-Signature-256") && !MetaScheme.looksLikeMeta(request))
    }

    func carriesSignature(_ request: SignedRequest, _ settings: SignatureSettings) -> Bool? {
        request.headers.contains("X-Hub-Signature-256") || request.headers.contains("X-Hub-Signature")
    }

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        if request.headers.contains("X-Hub-Signature-256") || !request.headers.contains("X-Hub-Signature") {
            return Self.sha256.verify(request, settings)
        }
        var result = Self.sha1.verify(request, settings)
        result.scheme = name
        result.detail = result.detail.map { "legacy X-Hub-Signature (SHA-1): " + $0 }
        return result
    }

    var canResign: Bool { true }

    /// Signs as GitHub does today (SHA-256); the legacy SHA-1 header is not written.
    func resign(_ headers: HeaderList, body: [UInt8], secret: Secret, now: Int64) throws(ResignError) -> HeaderList {
        try Self.sha256.resign(headers, body: body, secret: secret, now: now)
    }

    static let sha256 = prefixed(name: "github", header: "X-Hub-Signature-256", prefix: "sha256=", algorithm: .sha256)
    static let sha1 = prefixed(name: "github", header: "X-Hub-Signature", prefix: "sha1=", algorithm: .sha1)

    /// `PREFIX` + hex HMAC of the body, one signature per header.
    static func prefixed(name: String, header: String, prefix: String, algorithm: HMACSpec.Algorithm,
                         encoding: HMACSpec.Encoding = .hex, detectWith: [String] = []) -> HMACScheme {
        HMACScheme(name: name, header: header, algorithm: algorithm, encoding: encoding,
                   recipe: "{body}", defaultTolerance: nil, detectWith: detectWith,
                   write: { _, signature, _ in [(header, prefix + signature)] }) { request in
            HeaderParse.stripping(prefix, from: request.headers.first(header) ?? "", header: header).map {
                .init(signatures: [$0], timestamp: nil, message: request.body)
            }
        }
    }
}

import HooktopCore
