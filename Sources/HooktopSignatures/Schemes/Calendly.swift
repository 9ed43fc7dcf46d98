/// Calendly: `Calendly-Webhook-Signature: t=TS,v1=HEX`, HMAC-SHA256 of `{t}.{body}`; 3 minutes.
let calendlyScheme = HMACScheme(
    name: "calendly", header: "Calendly-Webhook-Signature", algorithm: .sha256, encoding: .hex,
    recipe: "{t}.{body}", defaultTolerance: 180, detectWith: [],
    write: { _, signature, now in [("Calendly-Webhook-Signature", "t=\(now),v1=\(signature)")] }
) { request in
    let pairs = HeaderParse.pairs(request.headers.first("Calendly-Webhook-Signature") ?? "")
    guard let t = pairs.first(where: { $0.0 == "t" })?.1, let ts = Int64(t) else {
        return .failure(.malformed("Calendly-Webhook-Signature", "no t= timestamp"))
    }
    let signatures = pairs.filter { $0.0 == "v1" }.map(\.1)
    guard !signatures.isEmpty else { return .failure(.malformed("Calendly-Webhook-Signature", "no v1= signature")) }
    return .success(.init(signatures: signatures, timestamp: ts, message: bytes("\(ts).") + request.body))
}
