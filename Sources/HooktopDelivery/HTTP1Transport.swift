import HooktopCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// `HTTPTransport` as HTTP/1.1 on SwiftNIO: keep-alive connections pooled
/// per origin, one exchange at a time on each, no redirects, no
/// decompression, TLS with the system's trust roots. `WireRequestEncoder`
/// writes the head as the captured bytes (a CR or LF in a header fails the
/// attempt, it is never sent); NIO's response decoder reads the answer
/// (chunked, informational answers skipped, HEAD). It replaced
/// AsyncHTTPClient, whose per-request machinery cost more CPU than
/// everything else a delivery does (docs/PERFORMANCE.md).
///
/// A pooled connection the target closed while it sat idle is found out by
/// the next exchange on it; that exchange is sent again, once, on a new
/// connection when nothing at all came back on the old one.
public final class HTTP1Transport: HTTPTransport {
    private let group: any EventLoopGroup
    private let connectTimeoutMicros: Int64
    private let pool = ConnectionPool()
    private let tlsContext: Result<NIOSSLContext, any Error>

    /// Idle connections kept per origin; more are closed when they come back.
    static let idlePerOrigin = 64

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, connectTimeoutMicros: Int64 = 5_000_000) {
        self.group = group
        self.connectTimeoutMicros = connectTimeoutMicros
        tlsContext = Result { try NIOSSLContext(configuration: .makeClientConfiguration()) }
    }

    public func send(_ request: OutboundRequest) async -> TransportResult {
        let started = Timestamp.now()
        let result: Result<Exchange.Response, any Error>
        do {
            guard let url = TargetURL(request.url) else { throw TransportFailure.invalidURL }
            result = .success(try await exchange(request, url).get())
        } catch {
            result = .failure(error)
        }
        let duration = Timestamp.now().elapsedMicroseconds(since: started)
        switch result {
        case .success(let r):
            return TransportResult(status: r.status, headers: r.headers, body: r.body, error: nil, durationMicros: duration)
        case .failure(let error):
            return TransportResult(status: nil, error: Self.describe(error, timeoutMicros: request.timeoutMicros), durationMicros: duration)
        }
    }

    public func shutdown() async {
        for channel in pool.close() { try? await channel.close() }
    }

    // MARK: - One exchange

    private func exchange(_ request: OutboundRequest, _ url: TargetURL) -> EventLoopFuture<Exchange.Response> {
        let deadline = NIODeadline.now() + .microseconds(max(0, request.timeoutMicros))
        let head = Self.head(request, url)
        let body = request.body
        let sendsBody = Self.sendsBody(request)
        if let idle = pool.take(url.origin) {
            return run(on: idle, head, body, sendsBody, deadline, origin: url.origin).flatMapError { error in
                // The target closed the idle connection before this request reached it: once more, on a new one.
                guard case TransportFailure.closedBeforeAnswer = error else { return idle.channel.eventLoop.makeFailedFuture(error) }
                return self.connect(url, deadline).flatMap { self.run(on: $0, head, body, sendsBody, deadline, origin: url.origin) }
            }
        }
        return connect(url, deadline).flatMap { self.run(on: $0, head, body, sendsBody, deadline, origin: url.origin) }
    }

    private func run(on connection: Connection, _ head: HTTPRequestHead, _ body: [UInt8], _ sendsBody: Bool,
                     _ deadline: NIODeadline, origin: String) -> EventLoopFuture<Exchange.Response> {
        let channel = connection.channel
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: Exchange.Response.self)
        let handler = connection.handler
        loop.execute {
            guard channel.isActive else { return promise.fail(TransportFailure.closedBeforeAnswer) }
            handler.value.begin(promise)
            let timeout = loop.scheduleTask(deadline: deadline) {
                promise.fail(TransportFailure.timedOut)
                channel.close(promise: nil)
            }
            promise.futureResult.whenComplete { _ in timeout.cancel() }
            // A head the encoder refuses (a control character in a header, the method or the target) fails
            // its write; so does a connection that went away before the request was out (nothing answered,
            // so a reused one is replaced, as when it closes).
            let failed: @Sendable (any Error) -> Void = { promise.fail(Exchange.isClosing($0) ? TransportFailure.closedBeforeAnswer : $0) }
            channel.write(HTTPClientRequestPart.head(head)).whenFailure(failed)
            if sendsBody, !body.isEmpty {
                channel.write(HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: body))), promise: nil)
            }
            channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure(failed)
        }
        return promise.futureResult.map { response in
            if response.keepAlive, channel.isActive, self.pool.put(connection, origin: origin, limit: Self.idlePerOrigin) {
                return response
            }
            channel.close(promise: nil)
            return response
        }.flatMapErrorThrowing { error in
            channel.close(promise: nil)
            throw error
        }
    }

    private func connect(_ url: TargetURL, _ deadline: NIODeadline) -> EventLoopFuture<Connection> {
        let loop = group.next()
        let remaining = deadline - .now()
        guard remaining > .zero else { return loop.makeFailedFuture(TransportFailure.timedOut) }
        let tls: NIOSSLContext?
        if url.tls {
            switch tlsContext {
            case .success(let context): tls = context
            case .failure(let error): return loop.makeFailedFuture(error)
            }
        } else {
            tls = nil
        }
        let serverName = url.hostIsAddress ? nil : url.host
        let connectTimeout = min(remaining, .microseconds(connectTimeoutMicros))
        return ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                    try channel.pipeline.syncOperations.addHandlers([
                        WireRequestEncoder(),
                        ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop)),
                        Exchange(),
                    ])
                }
            }
            .connect(host: url.host, port: url.port)
            .flatMap { channel in
                channel.pipeline.handler(type: Exchange.self).map { Connection(channel: channel, handler: NIOLoopBound($0, eventLoop: channel.eventLoop)) }
            }
    }

    /// The request line and headers: the caller's headers in their order, Host
    /// when they have none, and Content-Length for the body (what a captured
    /// request said about its own framing is never forwarded).
    static func head(_ request: OutboundRequest, _ url: TargetURL) -> HTTPRequestHead {
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 2)
        var hasHost = false
        for field in request.headers.fields {
            if !hasHost, field.name.caseInsensitiveEquals("host") { hasHost = true }
            headers.add(name: field.name, value: field.value)
        }
        if !hasHost { headers.add(name: "Host", value: url.authority) }
        headers.remove(name: "Content-Length")
        headers.remove(name: "Transfer-Encoding")
        if sendsBody(request) { headers.add(name: "Content-Length", value: String(request.body.count)) }
        return HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: url.requestTarget, headers: headers)
    }

    /// A body goes with every request that has one, and with every method but GET and HEAD (as `Content-Length: 0`).
    static func sendsBody(_ request: OutboundRequest) -> Bool {
        !request.body.isEmpty || (request.method != "GET" && request.method != "HEAD")
    }

    // MARK: - Words for people

    /// "connection refused", "timed out after 15 s", "TLS failed: …". Told
    /// apart by the error's type and errno, never by its description's words.
    static func describe(_ error: any Error, timeoutMicros: Int64) -> String {
        let closed = "connection closed by the target before a full response"
        switch error {
        case let e as TransportFailure:
            switch e {
            case .timedOut: return "timed out after \(timeoutMicros / 1_000_000) s"
            case .closedBeforeAnswer, .closedMidAnswer: return closed
            case .invalidURL: return "invalid URL"
            case .unsendable: return "not sent: a header, the method or the target holds a character HTTP does not allow"
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
            case .connectTimeout: return "connect timed out"
            case .ioOnClosedChannel, .eof, .outputClosed, .alreadyClosed: return closed
            default: return "\(e)"
            }
        case let e as HTTPParserError:
            return e == .invalidEOFState ? closed : "invalid response: \(e.debugDescription)"
        case let e as NIOSSLError:
            if case .uncleanShutdown = e { return closed }
            return "TLS failed: " + tlsReasons("\(e)")
        case let e as BoringSSLError:
            return "TLS failed: " + tlsReasons("\(e)")
        default:
            return "\(error)"
        }
    }
}

