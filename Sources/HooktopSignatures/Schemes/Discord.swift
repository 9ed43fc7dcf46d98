import Crypto
import HooktopCore

/// Discord interactions: `X-Signature-Ed25519: HEX` over
/// `{X-Signature-Timestamp}{body}`, checked with the application's public key (hex).
struct DiscordScheme: SignatureScheme {
    let name = "discord"
    let signatureHeader: String? = "X-Signature-Ed25519"

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        guard let header = request.headers.first("X-Signature-Ed25519") else { return Verdict.missing(name, "X-Signature-Ed25519") }
        guard let ts = request.headers.first("X-Signature-Timestamp") else {
            return Verdict.malformed(name, "X-Signature-Timestamp", "missing")
        }
        guard let signature = Verdict.unhex(header), signature.count == 64 else {
            return Verdict.malformed(name, "X-Signature-Ed25519", "expected 128 hex digits")
        }
        let message = bytes(ts) + request.body
        var keys: [Curve25519.Signing.PublicKey] = []
        for secret in settings.secrets {
            guard let raw = Verdict.unhex(secret.value), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                return Verdict.invalid(name, "the configured key is not the application's public key (64 hex digits)")
            }
            keys.append(key)
        }
        if let k = keys.firstIndex(where: { $0.isValidSignature(signature, for: message) }) {
            return Verdict.valid(name, "Ed25519 signature matches\(Verdict.which(k, of: keys.count))")
        }
        return Verdict.invalid(name, "Ed25519 signature does not match the public key; signed content is {X-Signature-Timestamp}{body}; "
            + "received \(Verdict.shorten(header)); check the public key, or whether something changed the body on the way")
    }
}
