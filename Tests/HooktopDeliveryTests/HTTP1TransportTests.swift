import Crypto
import Foundation
import HooktopCore
@testable import HooktopDelivery
import HooktopTesting
import NIOCore
import NIOHTTP1
import XCTest

/// The forwarding transport against real servers: Python's http.server
/// (keep-alive, as an application behind hooktop would run it), and
/// hand-written answers for the shapes servers produce only sometimes.
final class HTTP1TransportTests: XCTestCase {
    var transport: HTTP1Transport!

    override func setUp() { transport = HTTP1Transport() }
    override func tearDown() async throws { await transport.shutdown() }

    func post(_ url: String, body: [UInt8] = Array("{}".utf8), method: String = "POST",
              headers: [(String, String)] = [], timeoutMicros: Int64 = 5_000_000) async -> TransportResult {
        await transport.send(OutboundRequest(method: method, url: url, headers: HeaderList(headers), body: body, timeoutMicros: timeoutMicros))
    }

    // MARK: - A real server

    private static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Python's http.server on a free port; its port.
    private func pythonTarget() throws -> (Child, Int) {
        let env = ProcessInfo.processInfo.environment["HOOKTOP_TEST_PYTHON"]
        let python = try XCTUnwrap([env, "/usr/bin/python3", "/usr/local/bin/python3"].compactMap { $0 }
            .first { FileManager.default.isExecutableFile(atPath: $0) }, "no python3 to run the target with")
        let child = try Child(python, [Self.repo.appendingPathComponent("Tests/Interop/http_target.py").path])
        for _ in 0..<200 {
            if let line = child.stdout.split(separator: "\n").first(where: { $0.hasPrefix("listening ") }),
               let port = Int(line.dropFirst("listening ".count)) {
                return (child, port)
            }
            usleep(25_000)
        }
        child.signal(SIGKILL)
        throw XCTSkip("the python target did not start: \(child.stderr)")
    }

