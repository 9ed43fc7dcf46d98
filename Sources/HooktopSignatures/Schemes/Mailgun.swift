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
        if let sig = try? JSONDecoder().decode(Signed.self, from: Data(request.body)).signature {
            return (sig.timestamp.text, sig.token, sig.signature)
        }
        let form = Dictionary(FormDecoding.pairs(request.body), uniquingKeysWith: { a, _ in a })
        if let ts = form["timestamp"], let token = form["token"], let s = form["signature"] { return (ts, token, s) }
        return nil
    }
}

/// Mailgun's JSON webhooks: `{"signature": {"timestamp": "…", "token": "…", "signature": "…"}}`.
private struct Signed: Decodable {
    struct Fields: Decodable {
        var timestamp: Stamp
        var token: String
        var signature: String
    }

    /// Mailgun writes the timestamp as a string; some senders write a number. Either is signed as its text.
    struct Stamp: Decodable {
        var text: String
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { text = s } else { text = String(try c.decode(Int64.self)) }
        }
    }

    var signature: Fields
}
