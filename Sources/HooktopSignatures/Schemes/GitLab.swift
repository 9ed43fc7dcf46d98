import HooktopCore

/// GitLab: `X-Gitlab-Token` is the secret itself, compared in constant time.
/// It proves who sent the request, not that the body is unchanged.
struct GitLabScheme: SignatureScheme {
    let name = "gitlab"
    let signatureHeader: String? = "X-Gitlab-Token"

    var canResign: Bool { true }

    /// The token is the secret itself.
    func resign(_ headers: HeaderList, body: [UInt8], secret: Secret, now: Int64) throws(ResignError) -> HeaderList {
        headers.replacing([("X-Gitlab-Token", secret.value)])
    }

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        guard let token = request.headers.first("X-Gitlab-Token") else { return Verdict.missing(name, "X-Gitlab-Token") }
        let keys = settings.secrets.map { Array($0.value.utf8) }
        if let k = Verdict.firstMatch(received: [bytes(token)], keys: keys, compute: { $0 }) {
            return Verdict.valid(name, "token matches\(Verdict.which(k, of: keys.count)) (GitLab does not sign the body)")
        }
        return Verdict.invalid(name, "X-Gitlab-Token does not match \(keys.count == 1 ? "the secret token" : "any of \(keys.count) tokens") "
            + "(received \(token.count) characters); check the Secret token in the GitLab webhook settings")
    }
}
