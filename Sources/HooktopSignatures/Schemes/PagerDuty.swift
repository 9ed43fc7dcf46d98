/// PagerDuty v3: `X-PagerDuty-Signature: v1=HEX[,v1=HEX]` of the body (one per active secret).
let pagerdutyScheme = HMACScheme(
    name: "pagerduty", header: "X-PagerDuty-Signature", algorithm: .sha256, encoding: .hex,
    recipe: "{body}", defaultTolerance: nil, detectWith: [],
    write: { _, signature, _ in [("X-PagerDuty-Signature", "v1=" + signature)] }
) { request in
    let signatures = (request.headers.first("X-PagerDuty-Signature") ?? "").split(separator: ",")
        .map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("v1=") }.map { String($0.dropFirst(3)) }
    guard !signatures.isEmpty else { return .failure(.malformed("X-PagerDuty-Signature", "no v1= signature")) }
    return .success(.init(signatures: signatures, timestamp: nil, message: request.body))
}

import Foundation