/// BoringSSL's reasons in words — `…:OPENSSL_internal:WRONG_VERSION_NUMBER at
/// /path/tls_record.cc:127` says "wrong version number" — without the
/// source paths and error numbers its description carries; the description
/// itself when it names none.
func tlsReasons(_ description: String) -> String {
    var reasons: [String] = []
    var rest = description[...]
    while let marker = rest.firstRange(of: "OPENSSL_internal:") {
        rest = rest[marker.upperBound...]
        let reason = String(rest.prefix { $0.isUppercase || $0.isNumber || $0 == "_" }).lowercased().replacing("_", with: " ")
        if !reason.isEmpty, !reasons.contains(reason) { reasons.append(reason) }
    }
    return reasons.isEmpty ? description : reasons.joined(separator: ", ")
}

/// Why an exchange ended without an answer, where no NIO error says it.
enum TransportFailure: Error, Equatable {
    case timedOut
    /// The connection closed before any of the answer came: the request may not have reached the target.
    case closedBeforeAnswer
    case closedMidAnswer
    case invalidURL
    /// A header, the method or the target cannot be written as HTTP/1.1 (a CR, LF or other control character).
    case unsendable
}

/// A pooled connection: its channel and the handler that runs its exchanges.
struct Connection: Sendable {
    let channel: any Channel
    let handler: NIOLoopBound<Exchange>
}

