/// A callback hooktop was told to expect (`hooktop expect`): a job API was
/// handed `/cb/<token>` as its `callback_url`, and requests to that URL are
/// tagged with the label.
public struct Expectation: Sendable, Equatable {
    /// Where an expected callback stands. Before its deadline with nothing
    /// yet it is `waiting`; past the deadline with nothing by then it is
    /// `overdue` (a late callback attaches but leaves it overdue, so the
    /// lateness shows); a callback by the deadline makes it `done`.
    public enum State: String, Sendable, CaseIterable {
        case waiting, overdue, done
    }

    public var token: String
    public var label: String
    public var createdAt: Timestamp
    /// nil: no deadline (`--within` not given).
    public var deadline: Timestamp?
    /// The URL to hand out.
    public var url: String
    /// Ids of the requests that came to it, oldest first.
    public var callbacks: [Int64]
    /// When the first of them came.
    public var firstCallbackAt: Timestamp?

    public init(token: String, label: String, createdAt: Timestamp, deadline: Timestamp?, url: String,
                callbacks: [Int64] = [], firstCallbackAt: Timestamp? = nil) {
        self.token = token
        self.label = label
        self.createdAt = createdAt
        self.deadline = deadline
        self.url = url
        self.callbacks = callbacks
        self.firstCallbackAt = firstCallbackAt
    }

    public func state(now: Timestamp) -> State {
        if let first = firstCallbackAt { return Self.arrival(at: first, deadline: deadline) }
        if let deadline, now > deadline { return .overdue }
        return .waiting
    }

    /// What a callback arriving at `at` makes of its expectation.
    public static func arrival(at: Timestamp, deadline: Timestamp?) -> State {
        guard let deadline else { return .done }
        return at <= deadline ? .done : .overdue
    }

    /// The path prefix of every expected callback.
    public static let pathPrefix = "/cb/"
    /// Tokens are 128 random bits in lowercase hex.
    public static let tokenLength = 32

    /// The token of a request to `/cb/<token>` (with anything after it), or nil.
    public static func token(inTarget target: String) -> String? {
        guard target.hasPrefix(pathPrefix) else { return nil }
        let token = target.utf8.dropFirst(pathPrefix.utf8.count).prefix(tokenLength)
        guard token.count == tokenLength, token.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        let rest = target.utf8.dropFirst(pathPrefix.utf8.count + tokenLength).first
        guard rest == nil || rest == UInt8(ascii: "/") || rest == UInt8(ascii: "?") else { return nil }
        return String(decoding: token, as: UTF8.self)
    }

    /// A fresh, unguessable token.
    public static func newToken() -> String {
        var rng = SystemRandomNumberGenerator()
        return (0..<tokenLength / 16).map { _ in
            let n = rng.next() as UInt64
            let hex = String(n, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
