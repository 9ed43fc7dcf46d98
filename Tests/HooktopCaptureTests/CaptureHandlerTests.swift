import HooktopConfig
import HooktopCore
import HooktopSignatures
import HooktopStore
@testable import HooktopCapture
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest

/// A sink that holds requests until the test releases them, to observe that
/// nothing is answered before the store has said yes.
final class HeldSink: CaptureSink, @unchecked Sendable {
    private let lock = NIOLock()
    private var held: [(CapturedRequest, StoreWriter.Completion)] = []

    func store(_ request: CapturedRequest, completion: @escaping StoreWriter.Completion) {
        lock.withLock { held.append((request, completion)) }
    }

    var requests: [CapturedRequest] { lock.withLock { held.map(\.0) } }

    func releaseAll(_ result: Result<Int64, StoreError> = .success(1)) {
        let pending = lock.withLock { defer { held.removeAll() }; return held }
        for (_, completion) in pending { completion(result) }
    }
}

final class CaptureHandlerTests: XCTestCase {
    /// - socketSide: a handler between the capture handler and the socket (to watch what it passes on).
    private func channel(maxBody: Int = 1024, sink: HeldSink, socketSide: (any ChannelHandler)? = nil) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        if let socketSide { try channel.pipeline.syncOperations.addHandler(socketSide) }
        try channel.pipeline.syncOperations.addHandler(
            CaptureHandler(policy: ResponsePolicy(maxBody: maxBody, config: Config(), registry: SchemeRegistry()), sink: sink,
                           logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    private func send(_ channel: EmbeddedChannel, _ text: String) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// Everything written so far, as the sender would read it.
    private func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    /// One answer parsed back: status, fields, body.
    private func response(_ channel: EmbeddedChannel) throws -> (status: Int, headers: HeaderList, body: String)? {
        let text = try written(channel)
        guard let split = text.range(of: "\r\n\r\n") else { return nil }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let status = Int(lines[0].split(separator: " ")[1]) ?? 0
        var headers = HeaderList()
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            headers.append(String(parts[0]), parts.count > 1 ? String(parts[1].drop { $0 == " " }) : "")
        }
        return (status, headers, String(text[split.upperBound...]))
    }

    func testAnswersOnlyAfterTheSinkStoredTheRequest() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try send(channel, "POST /a?b=c HTTP/1.1\r\nX-One: 1\r\nx-one: 2\r\nContent-Length: 11\r\n\r\nhello ")
        try send(channel, "world")
        XCTAssertEqual(try written(channel), "", "nothing may be sent before the commit")
        let request = try XCTUnwrap(sink.requests.first)
        XCTAssertEqual(request.body, Array("hello world".utf8))
        XCTAssertEqual(request.target, "/a?b=c")
        XCTAssertEqual(request.headers.fields.map(\.name), ["X-One", "x-one", "Content-Length"])
        XCTAssertEqual(request.response.status, 200)

        sink.releaseAll()
        channel.embeddedEventLoop.run()
        let answer = try XCTUnwrap(response(channel))
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.body, #"{"ok":true}"#)
        XCTAssertEqual(answer.headers.all("Content-Type"), ["application/json"])
        XCTAssertEqual(answer.headers.all("Content-Length"), ["11"])
        XCTAssertNil(answer.headers.first("Connection"), "HTTP/1.1 keep-alive says nothing")
    }

