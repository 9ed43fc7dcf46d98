import Foundation
import HooktopCore

/// Linear: `Linear-Signature: HEX` HMAC-SHA256 of the body. Its replay
/// protection is in the body: `webhookTimestamp` (Unix milliseconds), which
/// Linear's SDK refuses when it is more than 60 s from now.
struct LinearScheme: SignatureScheme {
    let name = "linear"
    let signatureHeader: String? = "Linear-Signature"
    static let defaultTolerance: Int64 = 60
    private let inner = GitHubScheme.prefixed(name: "linear", header: "Linear-Signature", prefix: "", algorithm: .sha256)

    var canResign: Bool { true }

    func resign(_ headers: HeaderList, body: [UInt8], secret: Secret, now: Int64) throws(ResignError) -> HeaderList {
        try inner.resign(headers, body: body, secret: secret, now: now)
    }

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        var result = inner.verify(request, settings)
        guard result.status == .valid, let millis = Self.webhookTimestamp(request.body) else { return result }
        let tolerance = settings.toleranceSeconds ?? Self.defaultTolerance
        if let problem = Verdict.timestampProblem(millis / 1000, now: request.now, tolerance: tolerance) {
            result.status = .expired
            result.detail = "signature matches, but webhookTimestamp: \(problem)"
        } else {
            result.detail = (result.detail ?? "") + "; " + Verdict.age(millis / 1000, now: request.now)
        }
        return result
    }

    /// The body's top-level `webhookTimestamp`, in milliseconds, when it has a whole-number one.
    static func webhookTimestamp(_ body: [UInt8]) -> Int64? {
        struct Stamped: Decodable { var webhookTimestamp: Int64? }
        guard body.first(where: { !$0.isJSONSpace }) == UInt8(ascii: "{") else { return nil }
        return (try? JSONDecoder().decode(Stamped.self, from: Data(body)))?.webhookTimestamp
    }
}
