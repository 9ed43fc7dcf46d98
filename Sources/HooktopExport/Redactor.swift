import Foundation
import HooktopCore

/// Takes secrets out of requests before they leave: credential, cookie,
/// signature and token headers, and named JSON paths in bodies.
public struct Redactor: Sendable {
    /// Removed by `--redact` unless the user names others as well.
    public static let defaultHeaders: [String] = [
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie",
        "Stripe-Signature", "X-Hub-Signature", "X-Hub-Signature-256", "webhook-signature", "svix-signature",
        "X-Slack-Signature", "X-Shopify-Hmac-Sha256", "X-Twilio-Signature", "Paddle-Signature",
        "x-square-hmacsha256-signature", "x-square-signature", "x-zm-signature", "X-Signature-Ed25519",
        "X-Gitlab-Token", "Twitch-Eventsub-Message-Signature", "Linear-Signature", "Typeform-Signature",
        "Calendly-Webhook-Signature", "X-PagerDuty-Signature", "BOX-SIGNATURE-PRIMARY", "BOX-SIGNATURE-SECONDARY",
        "X-Dropbox-Signature", "X-Hook-Signature", "X-Hook-Secret", "x-twitter-webhooks-signature",
        "X-Twilio-Email-Event-Webhook-Signature", "X-Api-Key", "X-Auth-Token",
    ]

    public var headers: [String]
    /// Dotted paths into JSON bodies (`data.object.customer`, `items.0.card`).
    public var jsonPaths: [[String]]

    public init(extraHeaders: [String] = [], jsonPaths: [String] = []) {
        headers = Self.defaultHeaders + extraHeaders
        self.jsonPaths = jsonPaths.map { $0.split(separator: ".").map(String.init) }
    }

    public func redact(_ request: CapturedRequest) -> CapturedRequest {
        var r = request
        for name in headers { r.headers.remove(name) }
        // Header names that speak of secrets, whatever the provider calls them.
        for field in r.headers.fields where ["token", "secret", "signature", "password"].contains(where: { field.name.lowercased().contains($0) }) {
            r.headers.remove(field.name)
        }
        if !jsonPaths.isEmpty, var object = try? JSONSerialization.jsonObject(with: Data(r.body), options: [.fragmentsAllowed]) {
            var changed = false
            for path in jsonPaths { object = Self.replace(object, path[...], &changed) }
            if changed, let data = try? JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed, .sortedKeys, .withoutEscapingSlashes]) {
                r.body = Array(data)
                r.bodySize = r.body.count
            }
        }
        r.signature.detail = nil
        return r
    }

    private static func replace(_ value: Any, _ path: ArraySlice<String>, _ changed: inout Bool) -> Any {
        guard let key = path.first else {
            changed = true
            return "[redacted]"
        }
        if var dict = value as? [String: Any], let child = dict[key] {
            dict[key] = replace(child, path.dropFirst(), &changed)
            return dict
        }
        if var array = value as? [Any] {
            if key == "*" { return array.map { replace($0, path.dropFirst(), &changed) } }
            if let i = Int(key), array.indices.contains(i) {
                array[i] = replace(array[i], path.dropFirst(), &changed)
                return array
            }
        }
        return value
    }
}
