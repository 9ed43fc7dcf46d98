#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOHTTP1
import NIOPosix

/// The yardstick for capture throughput: a bare SwiftNIO HTTP/1.1 server on
/// the same NIO version as hooktop that reads each body whole and answers
/// `{"ok":true}`, storing nothing. `Benchmarks/run.sh` runs it beside
/// `hooktop serve` and reports hooktop's rate as a fraction of this one.
///
///     hooktop-baseline [port]     (0 picks one; the port is printed)
final class Answer: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    private var keepAlive = true
    private var bytes = 0
    private static let body = ByteBuffer(string: #"{"ok":true}"#)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            bytes = 0
        case .body(let chunk):
            bytes += chunk.readableBytes  // read, kept nowhere
        case .end:
            var headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "11")])
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(Self.body))), promise: nil)
            let close = !keepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in if close { context.close(promise: nil) } }
        }
    }
}

let port = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 0
let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
let channel = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(Answer())
        }
    }
    .bind(host: "127.0.0.1", port: port).wait()
print("listening on http://127.0.0.1:\(channel.localAddress?.port ?? 0)")
fflush(nil)  // all streams: a script waits for this line through a file
try channel.closeFuture.wait()
