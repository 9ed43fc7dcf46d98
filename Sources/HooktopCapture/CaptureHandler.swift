import HooktopCore
import HooktopStore
import Logging
import NIOCore
import NIOHTTP1

/// One capture connection, bytes in and bytes out: it reads requests with
/// hooktop's `RequestDecoder`, hands each to the sink, and answers once the
/// sink has stored it, the answer written as one buffer. Requests on a
/// connection are taken one at a time: pipelined bytes wait in `unread`
/// while one is stored, and reading pauses once some are waiting (what
/// NIO's pipelining handler did, without NIO's HTTP message types passed
/// between four handlers).
final class CaptureHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private struct Receiving {
        var head: RequestHead
        var receivedAt: Timestamp
        /// The body's first bytes stay the slice they came in; later ones are appended.
        var body: ByteBuffer?
        var size = 0
        var truncated = false
        var trailers = HeaderList()

        mutating func append(_ chunk: ByteBuffer) {
            if body == nil {
                body = chunk
            } else {
                var chunk = chunk
                body?.writeBuffer(&chunk)
            }
        }
    }

    private enum State {
        case idle
        case receiving(Receiving)
        case storing
        /// Answered with `Connection: close`, or the bytes were not HTTP: nothing more is read.
        case closing
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

    private var decoder = RequestDecoder()
    /// Bytes read and not yet decoded: the rest of a request, or pipelined ones waiting their turn.
    private var unread = ByteBuffer()
    /// A read NIO asked for while a request was being stored; made once it is answered.
    private var readHeld = false
    /// Inside `process`: an answer written from there does not start another pass.
    private var processing = false
    /// The sender has half-closed (`shutdown(SHUT_WR)`, `nc -N`): what it sent
    /// whole is answered, then the connection is closed.
    private var inputClosed = false
    /// The server is shutting down: the request in flight is answered with `Connection: close`.
    private var quiescing = false

    /// What the request being stored is answered once the store has it.
    private struct Awaiting {
        var response: RecordedResponse
        var version: HTTPVersion
        var keepAlive: Bool
        var isHead: Bool
        var delayMicros: Int64
        var forward: (proxy: @Sendable (CapturedRequest) async -> RecordedResponse, request: CapturedRequest)?
    }

    private var awaiting: Awaiting?

    convenience init(policy: ResponsePolicy, sink: any CaptureSink, logger: Logger, limits: CaptureConfiguration.Limits = .init(),
                     proxy: (@Sendable (CapturedRequest) async -> RecordedResponse)? = nil, mailbox: LoopMailbox? = nil) {
        self.init(policies: PolicyBox(policy), sink: sink, logger: logger, limits: limits, proxy: proxy, mailbox: mailbox)
    }

    init(policies: PolicyBox, sink: any CaptureSink, logger: Logger, limits: CaptureConfiguration.Limits = .init(),
         proxy: (@Sendable (CapturedRequest) async -> RecordedResponse)? = nil, mailbox: LoopMailbox? = nil) {
        self.mailbox = mailbox
        self.policies = policies
        maxBody = policies.current.maxBody
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

    /// The sender will send nothing more: what it sent whole is answered
    /// first, then the connection closes; a request cut off mid-body is
    /// recorded as such. Shutting down: an idle connection closes now, a
    /// busy one after its answer.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case ChannelEvent.inputClosed:
            inputClosed = true
            settle(context: context)
        case is ChannelShouldQuiesceEvent:
            quiescing = true
            if case .idle = state {
                state = .closing
                context.close(promise: nil)
            }
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// After the input closed, once the bytes read are used up: nothing more
    /// will come to complete a request.
    private func settle(context: ChannelHandlerContext) {
        guard inputClosed, !processing else { return }
        switch state {
        case .idle:
            state = .closing
            context.close(promise: nil)
        case .receiving(let r):
            state = .storing
            recordCutOff(r, context: context)
            context.close(promise: nil)
        case .storing, .closing:
            break  // answered first (`write`), then closed
        }
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
        case .storing, .closing:
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
        case .storing, .closing:
            break
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if unread.readableBytes == 0 {
            unread = bytes  // the usual case: a request per read, nothing copied
        } else {
            unread.writeBuffer(&bytes)
        }
        process(context: context)
    }

    /// Reading pauses while a request is stored and the next one's bytes
    /// are already waiting; `process` resumes it. A sender that waits for
    /// its answer (nearly all) is read on: holding its read made NIO drop
    /// the socket's read interest and ask for it again, two `epoll_ctl`s a
    /// request (7 % of an event loop's time under wrk).
    func read(context: ChannelHandlerContext) {
        if case .storing = state, unread.readableBytes > 0 {
            readHeld = true
        } else {
            context.read()
        }
    }

    /// Takes requests from the bytes read until one is being stored or more
    /// bytes are needed; then reads on if a read was held back.
    private func process(context: ChannelHandlerContext) {
        guard !processing else { return }
        processing = true
        loop: while true {
            switch state {
            case .storing, .closing: break loop
            case .idle, .receiving: break
            }
            let part: RequestPart?
            do {
                part = try decoder.next(&unread)
            } catch {
                processing = false
                refuse(error, context: context)
                return
            }
            guard let part else { break }
            take(part, context: context)
        }
        processing = false
        if unread.readableBytes == 0 {
            unread = ByteBuffer()
        } else if unread.readerIndex > 64 * 1024 {
            unread.discardReadBytes()
        }
        settle(context: context)
        switch state {
        case .idle, .receiving:
            if readHeld {
                readHeld = false
                context.read()
            }
        case .storing, .closing:
            break
        }
    }

    private func take(_ part: RequestPart, context: ChannelHandlerContext) {
        switch (part, state) {
        case (.head(let head), _):
            if head.expectsContinue {
                var interim = context.channel.allocator.buffer(capacity: 32)
                interim.writeString(Self.versionText(head.version))
                interim.writeStaticString(" 100 Continue\r\n\r\n")
                context.writeAndFlush(wrapOutboundOut(interim), promise: nil)
            }
            state = .receiving(Receiving(head: head, receivedAt: .now()))
            armTimer(context: context)
        case (.body(var chunk), .receiving(var r)):
            state = .storing  // let `r` own the buffer uniquely while we append
            r.size += chunk.readableBytes
            if !r.truncated {
                let room = maxBody - (r.body?.readableBytes ?? 0)
                if chunk.readableBytes > room {
                    r.truncated = true
                    if room > 0, let part = chunk.readSlice(length: room) { r.append(part) }
                } else {
                    r.append(chunk)
                }
            }
            state = .receiving(r)
            armTimer(context: context)
        case (.end(let trailers), .receiving(var r)):
            state = .storing
            deadline = nil
            r.trailers = trailers ?? HeaderList()
            finish(r, context: context)
        case (.body, _), (.end, _):
            break  // parts of a request we stopped following
        }
    }

    /// Bytes that are not HTTP/1.1: answered 400 (no other answer is under
    /// way while a request is read), what was read of the request recorded,
    /// the connection closed.
    private func refuse(_ error: any Error, context: ChannelHandlerContext) {
        logger.debug("connection error", metadata: ["remote": "\(remote)", "error": "\(error)"])
        let prior = state
        state = .storing
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(staticString: Self.badRequest)), promise: nil)
        switch prior {
        case .idle:
            if let head = decoder.broken {
                decoder.broken = nil
                record(head, context: context)
            }
        case .receiving(let r):
            record(r, error: "malformed body after \(r.size) bytes: \(error)", status: 400, context: context, answer: false)
        case .storing, .closing:
            break
        }
        state = .closing
        context.close(promise: nil)
    }

    /// What NIO's protocol error handler answered to bytes that are not HTTP.
    static let badRequest: StaticString = "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"

    private func captured(_ r: Receiving) -> CapturedRequest {
        var request = CapturedRequest(
            receivedAt: r.receivedAt, remote: remote, method: r.head.method, target: r.head.target,
            version: Self.versionText(r.head.version), headers: r.head.headers,
            body: r.body.map { Array($0.readableBytesView) } ?? [], bodySize: r.size, bodyTruncated: r.truncated)
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
        policy.classifier.classify(&request, deliverable: false)
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
            write(AccessToken.refused, version: r.head.version, keepAlive: r.head.keepAlive, head: r.head.isHEAD, context: context)
            return
        }
        let decision = policy.decide(&request)
        var response = decision.response
        response.durationMicros = Timestamp.now().elapsedMicroseconds(since: started)
        request.response = response
        // Proxy mode: the proxy and the request it is given. Otherwise nil, and
        // no copy of the request waits for the store.
        let forward = decision.waitForTarget ? proxy.map { (proxy: $0, request: request) } : nil
        awaiting = Awaiting(response: response, version: r.head.version, keepAlive: r.head.keepAlive, isHead: r.head.isHEAD,
                            delayMicros: decision.delayMicros, forward: forward)
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let mailbox = self.mailbox
        sink.store(request) { result in
            if let mailbox {
                mailbox.post(bound, result)
            } else {
                bound.eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.stored(result, context: context)
                }
            }
        }
    }

    /// The store has the request (or failed): its answer goes out, now, after
    /// the configured delay, or once the proxy target answered.
    func stored(_ result: Result<Int64, StoreError>, context: ChannelHandlerContext) {
        guard let awaiting else { return }
        self.awaiting = nil
        let (version, keepAlive, isHead) = (awaiting.version, awaiting.keepAlive, awaiting.isHead)
        switch (result, awaiting.forward) {
        case (.success(let id), .some(let forward)):
            // Proxy mode: stored first, then the target's answer goes back to the sender.
            var committed = forward.request
            committed.id = id
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            Task {
                let answer = await forward.proxy(committed)
                bound.eventLoop.execute {
                    let (handler, context) = bound.value
                    handler.write(answer, version: version, keepAlive: keepAlive, head: isHead, context: context)
                }
            }
        case (.success, nil) where awaiting.delayMicros > 0:
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let answer = awaiting.response
            context.eventLoop.scheduleTask(in: .microseconds(awaiting.delayMicros)) {
                let (handler, context) = bound.value
                handler.write(answer, version: version, keepAlive: keepAlive, head: isHead, context: context)
            }
        case (.success, nil):
            write(awaiting.response, version: version, keepAlive: keepAlive, head: isHead, context: context)
        case (.failure(let error), _):
            logger.debug("request not stored, answered 503", metadata: ["error": "\(error)"])
            write(ResponsePolicy.notStored, version: version, keepAlive: keepAlive, head: isHead, context: context)
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
    /// After a keep-alive answer the next request's bytes, if some came, are taken.
    private func write(_ response: RecordedResponse, version: HTTPVersion, keepAlive: Bool, head isHead: Bool,
                       context: ChannelHandlerContext) {
        let keepAlive = keepAlive && !quiescing && !(inputClosed && unread.readableBytes == 0)
        var buffer = context.channel.allocator.buffer(capacity: 160 + response.body.count)
        ResponseEncoder.write(response, version: version, keepAlive: keepAlive, head: isHead, into: &buffer)
        if keepAlive {
            state = .idle
            armTimer(context: context)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            process(context: context)
        } else {
            state = .closing
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
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

