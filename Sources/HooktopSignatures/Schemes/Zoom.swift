/// Zoom: `x-zm-signature: v0=HEX` of `v0:{x-zm-request-timestamp}:{body}`.
let zoomScheme = HMACScheme(
    name: "zoom", header: "x-zm-signature", algorithm: .sha256, encoding: .hex,
    recipe: "v0:{x-zm-request-timestamp}:{body}", defaultTolerance: 300, detectWith: []
) { request in
    HeaderParse.timestamp(request.headers.first("x-zm-request-timestamp"), header: "x-zm-request-timestamp").flatMap { ts in
        HeaderParse.stripping("v0=", from: request.headers.first("x-zm-signature") ?? "", header: "x-zm-signature").map {
            .init(signatures: [$0], timestamp: ts, message: bytes("v0:\(ts):") + request.body)
        }
    }
}
