import Foundation
import HooktopCore

/// Mailgun: the signature travels in the body — JSON `signature.{timestamp,
/// token, signature}` or form fields of those names — as HEX HMAC-SHA256 of
/// `{timestamp}{token}` with the webhook signing key.
struct MailgunScheme: SignatureScheme {
    let name = "mailgun"
    let signatureHeader: String? = nil

    func detect(_ request: SignedRequest) -> Bool { false }

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        guard let fields = Self.fields(request) else {
            return SignatureResult(scheme: name, status: .missing,
                                   detail: "expected signature.timestamp, signature.token and signature.signature in the body, none came")
        }
        guard let ts = Int64(fields.timestamp) else { return Verdict.invalid(name, "signature.timestamp is not a Unix timestamp") }
        let keys = settings.secrets.map { Array($0.value.utf8) }
        let message = bytes(fields.timestamp + fields.token)
        guard let received = Verdict.unhex(fields.signature) else { return Verdict.invalid(name, "signature.signature is not hex") }
        let timeProblem = settings.toleranceSeconds.flatMap { Verdict.timestampProblem(ts, now: request.now, tolerance: $0) }
        if let k = Verdict.firstMatch(received: [received], keys: keys, compute: { Verdict.hmac(.sha256, key: $0, message) }) {
            if let timeProblem { return SignatureResult(scheme: name, status: .expired, detail: "signature matches, but \(timeProblem)") }
            return Verdict.valid(name, "signature matches\(Verdict.which(k, of: keys.count)); \(Verdict.age(ts, now: request.now))")
        }
        let expected = keys.first.map { Verdict.hex(Verdict.hmac(.sha256, key: $0, message)) }
        return Verdict.invalid(name, Verdict.mismatch(recipe: "{signature.timestamp}{signature.token}", received: fields.signature,
                                                      expected: expected, keyCount: keys.count, extra: timeProblem))
    }

    static func fields(_ request: SignedRequest) -> (timestamp: String, token: String, signature: String)? {
        if let object = try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any],
           let sig = object["signature"] as? [String: Any],
           let ts = sig["timestamp"].map({ "\($0)" }), let token = sig["token"] as? String, let s = sig["signature"] as? String {
            return (ts, token, s)
        }
        let form = Dictionary(FormDecoding.pairs(request.body), uniquingKeysWith: { a, _ in a })
        if let ts = form["timestamp"], let token = form["token"], let s = form["signature"] { return (ts, token, s) }
        return nil
    }
}
