import HooktopCore

/// Box: `BOX-SIGNATURE-PRIMARY` / `BOX-SIGNATURE-SECONDARY`, BASE64
/// HMAC-SHA256 of `{body}{BOX-DELIVERY-TIMESTAMP}`, one per key; 10 minutes.
let boxScheme = HMACScheme(
    name: "box", header: "BOX-SIGNATURE-PRIMARY", algorithm: .sha256, encoding: .base64,
    recipe: "{body}{BOX-DELIVERY-TIMESTAMP}", defaultTolerance: 600, detectWith: ["BOX-SIGNATURE-PRIMARY", "BOX-DELIVERY-ID"]
) { request in
    let h = request.headers
    guard let stamp = h.first("BOX-DELIVERY-TIMESTAMP"), let time = Timestamp(iso8601: stamp) else {
        return .failure(.malformed("BOX-DELIVERY-TIMESTAMP", "missing or not RFC 3339"))
    }
    let signatures = ["BOX-SIGNATURE-PRIMARY", "BOX-SIGNATURE-SECONDARY"].compactMap { h.first($0) }
    return .success(.init(signatures: signatures, timestamp: time.seconds, message: request.body + stamp))
}
