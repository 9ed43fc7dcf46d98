import HooktopCore

/// Sends a captured request on, byte for byte, and turns the result into an
/// attempt record.
public struct Forwarder: Sendable {
    public let transport: any HTTPTransport
    public let timeoutMicros: Int64

    public init(transport: any HTTPTransport, timeoutMicros: Int64) {
        self.transport = transport
        self.timeoutMicros = timeoutMicros
    }

    /// The request as it goes to `url`: same method and body, the captured
    /// headers less hop-by-hop ones, Host for the target.
    public func outbound(_ request: CapturedRequest, to url: String, headers: HeaderList? = nil, body: [UInt8]? = nil) -> OutboundRequest {
        OutboundRequest(method: request.method, url: url,
                        headers: ForwardTarget.headers(headers ?? request.headers, targetURL: url),
                        body: body ?? request.body, timeoutMicros: timeoutMicros)
    }

    public func send(_ outbound: OutboundRequest, kind: DeliveryAttempt.Kind) async -> DeliveryAttempt {
        let started = Timestamp.now()
        let result = await transport.send(outbound)
        return DeliveryAttempt(attempt: 0, kind: kind, url: outbound.url, startedAt: started, durationMicros: result.durationMicros,
                               status: result.status, error: result.error, responseHeaders: result.headers, responseBody: result.body)
    }
}
