/// Slack: `X-Slack-Signature: v0=HEX` of `v0:{X-Slack-Request-Timestamp}:{body}`.
let slackScheme = v0Scheme(name: "slack", signature: "X-Slack-Signature", timestamp: "X-Slack-Request-Timestamp")

/// The `v0=HEX` HMAC-SHA256 of `v0:{timestamp}:{body}` that Slack and Zoom
/// both use, with a 300 s tolerance; only the header names differ.
func v0Scheme(name: String, signature: String, timestamp: String) -> HMACScheme {
    HMACScheme(name: name, header: signature, algorithm: .sha256, encoding: .hex,
               recipe: "v0:{\(timestamp)}:{body}", defaultTolerance: 300, detectWith: [],
               write: { _, sig, now in [(timestamp, String(now)), (signature, "v0=" + sig)] }) { request in
        HeaderParse.timestamp(request.headers.first(timestamp), header: timestamp).flatMap { ts in
            HeaderParse.stripping("v0=", from: request.headers.first(signature) ?? "", header: signature).map {
                .init(signatures: [$0], timestamp: ts, message: bytes("v0:\(ts):") + request.body)
            }
        }
    }
}