    func testTheAnswerIsTheBytesNIOsEncoderWrote() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try send(channel, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try written(channel),
                       "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n{\"ok\":true}")
        XCTAssertTrue(channel.isActive)
    }

    func testPipelinedRequestsAreAnsweredInOrderOneStoredAtATime() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try send(channel, "POST /1 HTTP/1.1\r\nContent-Length: 1\r\n\r\naPOST /2 HTTP/1.1\r\nContent-Length: 1\r\n\r\nbGET /3 HTTP/1.1\r\n\r\n")
        XCTAssertEqual(sink.requests.map(\.target), ["/1"], "the next request waits for this one's answer")
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        XCTAssertEqual(sink.requests.map(\.target), ["/2"])
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        XCTAssertEqual(sink.requests.map(\.target), ["/3"])
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try written(channel).components(separatedBy: "HTTP/1.1 200 OK").count, 4)
    }

    /// Counts the reads the handler passes on toward the socket.
    private final class ReadCounter: ChannelOutboundHandler {
        typealias OutboundIn = ByteBuffer
        var reads = 0
        func read(context: ChannelHandlerContext) {
            reads += 1
            context.read()
        }
    }

    func testReadingGoesOnWhileStoringUntilTheNextRequestsBytesWait() throws {
        let sink = HeldSink()
        let counter = ReadCounter()
        let channel = try channel(sink: sink, socketSide: counter)

        try send(channel, "POST /1 HTTP/1.1\r\nContent-Length: 1\r\n\r\na")
        XCTAssertEqual(sink.requests.count, 1)
        channel.read()
        XCTAssertEqual(counter.reads, 1, "a sender waiting for its answer is read on: no epoll_ctl to stop and start again")
        try send(channel, "GET /2 HTTP/1.1\r\n")
        channel.read()
        XCTAssertEqual(counter.reads, 1, "with the next request's bytes waiting, reading pauses")
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        XCTAssertEqual(counter.reads, 2, "answered, the held read is made")
        try send(channel, "\r\n")
        XCTAssertEqual(sink.requests.map(\.target), ["/2"])
    }

    func testStoreFailureIs503NeverA2xx() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try send(channel, "POST /x HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        sink.releaseAll(.failure(.closed))
        channel.embeddedEventLoop.run()
        let answer = try XCTUnwrap(response(channel))
        XCTAssertEqual(answer.status, 503)
        XCTAssertTrue(answer.body.contains("not stored"))
    }

    func testOversizedBodyIsTruncated413WithItsFullSize() throws {
        let sink = HeldSink()
        let channel = try channel(maxBody: 10, sink: sink)
        try send(channel, "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n7\r\n0123456\r\n")
        try send(channel, "9\r\n789abcdef\r\n4\r\nghij\r\n0\r\n\r\n")
        let request = try XCTUnwrap(sink.requests.first)
        XCTAssertTrue(request.bodyTruncated)
        XCTAssertEqual(request.bodySize, 20)
        XCTAssertEqual(request.body, Array("0123456789".utf8))
        XCTAssertEqual(request.response.status, 413)
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try response(channel)?.status, 413)
    }

    func testExpectContinueIsAnsweredBeforeTheBody() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try send(channel, "PUT /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n")
        XCTAssertEqual(try written(channel), "HTTP/1.1 100 Continue\r\n\r\n")
        try send(channel, "{}")
        XCTAssertEqual(sink.requests.first?.headers.first("expect"), "100-continue")
        XCTAssertEqual(sink.requests.first?.body, Array("{}".utf8))
    }

    func testConnectionCloseIsHonoured() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try send(channel, "GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try response(channel)?.headers.all("Connection"), ["close"])
        XCTAssertFalse(channel.isActive)
    }

    func testAHeadAnswerHasItsLengthAndNoBody() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try send(channel, "HEAD /h HTTP/1.1\r\n\r\n")
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        let answer = try XCTUnwrap(response(channel))
        XCTAssertEqual(answer.headers.first("Content-Length"), "11")
        XCTAssertEqual(answer.body, "")
    }

    func testBytesThatAreNotHTTPAre400AndTheHeadIsRecorded() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try? send(channel, "GET /a b HTTP/1.1\r\nX: 1\r\n\r\n")
        XCTAssertEqual(try written(channel), "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(sink.requests.first?.error, "the request head was refused: the request line is not METHOD TARGET VERSION")
        XCTAssertEqual(sink.requests.first?.headers.first("X"), "1")
        XCTAssertFalse(channel.isActive)
    }

    func testHalfCloseAfterPipelinedRequestsAnswersThemAllThenCloses() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try send(channel, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n")
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        XCTAssertTrue(channel.isActive, "the second request is still to answer")
        XCTAssertEqual(sink.requests.map(\.target), ["/2"])
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try written(channel).components(separatedBy: "HTTP/1.1 200 OK").count, 3)
        XCTAssertFalse(channel.isActive)
    }

    /// Read on while storing, a sender's half-close can arrive before its
    /// answer: the answer still goes out whole, says `Connection: close`,
    /// and then the connection closes.
    func testAHalfCloseSeenWhileStoringIsAnsweredThenClosed() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try send(channel, "POST /last HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}")
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        XCTAssertTrue(channel.isActive, "the request being stored is answered first")
        XCTAssertEqual(try written(channel), "")
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        let answer = try XCTUnwrap(response(channel))
        XCTAssertEqual(answer.status, 200)
        XCTAssertEqual(answer.headers.all("Connection"), ["close"])
        XCTAssertFalse(channel.isActive)
    }

    func testShuttingDownClosesAnIdleConnectionAndAnswersTheStoredOneWithClose() throws {
        let sink = HeldSink()
        let idle = try channel(sink: sink)
        idle.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        XCTAssertFalse(idle.isActive)

        let busy = try channel(sink: sink)
        try send(busy, "GET /last HTTP/1.1\r\n\r\n")
        busy.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        XCTAssertTrue(busy.isActive, "the request being stored is answered first")
        sink.releaseAll()
        busy.embeddedEventLoop.run()
        XCTAssertEqual(try response(busy)?.headers.all("Connection"), ["close"])
        XCTAssertFalse(busy.isActive)
    }

    func testDescribesRemoteAddresses() throws {
        XCTAssertEqual(CaptureHandler.describe(try SocketAddress(ipAddress: "127.0.0.1", port: 50266)), "127.0.0.1:50266")
        XCTAssertEqual(CaptureHandler.describe(try SocketAddress(ipAddress: "::1", port: 8)), "[::1]:8")
    }
}