/// Idle keep-alive connections by origin, newest first out.
final class ConnectionPool: Sendable {
    private let state = NIOLockedValueBox<(idle: [String: [Connection]], closed: Bool)>(([:], false))

    func take(_ origin: String) -> Connection? {
        state.withLockedValue { state in
            while let connection = state.idle[origin]?.popLast() {
                if connection.channel.isActive { return connection }
            }
            return nil
        }
    }

    /// Keeps the connection for the next exchange; false when it should be closed instead.
    func put(_ connection: Connection, origin: String, limit: Int) -> Bool {
        state.withLockedValue { state in
            guard !state.closed, state.idle[origin, default: []].count < limit else { return false }
            state.idle[origin, default: []].append(connection)
            return true
        }
    }

    /// No more pooling; the idle channels, to be closed.
    func close() -> [any Channel] {
        state.withLockedValue { state in
            state.closed = true
            defer { state.idle = [:] }
            return state.idle.values.joined().map(\.channel)
        }
    }
}

/// One connection's exchanges, on its event loop: the answer's head, up to
/// `TransportResult.bodyLimit` bytes of its body, and whether the connection
/// can carry another.
final class Exchange: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    struct Response: Sendable {
        var status: Int
        var headers: HeaderList
        var body: [UInt8]
        var keepAlive: Bool
    }

    private var promise: EventLoopPromise<Response>?
    private var response: Response?

    func begin(_ promise: EventLoopPromise<Response>) {
        self.promise = promise
        response = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            response = Response(status: Int(head.status.code), headers: HeaderList(head.headers.map { ($0.name, $0.value) }),
                                body: [], keepAlive: head.isKeepAlive)
        case .body(let buffer):
            let room = TransportResult.bodyLimit - (response?.body.count ?? 0)
            if room > 0 { response?.body += buffer.readableBytesView.prefix(room) }
        case .end:
            guard let response, let promise else { return }
            self.promise = nil
            self.response = nil
            promise.succeed(response)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(response == nil ? TransportFailure.closedBeforeAnswer : TransportFailure.closedMidAnswer)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(response == nil && Self.isClosing(error) ? TransportFailure.closedBeforeAnswer : error)
        context.close(promise: nil)
    }

    /// The connection went away under the exchange (reset, broken pipe, closed).
    static func isClosing(_ error: any Error) -> Bool {
        switch error {
        case let e as IOError: return e.errnoCode == ECONNRESET || e.errnoCode == EPIPE
        case let e as ChannelError: return e == .ioOnClosedChannel || e == .eof || e == .outputClosed || e == .alreadyClosed
        default: return false
        }
    }

    private func fail(_ error: any Error) {
        guard let promise else { return }
        self.promise = nil
        response = nil
        promise.fail(error)
    }
}
