import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Open connections across all event loops, against a cap.
final class ConnectionCount: Sendable {
    private let open = NIOLockedValueBox(0)
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Takes a place; false when the cap is reached (nothing is taken then).
    func enter() -> Bool {
        open.withLockedValue { n in
            guard n < limit else { return false }
            n += 1
            return true
        }
    }

    func leave() { open.withLockedValue { $0 -= 1 } }
}

/// First in every connection's pipeline: a connection over the cap is told
/// 503 and closed before anything of it is read, so a flood of idle
/// connections cannot take memory or file descriptors without bound.
final class ConnectionGuard: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let count: ConnectionCount
    private let logger: Logger
    private var admitted = false

    init(count: ConnectionCount, logger: Logger) {
        self.count = count
        self.logger = logger
    }

    func channelActive(context: ChannelHandlerContext) {
        admitted = count.enter()
        guard admitted else {
            logger.warning("connection refused: \(count.limit) connections are open already")
            let refusal = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\nRetry-After: 1\r\n\r\n"
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: refusal))).whenComplete { _ in
                channel.close(promise: nil)
            }
            return
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard admitted else { return }  // a refused connection's bytes are dropped
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if admitted { count.leave(); admitted = false }
        context.fireChannelInactive()
    }
}
