import HooktopCore
import Logging
import NIOCore
import NIOHTTP1

/// Turns one HTTP request into a `CapturedRequest`, hands it to the sink, and
/// answers once the sink has stored it. NIO's pipeline handler keeps requests
/// on a connection in order, so this sees one at a time.
final class CaptureHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private struct Receiving {
        var head: HTTPRequestHead
        var receivedAt: Timestamp
        var body: ByteBuffer
        var size = 0
        var truncated = false
    }

    private enum State {
        case idle
        case receiving(Receiving)
        case storing
    }

    private var state = State.idle
    private let policy: ResponsePolicy
    private let sink: any CaptureSink
    private let logger: Logger
    private var remote = "unknown"
    private let proxy: (@Sendable (CapturedRequest) async -> RecordedResponse)?

    init(policy: ResponsePolicy, sink: any CaptureSink, logger: Logger,
         proxy: (@Sendable (CapturedRequest) async -> RecordedResponse)? = nil) {
        self.policy = policy
        self.sink = sink
        self.logger = logger
        self.proxy = proxy
    }

    func channelActive(context: ChannelHandlerContext) {
        remote = context.channel.remoteAddress.map(Self.describe) ?? "unknown"
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { remote = context.channel.remoteAddress.map(Self.describe) ?? "unknown" }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), _):
            if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
            state = .receiving(Receiving(head: head, receivedAt: .now(), body: context.channel.allocator.buffer(capacity: 0)))
        case (.body(var chunk), .receiving(var r)):
            state = .storing  // let `r` own the buffer uniquely while we append
            r.size += chunk.readableBytes
            if !r.truncated {
                let room = policy.maxBody - r.body.readableBytes
                if chunk.readableBytes > room {
                    r.truncated = true
                    if room > 0, let part = chunk.readSlice(length: room) { r.body.writeImmutableBuffer(part) }
                } else {
                    r.body.writeBuffer(&chunk)
                }
            }
            state = .receiving(r)
        case (.end, .receiving(let r)):
            state = .storing
            finish(r, context: context)
        case (.body, _), (.end, _):
            break  // parts of a request we stopped following (after an error)
        }
    }

    private func finish(_ r: Receiving, context: ChannelHandlerContext) {
        let started = Timestamp.now()
        var request = CapturedRequest(
            receivedAt: r.receivedAt, remote: remote, method: r.head.method.rawValue, target: r.head.uri,
            version: "HTTP/\(r.head.version.major).\(r.head.version.minor)",
            headers: HeaderList(r.head.headers.map { HeaderList.Field($0.name, $0.value) }),
            body: Array(r.body.readableBytesView), bodySize: r.size, bodyTruncated: r.truncated)
        let decision = policy.decide(&request)
        var response = decision.response
        response.durationMicros = Timestamp.now().elapsedMicroseconds(since: started)
        request.response = response
        let delay = decision.delayMicros
        let proxy = decision.waitForTarget ? self.proxy : nil
        let stored = request

        let keepAlive = r.head.isKeepAlive
        let version = r.head.version
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        sink.store(request) { result in
            bound.eventLoop.execute {
                let (handler, context) = bound.value
                switch result {
                case .success(let id) where proxy != nil:
                    // Proxy mode: stored first, then the target's answer goes back to the sender.
                    var committed = stored
                    committed.id = id
                    Task {
                        let answer = await proxy!(committed)
                        bound.eventLoop.execute {
                            let (handler, context) = bound.value
                            handler.write(answer, version: version, keepAlive: keepAlive, context: context)
                        }
                    }
                case .success where delay > 0:
                    context.eventLoop.scheduleTask(in: .microseconds(delay)) {
                        handler.write(response, version: version, keepAlive: keepAlive, context: context)
                    }
                case .success:
                    handler.write(response, version: version, keepAlive: keepAlive, context: context)
                case .failure(let error):
                    handler.logger.debug("request not stored, answered 503", metadata: ["error": "\(error)"])
                    handler.write(ResponsePolicy.notStored, version: version, keepAlive: keepAlive, context: context)
                }
            }
        }
    }

    private func write(_ response: RecordedResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        state = .idle
        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if version.minor == 0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: response.body.count)
        buffer.writeBytes(response.body)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            let done = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("connection error", metadata: ["remote": "\(remote)", "error": "\(error)"])
        context.close(promise: nil)
    }

    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}

