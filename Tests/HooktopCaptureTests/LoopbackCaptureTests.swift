import Foundation
import HooktopCapture
import HooktopCore
import HooktopStore
import HooktopTesting
import Logging
import XCTest

/// The real server on a loopback socket with a real store, driven by real clients.
final class LoopbackCaptureTests: XCTestCase {
    private var dir: TempDirectory!
    private var daemon: CaptureDaemon!
    private var port: Int { daemon.server.boundAddress.port }
    private var dbPath: String { dir.file("hooktop.sqlite") }

    override func setUpWithError() throws {
        dir = TempDirectory("capture")
        try start(maxBody: 4096)
    }

    override func tearDown() {
        daemon?.stop()
        daemon = nil
    }

    private func start(maxBody: Int) throws {
        daemon?.stop()
        daemon = try CaptureDaemon(
            capture: CaptureConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0), maxBody: maxBody),
            store: SQLiteBackend(path: dbPath), logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), threads: 2)
    }

    private func newest() throws -> CapturedRequest {
        let reader = try StoreReader(path: dbPath)
        return try reader.request(id: try reader.maxID())
    }

    func testHeaderOrderCaseAndDuplicatesAreKept() throws {
        let client = try RawHTTPClient(port: port)
        try client.send("POST /gh/hook?x=1&y=%20 HTTP/1.1\r\nHost: localhost\r\nX-GitHub-Event: push\r\n"
            + "x-github-event: ping\r\nX-Weird-CASE: a, b\r\nContent-Length: 2\r\n\r\n{}")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.bodyText, #"{"ok":true}"#)
        let stored = try newest()
        XCTAssertEqual(stored.headers.fields.map { "\($0.name)=\($0.value)" },
                       ["Host=localhost", "X-GitHub-Event=push", "x-github-event=ping", "X-Weird-CASE=a, b", "Content-Length=2"])
        XCTAssertEqual(stored.target, "/gh/hook?x=1&y=%20")
        XCTAssertEqual(stored.query, "x=1&y=%20")
        XCTAssertEqual(stored.version, "HTTP/1.1")
        XCTAssertTrue(stored.remote.hasPrefix("127.0.0.1:"))
        XCTAssertEqual(stored.response.status, 200)
    }

    func testBinaryBodyFromCurlIsByteExact() throws {
        let file = dir.file("body.bin")
        try Data(Fixtures.allBytes).write(to: URL(fileURLWithPath: file))
        let answer = try curl(["-X", "PUT", "-H", "Content-Type: application/octet-stream",
                               "--data-binary", "@\(file)", "http://127.0.0.1:\(port)/bin"])
        XCTAssertEqual(answer, #"{"ok":true}"#)
        let stored = try newest()
        XCTAssertEqual(stored.body, Fixtures.allBytes)
        XCTAssertEqual(stored.bodySize, 512)
        XCTAssertEqual(stored.method, "PUT")
    }

    func testChunkedBodyIsReassembled() throws {
        let client = try RawHTTPClient(port: port)
        try client.send("POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try client.send("5\r\nhello\r\n")
        try client.send("1\r\n \r\n6\r\nworld!\r\n0\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 200)
        let stored = try newest()
        XCTAssertEqual(String(decoding: stored.body, as: UTF8.self), "hello world!")
        XCTAssertEqual(stored.bodySize, 12)
        XCTAssertEqual(stored.headers.first("transfer-encoding"), "chunked")
    }

    func testKeepAliveServesManyRequestsOnOneConnection() throws {
        let client = try RawHTTPClient(port: port)
        for i in 0..<5 {
            try client.send("POST /ka/\(i) HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n\(i)")
            let response = try client.readResponse()
            XCTAssertEqual(response.status, 200)
            XCTAssertNil(response.header("Connection"))
        }
        let rows = try StoreReader(path: dbPath).list(limit: 0)
        XCTAssertEqual(rows.map(\.target), (0..<5).reversed().map { "/ka/\($0)" })
        XCTAssertEqual(Set(rows.map(\.remote)).count, 1, "one connection, one remote port")
    }

    func testPipelinedRequestsAreAnsweredInOrder() throws {
        let client = try RawHTTPClient(port: port)
        try client.send((0..<3).map { "GET /p/\($0) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined())
        for _ in 0..<3 { XCTAssertEqual(try client.readResponse().status, 200) }
        XCTAssertEqual(try StoreReader(path: dbPath).list(limit: 0).map(\.target), ["/p/2", "/p/1", "/p/0"])
    }

    func testOversizedBodyIs413AndStillRecorded() throws {
        let client = try RawHTTPClient(port: port)
        let big = [UInt8](repeating: UInt8(ascii: "z"), count: 10_000)
        try client.send("POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: \(big.count)\r\n\r\n")
        try client.send(big)
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 413)
        let stored = try newest()
        XCTAssertTrue(stored.bodyTruncated)
        XCTAssertEqual(stored.bodySize, 10_000)
        XCTAssertEqual(stored.body.count, 4096)
        XCTAssertEqual(stored.response.status, 413)
        XCTAssertEqual(stored.headers.first("content-length"), "10000")
        // The connection is still good for the next request.
        try client.send("GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 200)
    }

    func testTwoHundredConcurrentRequestsAreAllStored() throws {
        let failures = NSLock()
        nonisolated(unsafe) var errors: [String] = []
        let port = self.port
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            do {
                let client = try RawHTTPClient(port: port)
                try client.send("POST /c/\(i) HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\n\(String(format: "%04d", i))")
                let status = try client.readResponse().status
                if status != 200 { failures.withLock { errors.append("\(i): \(status)") } }
            } catch {
                failures.withLock { errors.append("\(i): \(error)") }
            }
        }
        XCTAssertEqual(errors, [])
        let rows = try StoreReader(path: dbPath).list(limit: 0)
        XCTAssertEqual(Set(rows.map(\.target)), Set((0..<200).map { "/c/\($0)" }))
        XCTAssertGreaterThanOrEqual(daemon.writer.currentStats().batches, 1)
    }

    func testEveryAnsweredRequestIsAlreadyReadableElsewhere() throws {
        let reader = try StoreReader(path: dbPath)
        let client = try RawHTTPClient(port: port)
        for i in 0..<30 {
            try client.send("POST /vis/\(i) HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
            XCTAssertEqual(try client.readResponse().status, 200)
            XCTAssertEqual(try reader.list(limit: 1).first?.target, "/vis/\(i)")
        }
    }

    func testStorageFailureAnswers503() throws {
        // Let the daemon's own start-up write (where it listens) commit first: the failure is for the request.
        let drained = expectation(description: "start-up writes committed")
        daemon.writer.apply(.setMeta(key: "test", value: "drain")) { _ in drained.fulfill() }
        wait(for: [drained], timeout: 5)
        try XCTUnwrap(daemon.writer as? StoreWriter).simulateCommitFailures(1)
        let client = try RawHTTPClient(port: port)
        try client.send("POST /lost HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 503)
        XCTAssertEqual(try StoreReader(path: dbPath).count(), 0)
    }

    func testMalformedRequestGets400AndServerCarriesOn() throws {
        let client = try RawHTTPClient(port: port)
        try client.send("THIS IS NOT HTTP\r\n\u{1}\u{2}\r\n\r\n")
        XCTAssertEqual(try client.readResponse().status, 400)
        XCTAssertEqual(try curl(["http://127.0.0.1:\(port)/fine"]), #"{"ok":true}"#)
    }

    func testShutdownFinishesTheRequestInFlight() throws {
        let client = try RawHTTPClient(port: port)
        try client.send("POST /inflight HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234")
        Thread.sleep(forTimeInterval: 0.2)
        let stopped = expectation(description: "stopped")
        let daemon = self.daemon!
        self.daemon = nil
        DispatchQueue.global().async { daemon.stop(); stopped.fulfill() }
        Thread.sleep(forTimeInterval: 0.2)
        try client.send("56789")
        let response = try client.readResponse()
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.header("Connection"), "close")
        wait(for: [stopped], timeout: 10)
        XCTAssertEqual(String(decoding: try newest().body, as: UTF8.self), "0123456789")
        XCTAssertThrowsError(try RawHTTPClient(port: daemon.server.boundAddress.port), "no longer accepting")
    }
}
