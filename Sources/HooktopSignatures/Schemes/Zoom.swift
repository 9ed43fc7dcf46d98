/// Zoom: `x-zm-signature: v0=HEX` of `v0:{x-zm-request-timestamp}:{body}`.
let zoomScheme = v0Scheme(name: "zoom", signature: "x-zm-signature", timestamp: "x-zm-request-timestamp")
