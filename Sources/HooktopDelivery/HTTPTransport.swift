import HooktopCore

/// One HTTP request to a target, as the delivery code sends it.
public struct OutboundRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: HeaderList
    public var body: [UInt8]
    public var timeoutMicros: Int64

    public init(method: String, url: String, headers: HeaderList, body: [UInt8], timeoutMicros: Int64) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMicros = timeoutMicros
    }
}

/// What came back: a status with headers and the start of the body, or why nothing did.
public struct TransportResult: Sendable {
    public var status: Int?
    public var headers: HeaderList
    /// At most `TransportResult.bodyLimit` bytes of the response body.
    public var body: [UInt8]
    public var error: String?
    public var durationMicros: Int64

    public static let bodyLimit = 64 * 1024

    public init(status: Int?, headers: HeaderList = HeaderList(), body: [UInt8] = [], error: String?, durationMicros: Int64) {
        self.status = status
        self.headers = headers
        self.body = body
        self.error = error
        self.durationMicros = durationMicros
    }
}

/// How the delivery code talks HTTP. One real implementation (`HTTP1Transport`).
public protocol HTTPTransport: Sendable {
    func send(_ request: OutboundRequest) async -> TransportResult
    func shutdown() async
}
