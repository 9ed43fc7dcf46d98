import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP target on a loopback port for delivery tests: flaky, slow,
/// or one that hangs up mid-response, as the test's closure decides.
public final class TestTarget: @unchecked Sendable {
    public enum Behavior: Sendable {
        case respond(status: Int, body: String = "ok", delaySeconds: Double = 0)
        /// Sends the head and part of the body, then closes the connection.
        case closeMidResponse
    }

    public struct Received: Sendable {
        public var method: String
        public var uri: String
        public var headers: [(String, String)]
        public var body: [UInt8]
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: (any Channel)?
    private let state = NIOLockedValueBox<[Received]>([])
    public let port: Int

    /// `behavior` gets the 0-based number of the request and the request.
    public init(port: Int = 0, _ behavior: @escaping @Sendable (Int, Received) -> Behavior) throws {
        let state = self.state
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(TargetHandler(state: state, behavior: behavior))
                }
            }
        let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
        self.channel = channel
        self.port = channel.localAddress?.port ?? port
    }

    public var received: [Received] { state.withLockedValue { $0 } }

    public var url: String { "http://127.0.0.1:\(port)" }

    public func stop() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Waits until `count` requests have arrived, or the timeout passes.
    @discardableResult
    public func waitFor(_ count: Int, timeout: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if received.count >= count { return true }
            usleep(20_000)
        }
        return received.count >= count
    }
}

private final class TargetHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let state: NIOLockedValueBox<[TestTarget.Received]>
    let behavior: @Sendable (Int, TestTarget.Received) -> TestTarget.Behavior
    var head: HTTPRequestHead?
    var body: [UInt8] = []

    init(state: NIOLockedValueBox<[TestTarget.Received]>, behavior: @escaping @Sendable (Int, TestTarget.Received) -> TestTarget.Behavior) {
        self.state = state
        self.behavior = behavior
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = []
        case .body(var b):
            body += b.readBytes(length: b.readableBytes) ?? []
        case .end:
            guard let head else { return }
            let received = TestTarget.Received(method: head.method.rawValue, uri: head.uri,
                                               headers: head.headers.map { ($0.name, $0.value) }, body: body)
            let index = state.withLockedValue { list -> Int in list.append(received); return list.count - 1 }
            let channel = context.channel
            switch behavior(index, received) {
            case .respond(let status, let text, let delay):
                let send = {
                    var headers = HTTPHeaders()
                    headers.add(name: "Content-Length", value: String(text.utf8.count))
                    headers.add(name: "X-Target", value: "test")
                    channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: head.version, status: .init(statusCode: status), headers: headers)), promise: nil)
                    channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: text))), promise: nil)
                    channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
                }
                if delay > 0 {
                    context.eventLoop.scheduleTask(in: .milliseconds(Int64(delay * 1000))) { send() }
                } else {
                    send()
                }
            case .closeMidResponse:
                var headers = HTTPHeaders()
                headers.add(name: "Content-Length", value: "100")
                channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers)), promise: nil)
                channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(string: "partial"))), promise: nil)
                channel.close(promise: nil)
            }
        }
    }
}
