/// One attempt to hand a captured request on to its target.
public struct DeliveryAttempt: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable { case forward, retry, replay }

    public var attempt: Int
    public var kind: Kind
    public var url: String
    public var startedAt: Timestamp
    public var durationMicros: Int64
    /// The target's status code, or nil when no answer came.
    public var status: Int?
    /// Why no answer came (connection refused, timeout...), or nil.
    public var error: String?
    /// The target's response headers and the first 64 KiB of its body.
    public var responseHeaders: HeaderList = HeaderList()
    public var responseBody: [UInt8] = []

    public init(attempt: Int, kind: Kind, url: String, startedAt: Timestamp,
                durationMicros: Int64, status: Int?, error: String?,
                responseHeaders: HeaderList = HeaderList(), responseBody: [UInt8] = []) {
        self.responseHeaders = responseHeaders
        self.responseBody = responseBody
        self.attempt = attempt
        self.kind = kind
        self.url = url
        self.startedAt = startedAt
        self.durationMicros = durationMicros
        self.status = status
        self.error = error
    }
}

public enum DeliveryState: String, Sendable, CaseIterable {
    case none, pending, retrying, delivered, failed
}
