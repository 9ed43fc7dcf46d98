import AsyncHTTPClient
import HooktopCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1

/// `HTTPTransport` over AsyncHTTPClient: pooled keep-alive connections, no
/// redirects, no decompression, and errors turned into words.
public final class AsyncHTTPTransport: HTTPTransport {
    private let client: HTTPClient

    public init(connectTimeoutMicros: Int64 = 5_000_000) {
        var config = HTTPClient.Configuration()
        config.redirectConfiguration = .disallow
        config.decompression = .disabled
        config.timeout.connect = .microseconds(connectTimeoutMicros)
        // Without this a dead target eats the whole timeout in reconnect attempts.
        config.connectionPool.retryConnectionEstablishment = false
        config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }

    public func send(_ request: OutboundRequest) async -> TransportResult {
        let started = Timestamp.now()
        var outbound = HTTPClientRequest(url: request.url)
        outbound.method = HTTPMethod(rawValue: request.method)
        outbound.headers = HTTPHeaders(request.headers.map { ($0.name, $0.value) })
        if !request.body.isEmpty || !["GET", "HEAD"].contains(request.method) {
            outbound.body = .bytes(ByteBuffer(bytes: request.body))
        }
        do {
            let response = try await client.execute(outbound, timeout: .microseconds(request.timeoutMicros))
            var kept: [UInt8] = []
            for try await var chunk in response.body {
                let room = TransportResult.bodyLimit - kept.count
                if room > 0, let bytes = chunk.readBytes(length: min(room, chunk.readableBytes)) { kept += bytes }
            }
            return TransportResult(status: Int(response.status.code),
                                   headers: HeaderList(response.headers.map { ($0.name, $0.value) }),
                                   body: kept, error: nil, durationMicros: Timestamp.now().elapsedMicroseconds(since: started))
        } catch {
            return TransportResult(status: nil, error: Self.describe(error, timeoutMicros: request.timeoutMicros),
                                   durationMicros: Timestamp.now().elapsedMicroseconds(since: started))
        }
    }

    private let isShutDown = NIOLockedValueBox(false)

    public func shutdown() async {
        guard isShutDown.withLockedValue({ done in defer { done = true }; return !done }) else { return }
        try? await client.shutdown()
    }

    deinit {
        // AsyncHTTPClient traps when a client is dropped without shutdown:
        // a transport given up without `shutdown()` still closes cleanly.
        if !isShutDown.withLockedValue({ $0 }) {
            let client = self.client
            Task { try? await client.shutdown() }
        }
    }

    /// Words for people: "connection refused", "timed out after 15 s", "TLS handshake failed: …".
    static func describe(_ error: any Error, timeoutMicros: Int64) -> String {
        let text = String(describing: error)
        if let client = error as? HTTPClientError {
            switch client {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return "timed out after \(timeoutMicros / 1_000_000) s"
            case .connectTimeout: return "connect timed out"
            case .remoteConnectionClosed: return "connection closed by the target before a full response"
            case .invalidURL: return "invalid URL"
            default: break
            }
        }
        if text.contains("connectionRefused") || text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return "connection refused"
        }
        if text.contains("NIOConnectionError") || text.contains("connectFailed") { return "cannot connect: \(text)" }
        if text.contains("SSL") || text.contains("TLS") || text.contains("BoringSSL") { return "TLS failed: \(text)" }
        if text.contains("uncleanShutdown") || text.contains("ioOnClosedChannel") || text.contains("EOF")
            || text.contains("stream ended at an unexpected time") || text.contains("invalidEOFState") {
            return "connection closed by the target before a full response"
        }
        return text
    }
}
