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
        var trailers = HeaderList()
    }

    private enum State {
        case idle
        case receiving(Receiving)
        case storing
    }

    private var state = State.idle
    private let policies: PolicyBox
    /// `--max-body` does not change on reload: read once, not per chunk.
    private let maxBody: Int
    /// The config in force now: read once per request, so a reload applies from the next one.
    private var policy: ResponsePolicy { policies.current }
    private let limits: CaptureConfiguration.Limits
    /// When the head (idle) or the next body bytes (receiving) are due; nil while storing.
    private var deadline: NIODeadline?
    /// The connection's one timer and when it fires. It is moved only when it
    /// would fire too late: a request that takes milliseconds does not
    /// schedule and cancel two tasks (9 % of an event loop's time under load).
    private var timer: Scheduled<Void>?
    private var timerFiresAt: NIODeadline?
    private let sink: any CaptureSink
    private let logger: Logger
    private var remote = "unknown"
    private let proxy: (@Sendable (CapturedRequest) async -> RecordedResponse)?
    /// Where the store's answers come back to this loop, a batch at a time.
    private let mailbox: LoopMailbox?

    /// What the decoder read of a head it refused.
    private let broken: BrokenHeadBox
    /// The sender has half-closed (`shutdown(SHUT_WR)`, `nc -N`): the request
    /// in flight is answered, then the connection is closed.
    private var inputClosed = false

    convenience init(policy: ResponsePolicy, sink: any CaptureSink, logger: Logger, limits: CaptureConfiguration.Limits = .init(),
                     broken: BrokenHeadBox = BrokenHeadBox(), proxy: (@Sendable (CapturedRequest) async -> RecordedResponse)? = nil,
                     mailbox: LoopMailbox? = nil) {
        self.init(policies: PolicyBox(policy), sink: sink, logger: logger, limits: limits, broken: broken, proxy: proxy, mailbox: mailbox)
    }

    init(policies: PolicyBox, sink: any CaptureSink, logger: Logger, limits: CaptureConfiguration.Limits = .init(),
         broken: BrokenHeadBox = BrokenHeadBox(), proxy: (@Sendable (CapturedRequest) async -> RecordedResponse)? = nil,
         mailbox: LoopMailbox? = nil) {
        self.mailbox = mailbox
        self.policies = policies
        maxBody = policies.current.maxBody
        self.broken = broken
        self.limits = limits
        self.sink = sink
        self.logger = logger
        self.proxy = proxy
    }

    func channelActive(context: ChannelHandlerContext) {
        remote = context.channel.remoteAddress.map(Self.describe) ?? "unknown"
        armTimer(context: context)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            remote = context.channel.remoteAddress.map(Self.describe) ?? "unknown"
            armTimer(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopTimer()
    }

    /// A client gone mid-body leaves what it sent: recorded, marked.
    func channelInactive(context: ChannelHandlerContext) {
        stopTimer()
        if case .receiving(let r) = state {
            state = .storing
            recordCutOff(r, context: context)
        }
        context.fireChannelInactive()
    }

    /// The sender will send nothing more. Idle: close. Mid-body: what came
    /// is recorded as cut off (the decoder has usually reported it already).
    /// Storing: answered first, then closed (`write`).
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event {
            inputClosed = true
            switch state {
            case .idle:
                context.close(promise: nil)
            case .receiving(let r):
                state = .storing
                recordCutOff(r, context: context)
                context.close(promise: nil)
            case .storing:
                break
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: timeouts

    /// While idle: the next head must be complete in time (slow heads and
    /// idle keep-alive connections are closed). While receiving: the body
    /// may not pause longer than the limit. While storing: no timeout.
    private func armTimer(context: ChannelHandlerContext) {
        let micros: Int64
        switch state {
        case .idle: micros = limits.headTimeoutMicros
        case .receiving: micros = limits.bodyIdleTimeoutMicros
        case .storing:
            deadline = nil
            return
        }
        let due = NIODeadline.now() + .microseconds(micros)
        deadline = due
        if let at = timerFiresAt, at <= due { return }  // it fires in time and looks again then
        schedule(at: due, context: context)
    }

    private func schedule(at due: NIODeadline, context: ChannelHandlerContext) {
        timer?.cancel()
        timerFiresAt = due
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: due) {
            let (handler, context) = bound.value
            handler.timerFired(context: context)
        }
    }

    private func stopTimer() {
        timer?.cancel()
        timer = nil
        timerFiresAt = nil
        deadline = nil
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        timerFiresAt = nil
        guard let deadline else { return }  // storing: no timeout
        if deadline > .now() {
            schedule(at: deadline, context: context)
        } else {
            timedOut(context: context)
        }
    }

    private func timedOut(context: ChannelHandlerContext) {
        deadline = nil
        switch state {
        case .idle:
            logger.debug("closing a connection with no complete request head in time", metadata: ["remote": "\(remote)"])
            context.close(promise: nil)
        case .receiving(let r):
            state = .storing
            let seconds = limits.bodyIdleTimeoutMicros / 1_000_000
            record(r, error: "the body stalled: no bytes for \(seconds)s after \(r.size) bytes", status: 408, context: context, answer: true)
        case .storing:
            break
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), _):
            if head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
            state = .receiving(Receiving(head: head, receivedAt: .now(), body: context.channel.allocator.buffer(capacity: 0)))
            armTimer(context: context)
        case (.body(var chunk), .receiving(var r)):
            state = .storing  // let `r` own the buffer uniquely while we append
            r.size += chunk.readableBytes
            if !r.truncated {
                let room = maxBody - r.body.readableBytes
                if chunk.readableBytes > room {
                    r.truncated = true
                    if room > 0, let part = chunk.readSlice(length: room) { r.body.writeImmutableBuffer(part) }
                } else {
                    r.body.writeBuffer(&chunk)
                }
            }
            state = .receiving(r)
            armTimer(context: context)
        case (.end(let trailers), .receiving(var r)):
            state = .storing
            deadline = nil
            r.trailers = trailers.map { HeaderList($0.map { HeaderList.Field($0.name, $0.value) }) } ?? HeaderList()
            finish(r, context: context)
        case (.body, _), (.end, _):
            break  // parts of a request we stopped following (after an error)
        }
    }

    private func captured(_ r: Receiving) -> CapturedRequest {
        var request = CapturedRequest(
            receivedAt: r.receivedAt, remote: remote, method: r.head.method.rawValue, target: r.head.uri,
            version: Self.versionText(r.head.version),
            headers: HeaderList(r.head.headers.map { HeaderList.Field($0.name, $0.value) }),
            body: Array(r.body.readableBytesView), bodySize: r.size, bodyTruncated: r.truncated)
        request.trailers = r.trailers
        return request
    }

    /// "HTTP/1.1" without building it for each request.
    static func versionText(_ version: HTTPVersion) -> String {
        switch (version.major, version.minor) {
        case (1, 1): "HTTP/1.1"
        case (1, 0): "HTTP/1.0"
        default: "HTTP/\(version.major).\(version.minor)"
        }
    }

    /// Stores a request that did not arrive whole, marked with what went
    /// wrong; it is never delivered on. `answer`: send `status` and close
    /// once stored (a stalled body); otherwise the sender is gone or NIO has
    /// answered 400 already.
    private func record(_ r: Receiving, error: String, status: Int, context: ChannelHandlerContext, answer: Bool) {
        var request = captured(r)
        request.bodyTruncated = true
        record(request, version: r.head.version, error: error, status: status, context: context, answer: answer)
    }

    /// The sender closed (or half-closed) inside a body: 499, nothing answered.
    private func recordCutOff(_ r: Receiving, context: ChannelHandlerContext) {
        record(r, error: "the client disconnected after \(r.size) bytes of the body", status: 499, context: context, answer: false)
    }

    private func record(_ broken: BrokenHead, context: ChannelHandlerContext) {
        let request = CapturedRequest(receivedAt: .now(), remote: remote, method: broken.method, target: broken.target,
                                      version: broken.version, headers: broken.headers, body: [], bodySize: 0)
        record(request, version: .http1_1, error: "the request head was refused: \(broken.reason)", status: 400,
               context: context, answer: false)
    }

    private func record(_ captured: CapturedRequest, version: HTTPVersion, error: String, status: Int,
                        context: ChannelHandlerContext, answer: Bool) {
        var request = captured
        let policy = self.policy
        // Without the token nothing is stored, broken or not.
        guard admitted(&request, token: policy.token) else {
            if answer { write(AccessToken.refused, version: version, keepAlive: false, head: false, context: context) }
            return
        }
        _ = policy.classifier.classify(&request, deliverable: false)
        request.error = error
        let response = RecordedResponse(status: status, headers: HeaderList([("Connection", "close")]), body: [])
        request.response = response
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        sink.store(request) { _ in
            guard answer else { return }
            bound.eventLoop.execute {
                let (handler, context) = bound.value
                handler.write(response, version: version, keepAlive: false, head: false, context: context)
            }
        }
    }

    private func finish(_ r: Receiving, context: ChannelHandlerContext) {
        let started = Timestamp.now()
        var request = captured(r)
        let policy = self.policy  // one read of the reloadable config per request
        guard admitted(&request, token: policy.token) else {
            write(AccessToken.refused, version: r.head.version, keepAlive: r.head.isKeepAlive, head: r.head.method == .HEAD, context: context)
            return
        }
        let decision = policy.decide(&request)
        var response = decision.response
        response.durationMicros = Timestamp.now().elapsedMicroseconds(since: started)
        request.response = response
        let delay = decision.delayMicros
        // Proxy mode: the proxy and the request it is given. Otherwise nil, and
        // the answer closure holds no copy of the request.
        let forward = decision.waitForTarget ? proxy.map { (proxy: $0, request: request) } : nil

        let keepAlive = r.head.isKeepAlive
        let version = r.head.version
        let isHead = r.head.method == .HEAD
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let mailbox = self.mailbox
        let answered = response
        sink.store(request) { result in
            let answer: @Sendable () -> Void = {
                let (handler, context) = bound.value
                switch (result, forward) {
                case (.success(let id), .some(let forward)):
                    // Proxy mode: stored first, then the target's answer goes back to the sender.
                    var committed = forward.request
                    committed.id = id
                    Task {
                        let answer = await forward.proxy(committed)
                        bound.eventLoop.execute {
                            let (handler, context) = bound.value
                            handler.write(answer, version: version, keepAlive: keepAlive, head: isHead, context: context)
                        }
                    }
                case (.success, nil) where delay > 0:
                    bound.eventLoop.scheduleTask(in: .microseconds(delay)) {
                        let (handler, context) = bound.value
                        handler.write(answered, version: version, keepAlive: keepAlive, head: isHead, context: context)
                    }
                case (.success, nil):
                    handler.write(answered, version: version, keepAlive: keepAlive, head: isHead, context: context)
                case (.failure(let error), _):
                    handler.logger.debug("request not stored, answered 503", metadata: ["error": "\(error)"])
                    handler.write(ResponsePolicy.notStored, version: version, keepAlive: keepAlive, head: isHead, context: context)
                }
            }
            if let mailbox { mailbox.post(answer) } else { bound.eventLoop.execute(answer) }
        }
    }

    /// Whether the sender showed the access token (always, when none is required); the token is taken out.
    private func admitted(_ request: inout CapturedRequest, token: AccessToken?) -> Bool {
        guard let token else { return true }
        if token.admit(&request) { return true }
        token.refusals.add()
        logger.debug("refused a request without the access token", metadata: ["remote": "\(remote)"])
        return false
    }

    /// `head`: the request was HEAD, so the answer has no body (its Content-Length still says how long it would be).
    private func write(_ response: RecordedResponse, version: HTTPVersion, keepAlive: Bool, head isHead: Bool,
                       context: ChannelHandlerContext) {
        state = .idle
        let keepAlive = keepAlive && !inputClosed
        if keepAlive { armTimer(context: context) }
        var headers = HTTPHeaders(response.headers.map { ($0.name, $0.value) })
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive {
            headers.replaceOrAdd(name: "Connection", value: "close")
        } else if version.minor == 0 {
            headers.replaceOrAdd(name: "Connection", value: "keep-alive")
        }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !isHead {
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
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
        // A body NIO could not parse (bad chunking…): keep what came before it.
        if error is HTTPParserError, case .idle = state, let head = broken.head {
            broken.head = nil
            state = .storing
            record(head, context: context)
        } else if error is HTTPParserError, case .receiving(let r) = state {
            state = .storing
            record(r, error: "malformed body after \(r.size) bytes: \(error)", status: 400, context: context, answer: false)
        }
        context.close(promise: nil)
    }

    static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress, let port = address.port else { return "\(address)" }
        if case .v6 = address { return "[\(ip)]:\(port)" }
        return "\(ip):\(port)"
    }
}

