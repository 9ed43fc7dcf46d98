import HooktopCore

/// Twitch EventSub: `Twitch-Eventsub-Message-Signature: sha256=HEX` of
/// `{message-id}{message-timestamp}{body}`; timestamps older than 10 minutes are refused.
let twitchScheme = HMACScheme(
    name: "twitch", header: "Twitch-Eventsub-Message-Signature", algorithm: .sha256, encoding: .hex,
    recipe: "{Twitch-Eventsub-Message-Id}{Twitch-Eventsub-Message-Timestamp}{body}", defaultTolerance: 600, detectWith: [],
    write: { h, signature, now in
        [("Twitch-Eventsub-Message-Id", h.first("Twitch-Eventsub-Message-Id") ?? "resigned-\(now)"),
         ("Twitch-Eventsub-Message-Timestamp",
          min(max(Timestamp(seconds: now), Timestamp.representable.lowerBound), Timestamp.representable.upperBound).iso8601),
         ("Twitch-Eventsub-Message-Signature", "sha256=" + signature)]
    }
) { request in
    let h = request.headers
    guard let id = h.first("Twitch-Eventsub-Message-Id") else { return .failure(.malformed("Twitch-Eventsub-Message-Id", "missing")) }
    guard let stamp = h.first("Twitch-Eventsub-Message-Timestamp"), let time = Timestamp(iso8601: stamp) else {
        return .failure(.malformed("Twitch-Eventsub-Message-Timestamp", "missing or not RFC 3339"))
    }
    return HeaderParse.stripping("sha256=", from: h.first("Twitch-Eventsub-Message-Signature") ?? "",
                                 header: "Twitch-Eventsub-Message-Signature").map {
        .init(signatures: [$0], timestamp: time.seconds, message: bytes(id + stamp) + request.body)
    }
}
