import HooktopCore

/// Signs a request afresh with a source's secret and the current time, for
/// `replay --resign`: targets that check timestamps reject old requests.
/// Schemes signed with a private key held by the provider (Ed25519, ECDSA)
/// cannot be re-signed here.
public enum ReSigner {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The schemes `resign` can sign.
    public static var schemes: [String] { Array(signers.keys).sorted() }

    /// The request's headers with its signature (and timestamp) replaced.
    public static func resign(headers: HeaderList, body: [UInt8], scheme: String, secret: Secret,
                              now: Int64) throws(Failure) -> HeaderList {
        guard let signer = signers[scheme] else {
            throw Failure(description: "cannot re-sign \(scheme) requests (it can: \(schemes.joined(separator: ", ")))")
        }
        return try signer(headers, body, secret.value, now)
    }

    typealias Signer = @Sendable (HeaderList, [UInt8], String, Int64) throws(Failure) -> HeaderList

    static func replacing(_ headers: HeaderList, _ values: [(String, String)]) -> HeaderList {
        var out = headers
        for (name, value) in values {
            if let i = out.fields.firstIndex(where: { $0.name.caseInsensitiveEquals(name) }) {
                // Keep the first field's place and spelling; drop any repeats.
                var fields = out.fields.enumerated().filter { $0.offset == i || !$0.element.name.caseInsensitiveEquals(name) }.map(\.element)
                if let j = fields.firstIndex(where: { $0.name.caseInsensitiveEquals(name) }) { fields[j].value = value }
                out = HeaderList(fields)
            } else {
                out.append(name, value)
            }
        }
        return out
    }

    static func hex(_ key: String, _ message: [UInt8]) -> String { Verdict.hex(Verdict.hmac(.sha256, key: bytes(key), message)) }
    static func b64(_ key: String, _ message: [UInt8], _ a: Config.HMACSpec.Algorithm = .sha256) -> String {
        Verdict.base64(Verdict.hmac(a, key: bytes(key), message))
    }

    static func standard(_ prefix: String) -> Signer {
        { (h: HeaderList, body: [UInt8], secret: String, now: Int64) throws(Failure) -> HeaderList in
            guard secret.hasPrefix("whsec_") || !secret.hasPrefix("whpk_"),
                  let key = Verdict.unbase64(secret.hasPrefix("whsec_") ? secret.dropFirst(6) : Substring(secret)) else {
                throw Failure(description: "re-signing needs the whsec_ secret, not a public key")
            }
            let id = h.first("\(prefix)-id") ?? "msg_\(now)"
            let sig = Verdict.base64(Verdict.hmac(.sha256, key: key, bytes("\(id).\(now).") + body))
            return replacing(h, [("\(prefix)-id", id), ("\(prefix)-timestamp", String(now)), ("\(prefix)-signature", "v1,\(sig)")])
        }
    }

    static let signers: [String: Signer] = [
        "stripe": { h, body, secret, now in replacing(h, [("Stripe-Signature", "t=\(now),v1=\(hex(secret, bytes("\(now).") + body))")]) },
        "standard": standard("webhook"),
        "svix": standard("svix"),
        "slack": { h, body, secret, now in
            replacing(h, [("X-Slack-Request-Timestamp", String(now)), ("X-Slack-Signature", "v0=" + hex(secret, bytes("v0:\(now):") + body))])
        },
        "zoom": { h, body, secret, now in
            replacing(h, [("x-zm-request-timestamp", String(now)), ("x-zm-signature", "v0=" + hex(secret, bytes("v0:\(now):") + body))])
        },
        "paddle": { h, body, secret, now in replacing(h, [("Paddle-Signature", "ts=\(now);h1=" + hex(secret, bytes("\(now):") + body))]) },
        "calendly": { h, body, secret, now in
            replacing(h, [("Calendly-Webhook-Signature", "t=\(now),v1=" + hex(secret, bytes("\(now).") + body))])
        },
        "twitch": { h, body, secret, now in
            let id = h.first("Twitch-Eventsub-Message-Id") ?? "resigned-\(now)"
            let stamp = Timestamp(seconds: now).iso8601
            return replacing(h, [("Twitch-Eventsub-Message-Id", id), ("Twitch-Eventsub-Message-Timestamp", stamp),
                                 ("Twitch-Eventsub-Message-Signature", "sha256=" + hex(secret, bytes(id + stamp) + body))])
        },
        "github": { h, body, secret, _ in replacing(h, [("X-Hub-Signature-256", "sha256=" + hex(secret, body))]) },
        "meta": { h, body, secret, _ in replacing(h, [("X-Hub-Signature-256", "sha256=" + hex(secret, body))]) },
        "shopify": { h, body, secret, _ in replacing(h, [("X-Shopify-Hmac-Sha256", b64(secret, body))]) },
        "typeform": { h, body, secret, _ in replacing(h, [("Typeform-Signature", "sha256=" + b64(secret, body))]) },
        "linear": { h, body, secret, _ in replacing(h, [("Linear-Signature", hex(secret, body))]) },
        "intercom": { h, body, secret, _ in
            replacing(h, [("X-Hub-Signature", "sha1=" + Verdict.hex(Verdict.hmac(.sha1, key: bytes(secret), body)))])
        },
        "dropbox": { h, body, secret, _ in replacing(h, [("X-Dropbox-Signature", hex(secret, body))]) },
        "asana": { h, body, secret, _ in replacing(h, [("X-Hook-Signature", hex(secret, body))]) },
        "x": { h, body, secret, _ in replacing(h, [("x-twitter-webhooks-signature", "sha256=" + b64(secret, body))]) },
        "pagerduty": { h, body, secret, _ in replacing(h, [("X-PagerDuty-Signature", "v1=" + hex(secret, body))]) },
        "gitlab": { h, _, secret, _ in replacing(h, [("X-Gitlab-Token", secret)]) },
    ]
}
