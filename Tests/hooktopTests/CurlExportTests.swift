import Foundation
import HooktopTesting
import NIOCore
import NIOPosix
import XCTest

/// The curl export, run by bash against a second hooktop: every request
/// arrives exactly as it was captured, and nothing a sender put in a
/// request makes the command read a local file or go to another host.
final class CurlExportTests: XCTestCase {
    private var dir: TempDirectory!
    override func setUp() { dir = TempDirectory("curl-export") }

    private func requests(_ db: String) throws -> [[String: Any]] {
        let out = try HooktopBinary.run(["export", "--db", db, "--format", "ndjson", "--oldest-first"])
        XCTAssertEqual(out.status, 0, out.stderr)
        return try out.stdout.split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// Sends raw bytes and reads the answer, so the test controls every byte.
    private func send(_ port: Int, _ head: String, _ body: [UInt8] = []) throws {
        let client = try RawHTTPClient(port: port)
        try client.send(Array(head.utf8) + body)
        XCTAssertEqual(try client.readResponse().status, 200, head)
    }

    func testEveryRequestArrivesExactlyAsCaptured() throws {
        let first = try RunningDaemon(["serve", "--db", dir.file("a.sqlite"), "--listen", "127.0.0.1:0"])
        let p = first.port
        let big = Array(String(repeating: "0123456789abcdef", count: 200 * 64).utf8)  // 200 KiB of text
        let binary = Fixtures.allBytes + Array(repeating: 0, count: 100_000)
        let json = Array(#"{"id":"evt_1","text":"it's 100% \"quoted\" $HOME `id` \\n"}"#.utf8)
        try send(p, "POST /json?x=1&y=%20 HTTP/1.1\r\nHost: hooks.example.com\r\nContent-Type: application/json\r\nX-Dup: 1\r\nx-dup: 2\r\nX-Empty: \r\nContent-Length: \(json.count)\r\n\r\n", json)
        try send(p, "POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: \(big.count)\r\n\r\n", big)
        try send(p, "PUT /bin HTTP/1.1\r\nContent-Length: \(binary.count)\r\nHost: h\r\nContent-Type: application/octet-stream\r\n\r\n", binary)
        _ = try curl(["--head", "-H", "X-Head: 1", "http://127.0.0.1:\(p)/head"])
        try send(p, "GET /a[1]{2}/*?q=[x]&r={y} HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n")
        try send(p, "GET http://example.com/abs?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n")
        try send(p, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n")
        try send(p, "POST /old HTTP/1.0\r\nContent-Length: 3\r\n\r\n", Array("abc".utf8))
        try send(p, "POST /chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        try send(p, "DELETE /nobody HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n")

        let second = try RunningDaemon(["serve", "--db", dir.file("b.sqlite"), "--listen", "127.0.0.1:0"])
        let script = dir.file("replay.sh")
        let export = try HooktopBinary.run(["export", "--db", dir.file("a.sqlite"), "--format", "curl", "--oldest-first",
                                            "--base-url", "http://127.0.0.1:\(second.port)", "-o", script])
        XCTAssertEqual(export.status, 0, export.stderr)
        let text = try String(contentsOfFile: script, encoding: .utf8)
        XCTAssertFalse(text.contains("0123456789abcdef0123456789abcdef"), "the 200 KiB body is in a file beside the script")
        XCTAssertEqual(try CurlReplay.run(script), 0)

        let left = try requests(dir.file("a.sqlite")), right = try requests(dir.file("b.sqlite"))
        XCTAssertEqual(left.count, 10)
        CurlReplay.assertSame(left, right)
    }

    /// A body that names a local file, and a Host header naming another
    /// server: running the export neither uploads the file nor contacts it.
    func testSenderCannotMakeTheCommandReadFilesOrPickTheHost() throws {
        let secretFile = dir.file("secret.txt")
        try Data("TOP-SECRET-CONTENT".utf8).write(to: URL(fileURLWithPath: secretFile))
        // A listener standing in for "another host": it must see no connection.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let contacted = NIOLockedCounter()
        let decoy = try ServerBootstrap(group: group)
            .childChannelInitializer { channel in contacted.increment(); return channel.close() }
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? decoy.close().wait() }
        let decoyPort = try XCTUnwrap(decoy.localAddress?.port)

        let first = try RunningDaemon(["serve", "--db", dir.file("a.sqlite"), "--listen", "127.0.0.1:0"])
        let body = Array("@\(secretFile)".utf8)
        try send(first.port, "POST /upload HTTP/1.1\r\nHost: 127.0.0.1:\(decoyPort)\r\nContent-Length: \(body.count)\r\n\r\n", body)
        try send(first.port, "POST /form HTTP/1.1\r\nHost: 127.0.0.1:\(decoyPort)\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.count + 2)\r\n\r\n",
                 Array("a=".utf8) + body)

        // No --base-url: the commands go to the capturing daemon's address (here, a second daemon standing in for it).
        let second = try RunningDaemon(["serve", "--db", dir.file("b.sqlite"), "--listen", "127.0.0.1:0"])
        let script = dir.file("replay.sh")
        let export = try HooktopBinary.run(["export", "--db", dir.file("a.sqlite"), "--format", "curl", "--oldest-first",
                                            "--listen", "127.0.0.1:\(second.port)", "-o", script])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertEqual(try CurlReplay.run(script), 0)
        let received = try requests(dir.file("b.sqlite"))
        XCTAssertEqual(received.count, 2)
        for r in received {
            let bytes = Data(base64Encoded: r["body_base64"] as? String ?? "") ?? Data()
            XCTAssertFalse(String(decoding: bytes, as: UTF8.self).contains("TOP-SECRET"), "a local file was uploaded")
            XCTAssertTrue(String(decoding: bytes, as: UTF8.self).hasSuffix("@\(secretFile)"))
        }
        XCTAssertEqual(contacted.value, 0, "the command went to the host the sender named")
        XCTAssertTrue(try String(contentsOfFile: script, encoding: .utf8).contains("'http://127.0.0.1:\(second.port)'"))
    }
}

final class NIOLockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
