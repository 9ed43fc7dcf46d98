import HooktopConfig
import HooktopCore
import HooktopSignatures
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
    private var held: [(CapturedRequest, @Sendable (Result<Int64, any Error>) -> Void)] = []

    func store(_ request: CapturedRequest, completion: @escaping @Sendable (Result<Int64, any Error>) -> Void) {
        lock.withLock { held.append((request, completion)) }
    }

    var requests: [CapturedRequest] { lock.withLock { held.map(\.0) } }

    func releaseAll(_ result: Result<Int64, any Error> = .success(1)) {
        let pending = lock.withLock { defer { held.removeAll() }; return held }
        for (_, completion) in pending { completion(result) }
    }
}

struct DiskFull: Error {}

final class CaptureHandlerTests: XCTestCase {
    private func channel(maxBody: Int = 1024, sink: HeldSink) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            CaptureHandler(policy: ResponsePolicy(maxBody: maxBody, config: Config(), registry: SchemeRegistry()), sink: sink, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })))
        return channel
    }

    private func head(_ method: HTTPMethod = .POST, _ uri: String = "/x", _ headers: [(String, String)] = []) -> HTTPServerRequestPart {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri)
        head.headers = HTTPHeaders(headers)
        return .head(head)
    }

    private func body(_ text: String) -> HTTPServerRequestPart { .body(ByteBuffer(string: text)) }

    private func readResponse(_ channel: EmbeddedChannel) throws -> (HTTPResponseHead, String)? {
        guard case .head(let head)? = try channel.readOutbound(as: HTTPServerResponsePart.self) else { return nil }
        var text = ""
        while let part = try channel.readOutbound(as: HTTPServerResponsePart.self) {
            switch part {
            case .body(.byteBuffer(let b)): text += String(buffer: b)
            case .end: return (head, text)
            default: break
            }
        }
        return (head, text)
    }

    func testAnswersOnlyAfterTheSinkStoredTheRequest() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try channel.writeInbound(head(.POST, "/a?b=c", [("X-One", "1"), ("x-one", "2")]))
        try channel.writeInbound(body("hello "))
        try channel.writeInbound(body("world"))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        XCTAssertNil(try channel.readOutbound(as: HTTPServerResponsePart.self), "nothing may be sent before the commit")
        let request = try XCTUnwrap(sink.requests.first)
        XCTAssertEqual(request.body, Array("hello world".utf8))
        XCTAssertEqual(request.target, "/a?b=c")
        XCTAssertEqual(request.headers.fields.map(\.name), ["X-One", "x-one"])
        XCTAssertEqual(request.response.status, 200)

        sink.releaseAll()
        channel.embeddedEventLoop.run()
        let (responseHead, text) = try XCTUnwrap(readResponse(channel))
        XCTAssertEqual(responseHead.status, .ok)
        XCTAssertEqual(text, #"{"ok":true}"#)
        XCTAssertEqual(responseHead.headers["Content-Type"], ["application/json"])
        XCTAssertEqual(responseHead.headers["Content-Length"], ["11"])
    }

    func testStoreFailureIs503NeverA2xx() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try channel.writeInbound(head())
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        sink.releaseAll(.failure(DiskFull()))
        channel.embeddedEventLoop.run()
        let (responseHead, text) = try XCTUnwrap(readResponse(channel))
        XCTAssertEqual(responseHead.status, .serviceUnavailable)
        XCTAssertTrue(text.contains("not stored"))
    }

    func testOversizedBodyIsTruncated413WithItsFullSize() throws {
        let sink = HeldSink()
        let channel = try channel(maxBody: 10, sink: sink)
        try channel.writeInbound(head())
        try channel.writeInbound(body("0123456"))
        try channel.writeInbound(body("789abcdef"))
        try channel.writeInbound(body("ghij"))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        let request = try XCTUnwrap(sink.requests.first)
        XCTAssertTrue(request.bodyTruncated)
        XCTAssertEqual(request.bodySize, 20)
        XCTAssertEqual(request.body, Array("0123456789".utf8))
        XCTAssertEqual(request.response.status, 413)
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try readResponse(channel)?.0.status, .payloadTooLarge)
    }

    func testExpectContinueIsAnsweredBeforeTheBody() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try channel.writeInbound(head(.PUT, "/up", [("Expect", "100-continue")]))
        guard case .head(let interim)? = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            return XCTFail("no 100 Continue")
        }
        XCTAssertEqual(interim.status, .continue)
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        XCTAssertEqual(sink.requests.first?.headers.first("expect"), "100-continue")
    }

    func testConnectionCloseIsHonoured() throws {
        let sink = HeldSink()
        let channel = try channel(sink: sink)
        try channel.writeInbound(head(.GET, "/", [("Connection", "close")]))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        sink.releaseAll()
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try readResponse(channel)?.0.headers["Connection"], ["close"])
        XCTAssertFalse(channel.isActive)
    }

    func testDescribesRemoteAddresses() throws {
        XCTAssertEqual(CaptureHandler.describe(try SocketAddress(ipAddress: "127.0.0.1", port: 50266)), "127.0.0.1:50266")
        XCTAssertEqual(CaptureHandler.describe(try SocketAddress(ipAddress: "::1", port: 8)), "[::1]:8")
    }
}
