import Crypto
import HooktopCore

/// Standard Webhooks (and Svix, the same under `svix-*`): `{prefix}-signature`
/// holds space-separated `v1,BASE64` (HMAC-SHA256 with a `whsec_` secret) and
/// `v1a,BASE64` (Ed25519 with a `whpk_` public key) over `{id}.{timestamp}.{body}`.
/// Svix's SDK also reads the unbranded `webhook-*` names, so `svix` does too.
struct StandardWebhooksScheme: SignatureScheme {
    let name: String
    let brandedPrefix: String
    /// Header names also read when the branded ones are absent.
    let alsoPrefix: String?
    /// `{brandedPrefix}-signature`, made once: detection asks for it for every request captured.
    let brandedHeader: String
    var signatureHeader: String? { brandedHeader }
    let defaultTolerance: Int64 = 300

    init(name: String, brandedPrefix: String, alsoPrefix: String? = nil) {
        self.name = name
        self.brandedPrefix = brandedPrefix
        self.alsoPrefix = alsoPrefix
        brandedHeader = "\(brandedPrefix)-signature"
    }

    /// The prefix of the headers this request carries: the branded one, else the unbranded one this scheme also reads.
    func prefix(of headers: HeaderList) -> String {
        if let also = alsoPrefix, !headers.contains(brandedHeader), headers.contains("\(also)-signature") { return also }
        return brandedPrefix
    }

    func carriesSignature(_ request: SignedRequest, _ settings: SignatureSettings) -> Bool? {
        request.headers.contains("\(prefix(of: request.headers))-signature")
    }

    /// What is signed: `{id}.{timestamp}.{body}`.
    static func signed(id: String, timestamp: Int64, body: [UInt8]) -> [UInt8] { bytes("\(id).\(timestamp).") + body }

    var canResign: Bool { true }

    /// Signs `v1` with the `whsec_` secret; a `whpk_` public key cannot sign.
    func resign(_ headers: HeaderList, body: [UInt8], secret: Secret, now: Int64) throws(ResignError) -> HeaderList {
        let prefix = self.prefix(of: headers)
        let v = secret.value
        guard !v.hasPrefix("whpk_"), let key = Verdict.unbase64(v.hasPrefix("whsec_") ? v.dropFirst(6) : Substring(v)) else {
            throw .needsSigningSecret(name)
        }
        let id = headers.first("\(prefix)-id") ?? "msg_\(now)"
        let signature = Verdict.base64(Verdict.hmac(.sha256, key: key, Self.signed(id: id, timestamp: now, body: body)))
        return headers.replacing([("\(prefix)-id", id), ("\(prefix)-timestamp", String(now)), ("\(prefix)-signature", "v1,\(signature)")])
    }

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        let h = request.headers
        let prefix = self.prefix(of: h)
        guard let header = h.first("\(prefix)-signature") else { return Verdict.missing(name, "\(prefix)-signature") }
        guard let id = h.first("\(prefix)-id") else { return Verdict.malformed(name, "\(prefix)-id", "missing") }
        let ts: Int64
        switch HeaderParse.timestamp(h.first("\(prefix)-timestamp"), header: "\(prefix)-timestamp") {
        case .success(let t): ts = t
        case .failure(let p): return SignatureResult(scheme: name, status: .invalid, detail: p.detail)
        }
        let entries = header.split(separator: " ").compactMap { entry -> (String, [UInt8])? in
            guard let comma = entry.firstIndex(of: ",") else { return nil }
            guard let sig = Verdict.unbase64(entry[entry.index(after: comma)...]) else { return nil }
            return (String(entry[..<comma]), sig)
        }
        guard !entries.isEmpty else { return Verdict.malformed(name, "\(prefix)-signature", "expected 'v1,BASE64' entries") }
        let message = Self.signed(id: id, timestamp: ts, body: request.body)
        let recipe = "{\(prefix)-id}.{\(prefix)-timestamp}.{body}"

        var badSecrets: [String] = []
        var symmetric: [[UInt8]] = []
        var publicKeys: [Curve25519.Signing.PublicKey] = []
        for (i, secret) in settings.secrets.enumerated() {
            let v = secret.value
            if v.hasPrefix("whpk_"), let raw = Verdict.unbase64(v.dropFirst(5)), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) {
                publicKeys.append(key)
            } else if let raw = Verdict.unbase64(v.hasPrefix("whsec_") ? v.dropFirst(6) : Substring(v)), !raw.isEmpty {
                symmetric.append(raw)
            } else {
                badSecrets.append("secret \(i + 1) is neither whsec_BASE64 nor whpk_BASE64")
            }
        }
        let v1 = entries.filter { $0.0 == "v1" }.map(\.1)
        let v1a = entries.filter { $0.0 == "v1a" }.map(\.1)
        let tolerance = settings.toleranceSeconds ?? defaultTolerance
        let timeProblem = Verdict.timestampProblem(ts, now: request.now, tolerance: tolerance)

        var matched: String?
        if let k = Verdict.firstMatch(received: v1, keys: symmetric, compute: { Verdict.hmac(.sha256, key: $0, message) }) {
            matched = "v1 matches" + Verdict.which(k, of: symmetric.count)
        } else if let k = publicKeys.firstIndex(where: { key in v1a.contains { key.isValidSignature($0, for: message) } }) {
            matched = "v1a (Ed25519) matches" + Verdict.which(k, of: publicKeys.count)
        }
        if let matched {
            if let timeProblem { return SignatureResult(scheme: name, status: .expired, detail: "\(matched), but \(timeProblem)") }
            return Verdict.valid(name, "\(matched); \(Verdict.age(ts, now: request.now))")
        }
        if symmetric.isEmpty && publicKeys.isEmpty {
            return Verdict.invalid(name, badSecrets.joined(separator: "; "))
        }
        var extra = [String]()
        if let timeProblem { extra.append(timeProblem) }
        if !v1a.isEmpty && publicKeys.isEmpty { extra.append("the sender used v1a (Ed25519): configure its whpk_ public key") }
        if !v1.isEmpty && symmetric.isEmpty { extra.append("the sender used v1 (HMAC): configure its whsec_ secret") }
        let expected = symmetric.first.map { "v1," + Verdict.base64(Verdict.hmac(.sha256, key: $0, message)) }
        let received = header.split(separator: " ").first.map(String.init) ?? header
        return Verdict.invalid(name, Verdict.mismatch(recipe: recipe, received: received, expected: expected,
                                                      keyCount: symmetric.count + publicKeys.count,
                                                      extra: extra.isEmpty ? nil : extra.joined(separator: "; ")))
    }
}
