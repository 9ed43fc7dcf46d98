import Foundation
import HooktopTesting
import XCTest

/// Every export read by the tool that reads it in real life — HAR by the
/// HAR 1.2 JSON schema, mitmproxy and haralyzer; raw by h11 — and back
/// through `hooktop import`, byte for byte. The tools come from PyPI
/// (`.ci/run` installs them; locally set HOOKTOP_TEST_PYTHON to a python
/// that has mitmproxy, haralyzer, h11, jsonschema and rfc3987).
final class InteropTests: XCTestCase {
    private var dir: TempDirectory!
    private var db: String { dir.file("a.sqlite") }
    private static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    override func setUpWithError() throws {
        dir = TempDirectory("interop")
        guard Self.python != nil else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("CI must provide the interop tools (HOOKTOP_TEST_PYTHON)") }
            throw XCTSkip("set HOOKTOP_TEST_PYTHON to a python with mitmproxy, haralyzer, h11, jsonschema, rfc3987")
        }
    }

    /// The published HAR 1.2 schema (har-schema, ISC), kept with the tests
    /// so the check needs nothing outside the repository.
    private static let harSchema = repo.appendingPathComponent("Tests/Interop/har-schema").path

    private static var python: String? {
        let env = ProcessInfo.processInfo.environment["HOOKTOP_TEST_PYTHON"]
        let candidates = [env, repo.appendingPathComponent(".build/interop-venv/bin/python3").path].compactMap { $0 }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `interop.py COMMAND ARGS…`; returns its JSON output.
    @discardableResult
    private func tool(_ command: String, _ args: [String]) throws -> Any {
        let run = try HooktopBinary.spawn(try XCTUnwrap(Self.python),
                                          [Self.repo.appendingPathComponent("Tests/Interop/interop.py").path, command] + args,
                                          timeoutSeconds: 120)
        XCTAssertEqual(run.status, 0, "\(command): \(run.stderr)")
        return try JSONSerialization.jsonObject(with: run.stdoutData.isEmpty ? Data("null".utf8) : run.stdoutData, options: [.fragmentsAllowed])
    }

    private func send(_ port: Int, _ bytes: [UInt8]) throws {
        let client = try RawHTTPClient(port: port, timeoutSeconds: 30)
        try client.send(bytes)
        let status = bytes.starts(with: Array("HEAD ".utf8)) ? try client.readResponseHead().status : try client.readResponse().status
        XCTAssertEqual(status, 200, String(decoding: bytes.prefix(60), as: UTF8.self))
    }

    private func post(_ port: Int, _ target: String, _ headers: [String], _ body: [UInt8], version: String = "HTTP/1.1") throws {
        let head = "POST \(target) \(version)\r\n" + (headers + ["Content-Length: \(body.count)"]).map { $0 + "\r\n" }.joined() + "\r\n"
        try send(port, Array(head.utf8) + body)
    }

    /// JSON, form, multipart, binary, 1 MB and 10 MB bodies, HEAD, odd
    /// targets, duplicate and empty headers, HTTP/1.0, obs-text.
    private func captureVariedTraffic() throws {
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        let p = daemon.port
        try post(p, "/json?x=1&y=%20", ["Host: hooks.example.com", "Content-Type: application/json", "Cookie: session=abc; theme=dark",
                                        "X-Dup: 1", "x-dup: 2", "X-Empty: "], Array(#"{"id":"evt_1","amount":2000,"note":"é ✓"}"#.utf8))
        try post(p, "/form", ["Host: h", "Content-Type: application/x-www-form-urlencoded"], Array("a=1&b=hello+world&c=%C3%A9".utf8))
        let multipart = Array("--XyZ\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
            + Fixtures.allBytes + Array("\r\n--XyZ--\r\n".utf8)
        try post(p, "/upload", ["Host: h", "Content-Type: multipart/form-data; boundary=XyZ"], multipart)
        try post(p, "/bin", ["Host: h", "Content-Type: application/octet-stream"], Fixtures.allBytes)
        try post(p, "/one-mb", ["Host: h", "Content-Type: text/plain"], Array(String(repeating: "abcdefghij", count: 100_000).utf8))
        var rng = SeededRandom(seed: 10)
        try post(p, "/ten-mb", ["Host: h", "Content-Type: application/octet-stream"], (0..<10_000_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
        try send(p, Array("HEAD /head HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        try send(p, Array("GET /a[1]{2}/*?q=[x]&r={y}&s=a%20b HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        try send(p, Array("GET /café/日本?q=é HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        try send(p, Array("GET http://example.com/abs?x=1 HTTP/1.1\r\nHost: example.com\r\n\r\n".utf8))
        try send(p, Array("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n".utf8))
        try post(p, "/old", [], Array("hello".utf8), version: "HTTP/1.0")
        try send(p, Array("GET /latin1 HTTP/1.1\r\nHost: h\r\nX-Name: Jos".utf8) + [0xE9] + Array("\r\n\r\n".utf8))
        XCTAssertEqual(daemon.stop(), 0)
    }

    private func export(_ format: String, _ db: String, _ file: String) throws {
        let out = try HooktopBinary.run(["export", "--db", db, "--format", format, "-o", file])
        XCTAssertEqual(out.status, 0, out.stderr)
    }

    private func requests(_ db: String) throws -> [[String: Any]] {
        let out = try HooktopBinary.run(["export", "--db", db, "--format", "ndjson", "--oldest-first"])
        return try out.stdout.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    private func bytes(_ base64: Any?) -> [UInt8] { Array(Data(base64Encoded: base64 as? String ?? "") ?? Data()) }

    func testHARValidatesLoadsInMitmproxyAndHaralyzerAndRoundTripsExactly() throws {
        try captureVariedTraffic()
        let har = dir.file("a.har")
        try export("har", db, har)
        try tool("har-schema", [Self.harSchema, har])

        let original = try requests(db).reversed() as [[String: Any]]  // newest first, as the HAR
        let mitm = try XCTUnwrap(try tool("mitmproxy", [har]) as? [[String: Any]])
        XCTAssertEqual(mitm.count, original.count)
        for (m, o) in zip(mitm, original) {
            XCTAssertEqual(m["method"] as? String, o["method"] as? String)
            XCTAssertEqual(m["status"] as? Int, 200)
            // mitmproxy reads postData as text: text bodies arrive whole.
            let body = bytes(o["body_base64"])
            if let text = String(validating: body, as: UTF8.self), !body.contains(0) {
                XCTAssertEqual(bytes(m["body_base64"]), Array(text.utf8), "\(o["target"] ?? "")")
            }
        }
        let viaHaralyzer = try XCTUnwrap(try tool("haralyzer", [har]) as? [[String: Any]])
        XCTAssertEqual(viaHaralyzer.count, original.count)
        XCTAssertTrue(viaHaralyzer.contains { ($0["url"] as? String) == "http://h/caf%C3%A9/%E6%97%A5%E6%9C%AC?q=%C3%A9" }, "\(viaHaralyzer.map { $0["url"] ?? "" })")

        // Export → import → export: the same file, byte for byte.
        let back = dir.file("b.sqlite")
        XCTAssertEqual(try HooktopBinary.run(["import", "--db", back, har]).status, 0)
        let again = dir.file("b.har")
        try export("har", back, again)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: again)), try Data(contentsOf: URL(fileURLWithPath: har)))
    }

    func testRawExportIsAStreamH11Reads() throws {
        try captureVariedTraffic()
        let raw = dir.file("a.raw")
        try export("raw", db, raw)
        let parsed = try XCTUnwrap(try tool("h11", [raw]) as? [[String: Any]])
        let original = try requests(db).reversed() as [[String: Any]]
        XCTAssertEqual(parsed.count, original.count)
        for (h, o) in zip(parsed, original) {
            let what = "\(o["method"] ?? "") \(o["target"] ?? "")"
            XCTAssertEqual(h["method"] as? String, o["method"] as? String, what)
            // A target that is not ASCII goes percent-encoded, with the original in a header.
            var headers = h["headers"] as? [[String]] ?? []
            var target = String(decoding: bytes(h["target"]), as: UTF8.self)
            if let original = headers.firstIndex(where: { $0[0] == "X-Hooktop-Original-Target" }) {
                XCTAssertTrue(target.utf8.allSatisfy { $0 < 0x80 }, what)
                target = String(decoding: bytes(headers.remove(at: original)[1]), as: UTF8.self)
            }
            XCTAssertEqual(target, o["target"] as? String, what)
            XCTAssertEqual(h["version"] as? String, o["version"] as? String, what)
            XCTAssertEqual(headers.map(\.first), (o["headers"] as? [[String]])?.map(\.first), what)
            XCTAssertEqual(bytes(h["body"]), bytes(o["body_base64"]), what)
        }
        // The obs-text header value came through as the very byte.
        let latin1 = try XCTUnwrap(parsed.first { String(decoding: bytes($0["target"]), as: UTF8.self) == "/latin1" })
        let value = try XCTUnwrap((latin1["headers"] as? [[String]])?.first { $0[0] == "X-Name" })
        XCTAssertEqual(bytes(value[1]), Array("Jos".utf8) + [0xE9])
    }

    func testTruncatedBodiesStillMakeAValidStream() throws {
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0", "--max-body", "16"])
        let client = try RawHTTPClient(port: daemon.port)
        try client.send(Array("POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n".utf8) + Array(repeating: 0x61, count: 100))
        XCTAssertEqual(try client.readResponse().status, 413)
        try post(daemon.port, "/after", ["Host: h"], Array("next".utf8))
        XCTAssertEqual(daemon.stop(), 0)
        let raw = dir.file("t.raw")
        try export("raw", db, raw)
        let parsed = try XCTUnwrap(try tool("h11", [raw]) as? [[String: Any]])
        XCTAssertEqual(parsed.count, 2, "the request after the truncated one is not swallowed")
        let first = try XCTUnwrap(parsed.first { String(decoding: bytes($0["target"]), as: UTF8.self) == "/big" })
        XCTAssertEqual(bytes(first["body"]).count, 16)
        let headers = (first["headers"] as? [[String]] ?? []).map { [$0[0], String(decoding: bytes($0[1]), as: UTF8.self)] }
        XCTAssertTrue(headers.contains(["X-Hooktop-Truncated", "kept 16 of 100 bytes"]), "\(headers)")
        XCTAssertTrue(headers.contains(["Content-Length", "16"]), "\(headers)")
    }

    /// A HAR written by mitmproxy itself (lone surrogates for bytes that are
    /// not text, its own charset choices) imports with the exact bodies.
    func testHARWrittenByMitmproxyImportsExactly() throws {
        try captureVariedTraffic()
        let har = dir.file("a.har"), mitm = dir.file("mitm.har")
        try export("har", db, har)
        try tool("mitmproxy-write", [har, mitm])
        let back = dir.file("m.sqlite")
        let imported = try HooktopBinary.run(["import", "--db", back, mitm])
        XCTAssertEqual(imported.status, 0, imported.stderr)
        let original = try requests(db), again = try requests(back)
        XCTAssertEqual(again.count, original.count)
        // Paired by method and target (each unique here), not by position:
        // mitmproxy keeps times to the millisecond, and two requests sent
        // back to back can come back in either order.
        for x in original where ["POST", "PUT", "PATCH"].contains(x["method"] as? String ?? "") {
            let y = try XCTUnwrap(again.first { $0["method"] as? String == x["method"] as? String && $0["target"] as? String == x["target"] as? String },
                                  "\(x["target"] ?? "")")
            XCTAssertEqual(bytes(y["body_base64"]), bytes(x["body_base64"]), "\(x["target"] ?? "")")
        }
    }

    /// The same varied capture through the curl export, run by bash against
    /// a second daemon: every request arrives as it was captured.
    func testCurlExportReproducesTheVariedCapture() throws {
        try captureVariedTraffic()
        let second = try RunningDaemon(["serve", "--db", dir.file("c.sqlite"), "--listen", "127.0.0.1:0"])
        let script = dir.file("replay.sh")
        let out = try HooktopBinary.run(["export", "--db", db, "--format", "curl", "--oldest-first",
                                         "--base-url", "http://127.0.0.1:\(second.port)", "-o", script])
        XCTAssertEqual(out.status, 0, out.stderr)
        XCTAssertEqual(try CurlReplay.run(script), 0)
        XCTAssertEqual(second.stop(), 0)
        CurlReplay.assertSame(try requests(db), try requests(dir.file("c.sqlite")))
    }

    /// NDJSON carries the recorded response, so a HAR made after an NDJSON
    /// import is complete; and NDJSON export → import → export is identical.
    func testNDJSONCarriesTheResponseAndRoundTripsExactly() throws {
        try captureVariedTraffic()
        let nd = dir.file("a.ndjson")
        try export("ndjson", db, nd)
        let back = dir.file("n.sqlite")
        XCTAssertEqual(try HooktopBinary.run(["import", "--db", back, nd]).status, 0)
        let again = dir.file("b.ndjson")
        try export("ndjson", back, again)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: again)), try Data(contentsOf: URL(fileURLWithPath: nd)))
        let har = dir.file("n.har")
        try export("har", back, har)
        try tool("har-schema", [Self.harSchema, har])
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: har))) as? [String: Any])
        let entry = try XCTUnwrap(((root["log"] as? [String: Any])?["entries"] as? [[String: Any]])?.first)
        let content = try XCTUnwrap((entry["response"] as? [String: Any])?["content"] as? [String: Any])
        XCTAssertEqual(content["text"] as? String, #"{"ok":true}"#)
        XCTAssertEqual(((entry["response"] as? [String: Any])?["headers"] as? [[String: Any]])?.first?["name"] as? String, "Content-Type")
    }
}