    func testAPythonServerGetsEveryBodyExactlyOverFewKeptAliveConnections() async throws {
        let (server, port) = try pythonTarget()
        defer { server.signal(SIGKILL) }
        var connections = Set<Int>()
        for i in 0..<24 {
            let body = (0..<(i * 97)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) }
            let method = ["POST", "PUT", "PATCH", "DELETE"][i % 4]
            let r = await post("http://127.0.0.1:\(port)/hooks/\(i)?n=\(i)", body: body, method: method,
                               headers: [("Content-Type", "application/octet-stream"), ("Transfer-Encoding", "chunked"), ("Content-Length", "1")])
            XCTAssertEqual(r.status, 200, r.error ?? "")
            let seen = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any])
            XCTAssertEqual(seen["method"] as? String, method)
            XCTAssertEqual(seen["target"] as? String, "/hooks/\(i)?n=\(i)")
            XCTAssertEqual(seen["sha256"] as? String, SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined())
            XCTAssertEqual(seen["length"] as? String, String(body.count), "the body's own length, not the caller's Content-Length")
            XCTAssertTrue(seen["transfer_encoding"] is NSNull, "a caller's Transfer-Encoding is never sent")
            XCTAssertEqual(seen["host"] as? String, "127.0.0.1:\(port)")
            connections.insert(try XCTUnwrap(seen["connection"] as? Int))
        }
        XCTAssertEqual(connections.count, 1, "one after another, the requests share one connection")

        // Forty at once: more connections, each used again.
        let transport = self.transport!
        let results = await withTaskGroup(of: TransportResult.self) { group in
            for i in 0..<40 {
                group.addTask {
                    await transport.send(OutboundRequest(method: "POST", url: "http://127.0.0.1:\(port)/c/\(i)", headers: HeaderList(),
                                                         body: [], timeoutMicros: 5_000_000))
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(results.filter { $0.status == 200 }.count, 40)
        let served = results.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.body))) as? [String: Any] }.compactMap { $0["served"] as? Int }
        XCTAssertGreaterThan(served.max() ?? 0, 1, "pooled connections carry more than one request")

        let head = await post("http://127.0.0.1:\(port)/h", body: [], method: "HEAD")
        XCTAssertEqual(head.status, 200, "a HEAD answer's Content-Length has no body after it")
        XCTAssertEqual(head.body, [])
        let after = await post("http://127.0.0.1:\(port)/after-head")
        XCTAssertEqual(after.status, 200, "the connection is still in step after a HEAD")
    }

    // MARK: - Answers written by hand

    func testChunkedInformationalAndOversizedAnswersAreRead() async throws {
        let big = String(repeating: "x", count: TransportResult.bodyLimit + 5000)
        let target = try ScriptedTarget { i, _ in
            switch i {
            case 0: .init("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            case 1: .init("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
            case 2: .init("HTTP/1.1 200 OK\r\nContent-Length: \(big.utf8.count)\r\n\r\n\(big)")
            default: .init("HTTP/1.1 204 No Content\r\n\r\n")
            }
        }
        defer { target.stop() }
        let chunked = await post(target.url + "/a")
        XCTAssertEqual(chunked.status, 200)
        XCTAssertEqual(String(decoding: chunked.body, as: UTF8.self), "hello world")
        XCTAssertEqual(chunked.headers.first("X-A"), "1")
        let continued = await post(target.url + "/b")
        XCTAssertEqual(continued.status, 201, "an informational answer is not the answer")
        XCTAssertEqual(continued.body, Array("ok".utf8))
        let oversized = await post(target.url + "/c")
        XCTAssertEqual(oversized.status, 200)
        XCTAssertEqual(oversized.body.count, TransportResult.bodyLimit, "the body is kept up to the limit, the rest read and dropped")
        let empty = await post(target.url + "/d")
        XCTAssertEqual(empty.status, 204)
        XCTAssertEqual(target.connections, 1)
    }

    func testAnHTTP10AnswerWithoutLengthEndsAtTheCloseAndIsNotReused() async throws {
        let target = try ScriptedTarget { i, _ in .init("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end \(i)", close: true) }
        defer { target.stop() }
        for i in 0..<3 {
            let r = await post(target.url + "/x")
            XCTAssertEqual(r.status, 200, r.error ?? "")
            XCTAssertEqual(String(decoding: r.body, as: UTF8.self), "to the end \(i)")
        }
        XCTAssertEqual(target.connections, 3)
    }

    func testConnectionCloseIsHonoured() async throws {
        let target = try ScriptedTarget { _, _ in .init("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok") }
        defer { target.stop() }
        for _ in 0..<3 {
            let r = await post(target.url + "/x")
            XCTAssertEqual(r.status, 200)
        }
        XCTAssertEqual(target.connections, 3)
    }

    /// A server that drops a kept-alive connection after its answer without
    /// saying so (an idle timeout, a restart): the next request on that
    /// connection gets nothing back, and goes again on a new one.
    func testAConnectionTheTargetDroppedWhileIdleIsReplacedNotReportedAsAFailure() async throws {
        let target = try ScriptedTarget { _, _ in .init("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", close: true) }
        defer { target.stop() }
        for _ in 0..<5 {
            let r = await post(target.url + "/x")
            XCTAssertEqual(r.status, 200, r.error ?? "")
            usleep(20_000)  // the close reaches the pooled connection
        }
        for _ in 0..<5 {
            let r = await post(target.url + "/y")  // back to back: the close may not have arrived yet
            XCTAssertEqual(r.status, 200, r.error ?? "")
        }
        XCTAssertEqual(target.requests.count, 10, "each request reached the target once")
    }

    func testAnAnswerCutShortIsAnErrorAndNotSentAgain() async throws {
        let target = try ScriptedTarget { _, _ in .init("HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this", close: true) }
        defer { target.stop() }
        _ = await post(target.url + "/warm")
        let r = await post(target.url + "/cut")
        XCTAssertNil(r.status)
        XCTAssertEqual(r.error, "connection closed by the target before a full response")
        XCTAssertEqual(target.requests.count, 2, "part of an answer came: the request reached the target, so it is not repeated")
    }

    func testAHeaderThatWouldSplitTheRequestIsNeverSent() async throws {
        let target = try ScriptedTarget { _, _ in .init("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") }
        defer { target.stop() }
        for bad in [("X-A", "1\r\nX-Injected: 1"), ("X-B", "a\nb"), ("Bad Name", "1"), ("X-C", "nul\u{0}")] {
            let r = await post(target.url + "/x", headers: [bad])
            XCTAssertNil(r.status, "\(bad)")
            XCTAssertEqual(r.error, "not sent: a header, the method or the target holds a character HTTP does not allow")
        }
        let method = await post(target.url + "/x", method: "PO ST")
        XCTAssertNil(method.status)
        XCTAssertEqual(target.requests, [], "nothing reached the target")
        let fine = await post(target.url + "/fine")
        XCTAssertEqual(fine.status, 200, "a good request after them goes through")
    }

    /// obs-text in a header value (Latin-1 `0xE9`, not UTF-8) and raw bytes
    /// in the target are held as WireText; they go out as the bytes that came.
    func testBytesThatAreNotUTF8GoOutAsTheyCame() async throws {
        let target = try ScriptedTarget { _, _ in .init("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") }
        defer { target.stop() }
        let latin1 = WireText.string([0x63, 0x61, 0x66, 0xE9])  // "caf" + 0xE9
        let path = "/h/" + WireText.string([0xFF, 0x41]) + "/✓"
        let r = await post(target.url + path + "?q=" + latin1, headers: [("X-Name", latin1), ("X-Utf8", "café"), ("X-Tab", "a\tb")])
        XCTAssertEqual(r.status, 200, r.error ?? "")
        let head = try XCTUnwrap(target.rawRequests.first)
        let expected: [UInt8] = Array("POST /h/".utf8) + [0xFF, 0x41] + Array("/✓?q=caf".utf8) + [0xE9] + Array(" HTTP/1.1\r\nX-Name: caf".utf8) + [0xE9]
            + Array("\r\nX-Utf8: café\r\nX-Tab: a\tb\r\nHost: 127.0.0.1:\(target.port)\r\nContent-Length: 2".utf8)
        XCTAssertEqual(head, expected, String(decoding: head, as: UTF8.self))
        for bad in [("X-A", WireText.string([0x61, 0x0D, 0x0A, 0x62])), ("X-B", "del\u{7F}"), ("Bad:Name", "1")] {
            let refused = await post(target.url + "/x", headers: [bad])
            XCTAssertEqual(refused.error, "not sent: a header, the method or the target holds a character HTTP does not allow", "\(bad)")
        }
        XCTAssertEqual(target.rawRequests.count, 1)
    }

    func testURLsItCannotConnectToAreSaidSo() async throws {
        for bad in ["ftp://h/x", "http://", "http://h:0/", "http://h:70000/", "http://u:p@h/", "http://h/a b", "http://h/x#f", "http://[::1/"] {
            let r = await post(bad)
            XCTAssertEqual(r.error, "invalid URL", bad)
        }
    }

    func testTargetURLParts() throws {
        let cases: [(String, Bool, String, Int, String, String)] = [
            ("http://h", false, "h", 80, "h", "/"),
            ("HTTPS://Example.com:8443/a/b?c=d", true, "Example.com", 8443, "Example.com:8443", "/a/b?c=d"),
            ("http://127.0.0.1:3000?x=1", false, "127.0.0.1", 3000, "127.0.0.1:3000", "/?x=1"),
            ("http://[::1]:9/p", false, "::1", 9, "[::1]:9", "/p"),
            ("https://[2001:db8::1]/", true, "2001:db8::1", 443, "[2001:db8::1]", "/"),
            ("http://h/%E2%9C%93?q=%20", false, "h", 80, "h", "/%E2%9C%93?q=%20"),
        ]
        for (text, tls, host, port, authority, target) in cases {
            let url = try XCTUnwrap(TargetURL(text), text)
            XCTAssertEqual([url.tls ? "tls" : "plain", url.host, String(url.port), url.authority, url.requestTarget],
                           [tls ? "tls" : "plain", host, String(port), authority, target], text)
        }
        XCTAssertTrue(TargetURL("http://10.0.0.1/")!.hostIsAddress)
        XCTAssertTrue(TargetURL("http://[::1]/")!.hostIsAddress)
        XCTAssertFalse(TargetURL("https://hooks.example.com/")!.hostIsAddress, "a name gets SNI")
        for port in ["99999999999999999999", "-1", "+80", "8a"] {
            XCTAssertNil(TargetURL("http://h:\(port)/"), port)
        }
    }

    func testATLSHandshakeWithAPlainServerFailsInWords() async throws {
        let (server, port) = try pythonTarget()
        defer { server.signal(SIGKILL) }
        let r = await post("https://127.0.0.1:\(port)/x", timeoutMicros: 3_000_000)
        XCTAssertNil(r.status)
        let error = try XCTUnwrap(r.error)
        XCTAssertEqual(error, "TLS failed: wrong version number", "BoringSSL's reason, without its source paths")
    }
}

