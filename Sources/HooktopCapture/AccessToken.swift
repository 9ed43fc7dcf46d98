import HooktopCore
import NIOConcurrencyHelpers

/// The token a daemon on an open interface asks senders for: in the
/// `X-Hooktop-Token` header, or as a path prefix `/t/<token>/…` for
/// providers that only take a URL. Compared in constant time; taken out of
/// the request before it is stored or forwarded, so it is never in the
/// database, an export or a target's logs.
struct AccessToken: Sendable {
    static let header = "X-Hooktop-Token"
    static let pathPrefix = "/t/"

    let secret: Secret
    /// Requests refused for want of it, since the daemon started.
    let refusals = RefusalCount()

    /// Whether the request carries the token; when it does, the request
    /// comes back without it (header removed, path prefix cut).
    func admit(_ request: inout CapturedRequest) -> Bool {
        let expected = Array(secret.value.utf8)
        let headerValues = request.headers.all(Self.header)
        if headerValues.contains(where: { ConstantTime.equals(Array($0.utf8), expected) }) {
            request.headers.remove(Self.header)
            return true
        }
        guard request.target.hasPrefix(Self.pathPrefix) else { return false }
        let rest = request.target.dropFirst(Self.pathPrefix.count)
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        guard ConstantTime.equals(Array(rest[..<end].utf8), expected) else { return false }
        let remainder = String(rest[end...])
        request.target = remainder.hasPrefix("/") ? remainder : "/" + remainder
        return true
    }

    /// What a sender without the token is answered.
    static let refused = RecordedResponse(status: 401, headers: HeaderList([("Content-Type", "application/json")]),
                                          body: Array(#"{"ok":false,"error":"a valid access token is required"}"#.utf8))
}

/// How many senders were turned away without the token (they are not stored).
final class RefusalCount: Sendable {
    private let count = NIOLockedValueBox(0)
    func add() { count.withLockedValue { $0 += 1 } }
    var value: Int { count.withLockedValue { $0 } }
}
