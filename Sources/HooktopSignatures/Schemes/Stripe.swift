/// Stripe: `Stripe-Signature: t=TS,v1=HEX[,v1=HEX]`, HMAC-SHA256 of `{t}.{body}`.
let stripeScheme = HMACScheme(
    name: "stripe", header: "Stripe-Signature", algorithm: .sha256, encoding: .hex,
    recipe: "{t}.{body}", defaultTolerance: 300, detectWith: [],
    write: { _, signature, now in [("Stripe-Signature", "t=\(now),v1=\(signature)")] }
) { request in
    let pairs = HeaderParse.pairs(request.headers.first("Stripe-Signature") ?? "")
    guard let t = pairs.first(where: { $0.0 == "t" })?.1 else { return .failure(.malformed("Stripe-Signature", "no t= timestamp")) }
    guard let ts = Int64(t) else { return .failure(.malformed("Stripe-Signature", "t=\(t.prefix(20)) is not a Unix timestamp")) }
    let signatures = pairs.filter { $0.0 == "v1" }.map(\.1)
    guard !signatures.isEmpty else { return .failure(.malformed("Stripe-Signature", "no v1= signature (only test-mode v0?)")) }
    return .success(.init(signatures: signatures, timestamp: ts, message: bytes("\(ts).") + request.body))
}
