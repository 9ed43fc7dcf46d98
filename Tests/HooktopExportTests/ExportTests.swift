import Foundation
import HooktopCore
@testable import HooktopExport
import HooktopTesting
import XCTest

final class ExportTests: XCTestCase {
    let requests: [CapturedRequest] = [
        Fixtures.request(target: "/json?x=1&y=%20", body: Array(#"{"card":{"number":"4242"},"id":"evt_1","s":"it's"}"#.utf8),
                         headers: [("Host", "hooks.example.com"), ("Content-Type", "application/json"), ("Authorization", "Bearer sk_live"),
                                   ("Stripe-Signature", "t=1,v1=ab"), ("X-Custom-Token", "t0k")]),
        Fixtures.request(target: "/bin", body: Fixtures.allBytes, headers: [("Host", "h"), ("Content-Type", "application/octet-stream")]),
        Fixtures.request(target: "/esc", body: Array("-\u{1b}]52;c;AAAA\u{07}\u{1b}[2J 100% \\ '".utf8), headers: [("Host", "h")]),
        Fixtures.request(method: "GET", body: [], headers: [("Host", "h"), ("Accept", "text/html")]),
    ]

    func export(_ format: ExportFormat, _ items: [CapturedRequest]? = nil, redactor: Redactor? = nil) throws -> MemoryOutput {
        var out = MemoryOutput()
        var writer = format.makeWriter()
        try writer.begin(to: &out)
        for r in items ?? requests { try writer.write(redactor?.redact(r) ?? r, to: &out) }
        try writer.end(to: &out)
        return out
    }

    func testHARIsValidHAR12WithBinaryAsBase64() throws {
        let text = try export(.har).text
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let log = try XCTUnwrap(root["log"] as? [String: Any])
        XCTAssertEqual(log["version"] as? String, "1.2")
        let entries = try XCTUnwrap(log["entries"] as? [[String: Any]])
        XCTAssertEqual(entries.count, 4)
        let first = try XCTUnwrap(entries[0]["request"] as? [String: Any])
        XCTAssertEqual(first["url"] as? String, "http://hooks.example.com/json?x=1&y=%20")
        XCTAssertEqual((first["queryString"] as? [[String: String]])?.last?["value"], " ")
        XCTAssertEqual((first["postData"] as? [String: Any])?["mimeType"] as? String, "application/json")
        let binary = try XCTUnwrap((entries[1]["request"] as? [String: Any])?["postData"] as? [String: Any])
        XCTAssertEqual(binary["encoding"] as? String, "base64")
        XCTAssertEqual(Data(base64Encoded: binary["text"] as! String).map(Array.init), Fixtures.allBytes)
        for entry in entries {
            for key in ["startedDateTime", "time", "request", "response", "cache", "timings"] { XCTAssertNotNil(entry[key], key) }
        }
    }

    func testNDJSONIsOneSpecObjectPerLine() throws {
        let lines = try export(.ndjson).text.split(separator: "\n")
        XCTAssertEqual(lines.count, 4)
        for (line, r) in zip(lines, requests) { XCTAssertEqual(String(line), r.json().serialized()) }
    }

    func testRawIsWireFormAndRechunksChunkedBodies() throws {
        var chunked = Fixtures.request(target: "/c", body: Array("hello".utf8), headers: [("Host", "h"), ("Transfer-Encoding", "chunked")])
        chunked.version = "HTTP/1.1"
        XCTAssertEqual(try export(.raw, [chunked]).text, "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
        // A body without framing gets a Content-Length, or the stream would run into the next request.
        XCTAssertEqual(try export(.raw, [requests[1]]).bytes,
                       Array("POST /bin HTTP/1.1\r\nHost: h\r\nContent-Type: application/octet-stream\r\nContent-Length: 512\r\n\r\n".utf8) + Fixtures.allBytes)
    }

    func testCurlCommandsPrintNoControlBytes() throws {
        let text = try export(.curl).text
        let commands = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertEqual(commands.count, 4)
        XCTAssertFalse(text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" }, "control bytes in the commands")
        // Bodies reach curl only through printf and a pipe: never as an argument curl could read as @file.
        XCTAssertTrue(text.contains(#"printf '{"card":{"number":"4242"},"id":"evt_1","s":"it\047s"}' | curl"#), text)
        XCTAssertTrue(text.contains("printf '\\055\\033]52;c;AAAA\\007\\033[2J 100%% \\134 \\047' | curl"), text)
        XCTAssertEqual(commands.filter { $0.contains("--data-binary") }.count, 3)
        XCTAssertEqual(commands.filter { $0.contains("--data-binary @- ") }.count, 3)
    }

    func testCurlCommandsReproduceTheBodiesInAShell() throws {
        // Run each command's body part through a real shell and compare bytes.
        for r in requests where !r.body.isEmpty {
            let command = CurlWriter().command(r)
            let script: String
            if command.hasPrefix("printf") {
                script = String(command[..<command.range(of: " | curl")!.lowerBound])
            } else {
                let arg = command[command.range(of: "--data-binary ")!.upperBound...]
                script = "printf '%s' " + arg
            }
            let shell = try HooktopBinary.spawn("/bin/sh", ["-c", script])
            XCTAssertEqual(Array(shell.stdoutData), r.body, r.target)
        }
    }

    func testRedactRemovesCredentialsAndJSONPaths() throws {
        let redactor = Redactor(extraHeaders: ["Accept"], jsonPaths: ["card.number"])
        let r = redactor.redact(requests[0])
        XCTAssertNil(r.headers.first("Authorization"))
        XCTAssertNil(r.headers.first("Stripe-Signature"))
        XCTAssertNil(r.headers.first("X-Custom-Token"))
        XCTAssertEqual(r.headers.first("Content-Type"), "application/json")
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self), #"{"card":{"number":"[redacted]"},"id":"evt_1","s":"it's"}"#)
        XCTAssertNil(redactor.redact(requests[3]).headers.first("Accept"))
        let har = try export(.har, redactor: redactor).text
        XCTAssertFalse(har.contains("sk_live"))
        XCTAssertFalse(har.contains("4242"))
    }

    func testImportRoundTripsBothFormats() throws {
        let dir = TempDirectory("export")
        var items = requests
        items[0].deliveries = [DeliveryAttempt(attempt: 1, kind: .forward, url: "http://t/x", startedAt: Timestamp(microseconds: 1_700_000_000_000_000),
                                               durationMicros: 12_500, status: 500, error: nil)]
        items[0].deliveryState = .retrying
        items[0].signature = SignatureResult(scheme: "stripe", status: .invalid, detail: "no match")
        items[0].source = "stripe"
        for format in [ExportFormat.ndjson, .har] {
            let file = dir.file("out.\(format.rawValue)")
            try Data(try export(format, items).bytes).write(to: URL(fileURLWithPath: file))
            var back: [CapturedRequest] = []
            try Importer.read(path: file) { back.append($0) }
            XCTAssertEqual(back.count, items.count)
            // Export again: the same text, so the same requests.
            XCTAssertEqual(try export(.ndjson, back).text, try export(.ndjson, items).text, format.rawValue)
        }
    }

    func testImportRefusesGarbageWithTheLine() throws {
        let dir = TempDirectory("export")
        let file = dir.file("bad.ndjson")
        try (requests[0].json().serialized() + "\nnot json\n" + requests[1].json().serialized() + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        var skipped: [String] = []
        var read = 0
        try Importer.read(path: file, skipped: { skipped.append($0.description) }) { _ in read += 1 }
        XCTAssertEqual(skipped, ["\(file):2: not a JSON object"])
        XCTAssertEqual(read, 2, "the entries around the bad line are still read")
    }
}
