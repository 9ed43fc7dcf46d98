/// Shopify: `X-Shopify-Hmac-Sha256: BASE64` HMAC-SHA256 of the body.
let shopifyScheme = HMACScheme(
    name: "shopify", header: "X-Shopify-Hmac-Sha256", algorithm: .sha256, encoding: .base64,
    recipe: "{body}", defaultTolerance: nil, detectWith: [],
    write: { _, signature, _ in [("X-Shopify-Hmac-Sha256", signature)] }
) { request in
    .success(.init(signatures: [request.headers.first("X-Shopify-Hmac-Sha256") ?? ""], timestamp: nil, message: request.body))
}
