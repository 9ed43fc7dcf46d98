/// Slack: `X-Slack-Signature: v0=HEX` of `v0:{X-Slack-Request-Timestamp}:{body}`.
let slackScheme = HMACScheme(
    name: "slack", header: "X-Slack-Signature", algorithm: .sha256, encoding: .hex,
    recipe: "v0:{X-Slack-Request-Timestamp}:{body}", defaultTolerance: 300, detectWith: []
) { request in
    HeaderParse.timestamp(request.headers.first("X-Slack-Request-Timestamp"), header: "X-Slack-Request-Timestamp").flatMap { ts in
        HeaderParse.stripping("v0=", from: request.headers.first("X-Slack-Signature") ?? "", header: "X-Slack-Signature").map {
            .init(signatures: [$0], timestamp: ts, message: bytes("v0:\(ts):") + request.body)
        }
    }
}
