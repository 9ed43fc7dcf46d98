import AsyncHTTPClient
import HooktopCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

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

    /// Words for people: "connection refused", "timed out after 15 s",
    /// "TLS failed: …". Told apart by the error's type and errno, never by
    /// the words of its description.
    static func describe(_ error: any Error, timeoutMicros: Int64) -> String {
        let closed = "connection closed by the target before a full response"
        switch error {
        case let e as HTTPClientError:
            switch e {
            case .deadlineExceeded, .readTimeout, .writeTimeout: return "timed out after \(timeoutMicros / 1_000_000) s"
            case .connectTimeout: return "connect timed out"
            case .remoteConnectionClosed: return closed
            case .invalidURL: return "invalid URL"
            default: return "\(e)"
            }
        case let e as NIOConnectionError:
            let errnos = e.connectionErrors.compactMap { ($0.error as? IOError)?.errnoCode }
            if errnos.contains(ECONNREFUSED) { return "connection refused" }
            if let dns = e.dnsAError ?? e.dnsAAAAError { return "cannot resolve \(e.host): \(dns)" }
            return "cannot connect to \(e.host):\(e.port)"
        case let e as IOError:
            switch e.errnoCode {
            case ECONNREFUSED: return "connection refused"
            case ECONNRESET, EPIPE: return closed
            default: return "\(e)"
            }
        case let e as ChannelError:
            switch e {
            case .ioOnClosedChannel, .eof, .outputClosed, .alreadyClosed: return closed
            default: return "\(e)"
            }
        case let e as HTTPParserError:
            return e == .invalidEOFState ? closed : "invalid response: \(e.debugDescription)"
        case let e as NIOSSLError:
            if case .uncleanShutdown = e { return closed }
            return "TLS failed: \(e)"
        case let e as BoringSSLError:
            return "TLS failed: \(e)"
        default:
            return "\(error)"
        }
    }
}
