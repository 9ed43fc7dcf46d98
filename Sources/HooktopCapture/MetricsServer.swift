import Dispatch
import HooktopCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// `--metrics-listen`: answers `GET /metrics` with the Prometheus text, 404 to anything else.
final class MetricsServer: Sendable {
    private let channel: any Channel

    init(listen: ListenAddress, group: any EventLoopGroup, scrape: @escaping @Sendable () -> [UInt8]) throws(CaptureError) {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsHandler(scrape: scrape))
                }
            }
        do {
            channel = try bootstrap.bind(host: listen.host, port: listen.port).wait()
        } catch {
            throw CaptureError.cannotListen(listen, error)
        }
    }

    var boundPort: Int { channel.localAddress?.port ?? 0 }

    func close() { try? channel.close().wait() }
}

private final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private let scrape: @Sendable () -> [UInt8]
    private var head: HTTPRequestHead?

    init(scrape: @escaping @Sendable () -> [UInt8]) { self.scrape = scrape }

    /// Scrapes run here, never on an event loop: they read the store (a
    /// query that waits on PostgreSQL, or SQLite's file), which must not
    /// hold up the connections the loop serves.
    private static let scrapes = DispatchQueue(label: "hooktop-metrics")

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let head else { return }
            guard head.method == .GET && head.uri.split(separator: "?").first == "/metrics" else {
                return respond(context, head, found: false, body: Array("not found; metrics are at /metrics\n".utf8))
            }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let (loop, scrape) = (context.eventLoop, self.scrape)
            Self.scrapes.async {
                let body = scrape()
                loop.execute {
                    let (handler, context) = bound.value
                    handler.respond(context, head, found: true, body: body)
                }
            }
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, found: Bool, body: [UInt8]) {
        var headers = HTTPHeaders([("Content-Type", found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain"),
                                   ("Content-Length", String(body.count))])
        if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: found ? .ok : .notFound, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        let keep = head.isKeepAlive
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if !keep { context.close(promise: nil) } }
    }
}
