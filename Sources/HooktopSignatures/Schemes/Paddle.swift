/// Paddle Billing: `Paddle-Signature: ts=TS;h1=HEX[;h1=HEX]`, HMAC-SHA256 of
/// `{ts}:{body}`. Tolerance 5 s, as Paddle's SDKs default to.
let paddleScheme = HMACScheme(
    name: "paddle", header: "Paddle-Signature", algorithm: .sha256, encoding: .hex,
    recipe: "{ts}:{body}", defaultTolerance: 5, detectWith: [],
    write: { _, signature, now in [("Paddle-Signature", "ts=\(now);h1=\(signature)")] }
) { request in
    let pairs = HeaderParse.pairs(request.headers.first("Paddle-Signature") ?? "", separator: ";")
    guard let t = pairs.first(where: { $0.0 == "ts" })?.1, let ts = Int64(t) else {
        return .failure(.malformed("Paddle-Signature", "no ts= timestamp"))
    }
    let signatures = pairs.filter { $0.0 == "h1" }.map(\.1)
    guard !signatures.isEmpty else { return .failure(.malformed("Paddle-Signature", "no h1= signature")) }
    return .success(.init(signatures: signatures, timestamp: ts, message: bytes("\(ts):") + request.body))
}
