/// One HTTP request as hooktop received it, with what it answered and what
/// became of it since. Plain value: no I/O.
public struct CapturedRequest: Sendable, Equatable {
    /// Row id; 0 until the store has assigned one.
    public var id: Int64
    public var receivedAt: Timestamp
    /// `ip:port` of the sender (`[v6]:port` for IPv6).
    public var remote: String
    public var method: String
    /// The request target exactly as sent: path and query.
    public var target: String
    /// `HTTP/1.1`.
    public var version: String
    public var headers: HeaderList
    /// The body bytes kept (all of them unless `bodyTruncated`).
    public var body: [UInt8]
    /// Size of the whole body as sent, even when it was not kept.
    public var bodySize: Int
    public var bodyTruncated: Bool
    /// Name of the configured source that matched, if any.
    public var source: String?
    public var signature: SignatureResult
    public var response: RecordedResponse
    public var deliveries: [DeliveryAttempt]
    public var deliveryState: DeliveryState
    /// The provider's id for this delivery (see `DeliveryID`), if it sent one.
    public var deliveryID: String?
    /// The first earlier request with the same delivery id: a provider retry
    /// or a duplicate the application would process twice. Set by the store.
    public var duplicateOf: Int64?
    /// Where it is delivered (nil: no target).
    public var targetURL: String?
    /// When the next scheduled attempt is due (while pending or retrying).
    public var nextAttemptAt: Timestamp?
    /// How many scheduled attempts (forward and retries) were made.
    public var scheduledAttempts: Int = 0
    /// Why delivery stopped, when it did (410, schedule exhausted).
    public var deliveryNote: String?
    /// What was wrong with a request recorded only as far as it was read
    /// (the client disconnected mid-body, bad chunking, a stalled body).
    public var error: String?
    /// Chunked trailer fields, in order, when the sender sent any.
    public var trailers: HeaderList = HeaderList()
    /// The `hooktop expect` label of the URL it came to, if any. Set by the store.
    public var label: String?
    /// Whether it came by its expectation's deadline (`done`) or after it
    /// (`overdue`); nil when it was not expected. Set by the store.
    public var arrival: Expectation.State?
    /// Which daemon captured it (`serve --node`, else the host name); nil
    /// for requests stored before hooktop recorded it.
    public var node: String?

    public init(
        id: Int64 = 0, receivedAt: Timestamp, remote: String, method: String, target: String,
        version: String = "HTTP/1.1", headers: HeaderList, body: [UInt8], bodySize: Int? = nil,
        bodyTruncated: Bool = false, source: String? = nil, signature: SignatureResult = .none,
        response: RecordedResponse = .defaultOK, deliveries: [DeliveryAttempt] = [],
        deliveryState: DeliveryState = .none, deliveryID: String? = nil, duplicateOf: Int64? = nil,
        targetURL: String? = nil, nextAttemptAt: Timestamp? = nil, scheduledAttempts: Int = 0, deliveryNote: String? = nil
    ) {
        self.id = id
        self.receivedAt = receivedAt
        self.remote = remote
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.bodySize = bodySize ?? body.count
        self.bodyTruncated = bodyTruncated
        self.source = source
        self.signature = signature
        self.response = response
        self.deliveries = deliveries
        self.deliveryState = deliveryState
        self.deliveryID = deliveryID
        self.duplicateOf = duplicateOf
        self.targetURL = targetURL
        self.nextAttemptAt = nextAttemptAt
        self.scheduledAttempts = scheduledAttempts
        self.deliveryNote = deliveryNote
    }

    /// The target up to `?` (the whole target when there is no query).
    public var path: String { RequestTarget.path(target) }

    /// The part after the first `?`, or the empty string.
    public var query: String { RequestTarget.query(target) }
}

/// A request target split at its first `?` byte: the path before it, the
/// query after it. By bytes, not Characters: the capture path asks this
/// several times per request, and a Character search breaks graphemes
/// (a `?` followed by a combining mark still ends the path).
public enum RequestTarget {
    public static func path(_ target: String) -> String {
        guard let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return target }
        return String(target[..<q])
    }

    public static func query(_ target: String) -> String {
        guard let q = target.utf8.firstIndex(of: UInt8(ascii: "?")) else { return "" }
        return String(target[target.utf8.index(after: q)...])
    }
}

/// What hooktop answered to the sender.
public struct RecordedResponse: Sendable, Equatable {
    public var status: Int
    public var headers: HeaderList
    public var body: [UInt8]
    /// From the end of the request to the answer being ready, in microseconds.
    /// The wait for the group commit is not included: it is the same for every
    /// request of a batch and says nothing about this one.
    public var durationMicros: Int64

    public init(status: Int, headers: HeaderList, body: [UInt8], durationMicros: Int64 = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.durationMicros = durationMicros
    }

    public static let defaultOK = RecordedResponse(
        status: 200, headers: HeaderList([("Content-Type", "application/json")]),
        body: Array(#"{"ok":true}"#.utf8))
}