/// The field check shared by a forwarded request and a capture answer
/// (`ByteBuffer.writeHTTPField`): what cannot go out as it is is refused.
final class WireFieldTests: XCTestCase {
    private func field(_ name: String, _ value: String) -> String? {
        var buffer = ByteBuffer()
        guard buffer.writeHTTPField(name, value) else {
            XCTAssertEqual(buffer.readableBytes, 0, "a refused field writes nothing")
            return nil
        }
        return String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    func testTokensAndValuesGoOutAsTheyAreAndTheRestIsRefused() {
        XCTAssertEqual(field("X-Ok", "a\tb c"), "X-Ok: a\tb c\r\n")
        XCTAssertEqual(field("X-Utf8", "héllo"), "X-Utf8: héllo\r\n")
        XCTAssertNil(field("Bad Name", "x"))
        XCTAssertNil(field("", "x"))
        XCTAssertNil(field("X-Inject", "a\r\nSet-Cookie: x"))
        XCTAssertNil(field("X-Nul", "a\u{0}b"))
        XCTAssertNil(field("X-Del", "a\u{7F}"))
    }

    func testARequestWithAFieldThatCannotBeSentIsNotEncoded() throws {
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/cb")
        head.headers.add(name: "X-Inject", value: "a\r\nHost: evil")
        var buffer = ByteBuffer()
        XCTAssertFalse(WireRequestEncoder.encode(head, into: &buffer))
        head.headers.remove(name: "X-Inject")
        head.headers.add(name: "X-Fine", value: "1")
        buffer.clear()
        XCTAssertTrue(WireRequestEncoder.encode(head, into: &buffer))
        XCTAssertEqual(String(decoding: buffer.readableBytesView, as: UTF8.self), "POST /cb HTTP/1.1\r\nX-Fine: 1\r\n\r\n")
    }
}
