import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A loopback target that answers each request with bytes the test wrote
/// by hand — chunked bodies, informational answers, HTTP/1.0 read-until-close,
/// a keep-alive connection dropped after its answer — for the shapes a
/// well-behaved server would not produce on request. Counts connections.
public final class ScriptedTarget: @unchecked Sendable {
    public struct Answer: Sendable {
        public var bytes: [UInt8]
        /// Close the connection once the bytes are written (without having said so).
        public var close: Bool
        public init(_ text: String, close: Bool = false) {
            bytes = Array(text.utf8)
            self.close = close
        }
        public init(bytes: [UInt8], close: Bool = false) {
            self.bytes = bytes
            self.close = close
        }
    }

    private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private var channel: (any Channel)?
    private let state = NIOLockedValueBox<(requests: [[UInt8]], connections: Int)>(([], 0))
    public let port: Int

    /// `answer` gets the 0-based number of the request and its head (request line and headers).
    public init(_ answer: @escaping @Sendable (Int, String) -> Answer) throws {
        let state = self.state
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.withLockedValue { $0.connections += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ScriptedHandler(state: state, answer: answer))
                }
            }
        let channel = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    public var url: String { "http://127.0.0.1:\(port)" }
    /// The heads received, in order (request line and headers, without the blank line).
    public var requests: [String] { state.withLockedValue { $0.requests.map { String(decoding: $0, as: UTF8.self) } } }
    /// The same, as the bytes that came.
    public var rawRequests: [[UInt8]] { state.withLockedValue { $0.requests } }
    public var connections: Int { state.withLockedValue { $0.connections } }

    public func stop() {
        try? channel?.close().wait()
        try? group.syncShutdownGracefully()
    }
}

private final class ScriptedHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    let state: NIOLockedValueBox<(requests: [[UInt8]], connections: Int)>
    let answer: @Sendable (Int, String) -> ScriptedTarget.Answer
    var pending: [UInt8] = []

    init(state: NIOLockedValueBox<(requests: [[UInt8]], connections: Int)>, answer: @escaping @Sendable (Int, String) -> ScriptedTarget.Answer) {
        self.state = state
        self.answer = answer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        // Whole requests: a head, then as many bytes as its Content-Length says.
        while let end = pending.indices.dropLast(3).first(where: { pending[$0..<($0 + 4)].elementsEqual([13, 10, 13, 10]) }) {
            let head = String(decoding: pending[..<end], as: UTF8.self)
            let length = head.split(separator: "\r\n").compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
            guard pending.count >= end + 4 + length else { return }
            let raw = Array(pending[..<end])
            pending.removeFirst(end + 4 + length)
            let index = state.withLockedValue { s -> Int in s.requests.append(raw); return s.requests.count - 1 }
            let reply = answer(index, head)
            let write = context.writeAndFlush(NIOAny(ByteBuffer(bytes: reply.bytes)))
            if reply.close {
                let channel = context.channel
                write.whenComplete { _ in channel.close(promise: nil) }
                return
            }
        }
    }
}
