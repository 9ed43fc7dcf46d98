import Crypto
import Foundation
import HooktopCore

/// SendGrid Event Webhook: `X-Twilio-Email-Event-Webhook-Signature` is a
/// BASE64 DER ECDSA P-256 signature of `{timestamp}{body}`, checked with the
/// verification key (BASE64 DER, or PEM).
struct SendGridScheme: SignatureScheme {
    let name = "sendgrid"
    let signatureHeader: String? = "X-Twilio-Email-Event-Webhook-Signature"
    static let timestampHeader = "X-Twilio-Email-Event-Webhook-Timestamp"

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        guard let header = request.headers.first(signatureHeader!) else { return Verdict.missing(name, signatureHeader!) }
        guard let ts = request.headers.first(Self.timestampHeader) else { return Verdict.malformed(name, Self.timestampHeader, "missing") }
        guard let der = Verdict.unbase64(header), let signature = try? P256.Signing.ECDSASignature(derRepresentation: der) else {
            return Verdict.malformed(name, signatureHeader!, "not a base64 DER ECDSA signature")
        }
        let message = Data(bytes(ts) + request.body)
        var keys: [P256.Signing.PublicKey] = []
        for secret in settings.secrets {
            guard let key = Self.publicKey(secret.value) else {
                return Verdict.invalid(name, "the configured verification key is not a P-256 public key (base64 DER or PEM)")
            }
            keys.append(key)
        }
        if let k = keys.firstIndex(where: { $0.isValidSignature(signature, for: message) }) {
            let age = Int64(ts).map { "; " + Verdict.age($0, now: request.now) } ?? ""
            return Verdict.valid(name, "ECDSA signature matches\(Verdict.which(k, of: keys.count))\(age)")
        }
        return Verdict.invalid(name, "ECDSA signature does not match the verification key; signed content is {\(Self.timestampHeader)}{body}; "
            + "received \(Verdict.shorten(header)); check the key, or whether something changed the body on the way")
    }

    static func publicKey(_ text: String) -> P256.Signing.PublicKey? {
        if text.contains("BEGIN PUBLIC KEY") { return try? P256.Signing.PublicKey(pemRepresentation: text) }
        return Verdict.unbase64(text).flatMap { try? P256.Signing.PublicKey(derRepresentation: $0) }
    }
}
