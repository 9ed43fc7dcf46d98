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

    static let sha256 = prefixed(name: "github", header: "X-Hub-Signature-256", prefix: "sha256=", algorithm: .sha256)
    static let sha1 = prefixed(name: "github", header: "X-Hub-Signature", prefix: "sha1=", algorithm: .sha1)

    /// `PREFIX` + hex HMAC of the body, one signature per header.
    static func prefixed(name: String, header: String, prefix: String, algorithm: HooktopCore.Config.HMACSpec.Algorithm,
                         encoding: HooktopCore.Config.HMACSpec.Encoding = .hex, detectWith: [String] = []) -> HMACScheme {
        HMACScheme(name: name, header: header, algorithm: algorithm, encoding: encoding,
                   recipe: "{body}", defaultTolerance: nil, detectWith: detectWith) { request in
            HeaderParse.stripping(prefix, from: request.headers.first(header) ?? "", header: header).map {
                .init(signatures: [$0], timestamp: nil, message: request.body)
            }
        }
    }
}

import HooktopCore
