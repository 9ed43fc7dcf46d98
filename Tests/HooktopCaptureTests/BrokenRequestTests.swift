import Foundation
import HooktopCapture
import HooktopCore
import HooktopStore
import HooktopTesting
import Logging
import XCTest

/// Requests that do not arrive whole, over a real socket into a real store:
/// recorded as far as they were read, marked with what went wrong, never
/// delivered; and the limits that stop one sender from holding the server.
final class BrokenRequestTests: XCTestCase {
    private var dir: TempDirectory!
    private var daemon: CaptureDaemon!
    private var port: Int { daemon.server.boundAddress.port }
    private var dbPath: String { dir.file("hooktop.sqlite") }

    override func setUp() { dir = TempDirectory("broken") }
    override func tearDown() { daemon?.stop(); daemon = nil }

    private func start(_ limits: CaptureConfiguration.Limits = .init()) throws {
        var capture = CaptureConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0), maxBody: 1 << 20,
                                           forwardTo: "http://127.0.0.1:9/never")
        capture.limits = limits
        daemon = try CaptureDaemon(capture: capture, store: SQLiteBackend(path: dbPath),
                                   logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), threads: 1)
    }

    /// Waits for the store to hold `count` requests (broken ones are stored after the connection ends).
    private func stored(_ count: Int) throws -> [CapturedRequest] {
        let reader = try StoreReader(path: dbPath)
        for _ in 0..<100 {
            let rows = try reader.list(limit: 0, filter: nil, includeBodies: true, includeDeliveries: false)
            if rows.count >= count { return rows.reversed() }
            usleep(50_000)
        }
        XCTFail("expected \(count) stored requests")
        return []
    }

    func testClientThatDisconnectsMidBodyIsRecorded() throws {
        try start()
        let client = try RawHTTPClient(port: port)
        try client.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nhalf of it")
        usleep(200_000)
        client.close()
        let request = try XCTUnwrap(try stored(1).first)
        XCTAssertEqual(request.body, Array("half of it".utf8))
        XCTAssertEqual(request.error, "the client disconnected after 10 bytes of the body")
        XCTAssertTrue(request.bodyTruncated)
        XCTAssertEqual(request.deliveryState, .none, "a broken request is never delivered")
        XCTAssertTrue(request.json().serialized().contains(#""error":"the client disconnected after 10 bytes of the body""#))
    }

    /// `shutdown(SHUT_WR)` after the request (`nc -N`, some embedded
    /// clients): the request and its FIN often arrive in one read, and the
    /// connection used to close before the commit, so the sender never got
    /// its answer. Now it is stored, answered with `Connection: close`, then
    /// closed.
    func testSenderThatHalfClosesAfterItsRequestIsAnswered() throws {
        try start()
        for i in 0..<5 {
            let client = try RawHTTPClient(port: port)
            try client.send("POST /half/\(i) HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
            client.finishSending()
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 200)
            XCTAssertEqual(response.header("Connection"), "close")
            XCTAssertTrue(client.isClosedByPeer(), "closed once answered")
        }
        let requests = try stored(5)
        XCTAssertEqual(requests.map(\.target), (0..<5).map { "/half/\($0)" })
        XCTAssertEqual(requests.map(\.body), Array(repeating: Array("abc".utf8), count: 5))
        XCTAssertTrue(requests.allSatisfy { $0.error == nil })
    }

    func testSenderThatHalfClosesMidBodyIsRecorded() throws {
        try start()
        let client = try RawHTTPClient(port: port)
        try client.send("POST /upload HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nhalf of it")
        client.finishSending()
        XCTAssertTrue(client.isClosedByPeer())
        let request = try XCTUnwrap(try stored(1).first)
        XCTAssertEqual(request.body, Array("half of it".utf8))
        XCTAssertEqual(request.error, "the client disconnected after 10 bytes of the body")
        XCTAssertEqual(request.response.status, 499)
    }

    func testBadChunkingIsAnswered400AndRecorded() throws {
        try start()
        let client = try RawHTTPClient(port: port)
        try client.send("POST /chunks HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\n")
        XCTAssertEqual(try client.readResponse().status, 400)
        let request = try XCTUnwrap(try stored(1).first)
        XCTAssertEqual(request.body, Array("hello".utf8))
        XCTAssertTrue(request.error?.hasPrefix("malformed body after 5 bytes") ?? false, request.error ?? "nil")
        XCTAssertEqual(request.response.status, 400)
    }

    func testChunkedTrailersAreStoredAsTrailers() throws {
        try start()
        let client = try RawHTTPClient(port: port)
        try client.send("POST /t HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Checksum: 42\r\nX-Done: yes\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 200)
        let request = try XCTUnwrap(try stored(1).first)
        XCTAssertEqual(request.trailers.fields.map { "\($0.name)=\($0.value)" }, ["X-Checksum=42", "X-Done=yes"])
        XCTAssertFalse(request.headers.contains("X-Checksum"), "trailers are kept apart from the headers")
        XCTAssertNil(request.error)
        XCTAssertTrue(request.json().serialized().contains(#""trailers":[["X-Checksum","42"],["X-Done","yes"]]"#))
    }

    func testStalledBodyIsAnswered408AndRecorded() throws {
        var limits = CaptureConfiguration.Limits()
        limits.bodyIdleTimeoutMicros = 300_000
        try start(limits)
        let client = try RawHTTPClient(port: port)
        try client.send("POST /slow HTTP/1.1\r\nHost: h\r\nContent-Length: 50\r\n\r\nabc")
        XCTAssertEqual(try client.readResponse().status, 408)
        let request = try XCTUnwrap(try stored(1).first)
        XCTAssertEqual(request.body, Array("abc".utf8))
        XCTAssertTrue(request.error?.hasPrefix("the body stalled") ?? false, request.error ?? "nil")
    }

    func testSlowHeadIsClosedWithoutAnAnswer() throws {
        var limits = CaptureConfiguration.Limits()
        limits.headTimeoutMicros = 300_000
        try start(limits)
        let client = try RawHTTPClient(port: port, timeoutSeconds: 3)  // a still-open connection reads as "not closed" after 3 s
        try client.send("POST /slowloris HTTP/1.1\r\nHost: h\r\n")  // never finishes the head
        usleep(800_000)
        XCTAssertTrue(client.isClosedByPeer(), "a connection that never completes its head is closed")
    }

    func testConnectionsOverTheCapAreRefusedWith503() throws {
        var limits = CaptureConfiguration.Limits()
        limits.maxConnections = 2
        try start(limits)
        let a = try RawHTTPClient(port: port), b = try RawHTTPClient(port: port)
        usleep(100_000)
        let c = try RawHTTPClient(port: port)
        XCTAssertEqual(try c.readResponse().status, 503)
        // The two admitted connections still work; once one closes there is room again.
        try a.send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(try a.readResponse().status, 200)
        b.close()
        usleep(100_000)
        let d = try RawHTTPClient(port: port)
        try d.send("GET /d HTTP/1.1\r\nHost: h\r\n\r\n")
        XCTAssertEqual(try d.readResponse().status, 200)
    }

    func testOversizedBodyIsNotDelivered() throws {
        try start()
        daemon.stop()
        daemon = try CaptureDaemon(
            capture: CaptureConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0), maxBody: 4, forwardTo: "http://127.0.0.1:9/x"),
            store: SQLiteBackend(path: dbPath), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), threads: 1)
        let client = try RawHTTPClient(port: port)
        try client.send("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n0123456789")
        XCTAssertEqual(try client.readResponse().status, 413)
        let request = try XCTUnwrap(try stored(1).first)
        XCTAssertEqual(request.deliveryState, .none, "a truncated body is not forwarded as if complete")
        XCTAssertNil(request.targetURL)
    }
}

/// Bytes that are not ASCII in the request target and header values are
/// kept exactly; a head the decoder refuses is recorded with why.
final class ExactBytesTests: XCTestCase {
    private var dir: TempDirectory!
    private var daemon: CaptureDaemon!
    private var port: Int { daemon.server.boundAddress.port }
    private var dbPath: String { dir.file("hooktop.sqlite") }

    override func setUpWithError() throws {
        dir = TempDirectory("exact")
        daemon = try CaptureDaemon(capture: CaptureConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0)),
                                   store: SQLiteBackend(path: dbPath),
                                   logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), threads: 1)
    }

    override func tearDown() { daemon?.stop(); daemon = nil }

    private func newest() throws -> CapturedRequest {
        let reader = try StoreReader(path: dbPath)
        for _ in 0..<100 {
            if try reader.maxID() > 0 { break }
            usleep(50_000)
        }
        return try reader.request(id: try reader.maxID())
    }

    func testRawUTF8TargetAndHeaderValuesAreKept() throws {
        let client = try RawHTTPClient(port: port)
        try client.send(Array("POST /café/ünïcode?q=日本 HTTP/1.1\r\nHost: h\r\nX-Name: José Müller\r\nContent-Length: 0\r\n\r\n".utf8))
        XCTAssertEqual(try client.readResponse().status, 200)
        let r = try newest()
        XCTAssertEqual(r.target, "/café/ünïcode?q=日本")
        XCTAssertEqual(r.headers.first("X-Name"), "José Müller")
    }

    func testObsTextBytesAreKeptByteForByte() throws {
        let client = try RawHTTPClient(port: port)
        // Latin-1 é (0xE9) and a lone 0xFF: not UTF-8, legal obs-text in a header value.
        let head = Array("GET /x HTTP/1.1\r\nHost: h\r\nX-Latin1: caf".utf8) + [0xE9, 0x20, 0xFF] + Array("\r\n\r\n".utf8)
        try client.send(head)
        XCTAssertEqual(try client.readResponse().status, 200)
        let r = try newest()
        let value = try XCTUnwrap(r.headers.first("X-Latin1"))
        XCTAssertEqual(WireText.bytes(of: value), Array("caf".utf8) + [0xE9, 0x20, 0xFF])
        XCTAssertEqual(TerminalText.inline(value), "caf\\xe9 \\xff", "shown as placeholders, never raw")
    }

    func testRefusedHeadIsRecordedWithTheReason() throws {
        let client = try RawHTTPClient(port: port)
        try client.send("POST /hook HTTP/1.1\r\nHost: h\r\nBad Header: x\r\nX-Seen: yes\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 400)
        let r = try newest()
        XCTAssertEqual(r.method, "POST")
        XCTAssertEqual(r.target, "/hook")
        XCTAssertEqual(r.headers.first("X-Seen"), "yes")
        XCTAssertEqual(r.error, "the request head was refused: a header line is not 'Name: value'")
        XCTAssertEqual(r.response.status, 400)
    }

    func testSmugglingShapesAreRefused() throws {
        for head in ["POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
                     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n",
                     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
                     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n",
                     "GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n folded\r\n\r\n"] {
            let client = try RawHTTPClient(port: port)
            try client.send(head)
            XCTAssertEqual(try client.readResponse().status, 400, head)
        }
    }

    func testPipelinedRequestsAreAnsweredInOrder() throws {
        let client = try RawHTTPClient(port: port)
        try client.send("POST /1 HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\naGET /2 HTTP/1.1\r\nHost: h\r\n\r\nHEAD /3 HTTP/1.1\r\nHost: h\r\n\r\nGET /4 HTTP/1.1\r\nHost: h\r\n\r\n")
        for _ in 0..<2 { XCTAssertEqual(try client.readResponse().status, 200) }
        // A HEAD answer has a Content-Length but no body: the next answer must still parse.
        let headResponse = try client.readResponseHead()
        XCTAssertEqual(headResponse.status, 200)
        XCTAssertEqual(try client.readResponse().status, 200)
        let reader = try StoreReader(path: dbPath)
        XCTAssertEqual(try reader.list(limit: 0, filter: nil, includeBodies: false, includeDeliveries: false).map(\.target).reversed(),
                       ["/1", "/2", "/3", "/4"])
    }
}
