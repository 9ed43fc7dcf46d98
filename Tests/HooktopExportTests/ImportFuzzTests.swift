import Foundation
import HooktopCore
@testable import HooktopExport
import HooktopTesting
import XCTest

/// Import files are user input: hostile numbers in any field make that entry
/// an error with its place, and the other entries are still read.
final class ImportFuzzTests: XCTestCase {
    private func read(_ text: String, name: String = "in.ndjson") throws -> (requests: [CapturedRequest], skipped: [String]) {
        let dir = TempDirectory()
        let path = dir.file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        var requests: [CapturedRequest] = []
        var skipped: [String] = []
        try Importer.read(path: path, skipped: { skipped.append($0.description) }) { requests.append($0) }
        return (requests, skipped)
    }

    private let good = #"{"method":"POST","target":"/ok","received_at":"2026-11-28T23:12:07.473Z","headers":[],"body_base64":""}"#

    func testHugeDurationIsAnEntryErrorAndTheRestIsImported() throws {
        let bad = #"{"method":"POST","target":"/x","received_at":"2026-11-28T23:12:07.473Z","response":{"status":200,"duration_ms":1e300}}"#
        let result = try read([good, bad, good].joined(separator: "\n"))
        XCTAssertEqual(result.requests.count, 2)
        XCTAssertEqual(result.skipped.count, 1)
        XCTAssertTrue(result.skipped[0].contains(":2: response.duration_ms"), result.skipped[0])
    }

    /// A field of the wrong type is that entry's error, named by its path, never a silent default.
    func testAFieldOfTheWrongTypeIsNamedNotDefaulted() throws {
        let lines = [
            #"{"method":"POST","target":"/x","received_at":"2026-11-28T23:12:07.473Z","remote":5}"#,
            #"{"method":"POST","target":"/x","received_at":"2026-11-28T23:12:07.473Z","signature":{"status":["valid"]}}"#,
            #"{"method":"POST","target":"/x","received_at":"2026-11-28T23:12:07.473Z","body_truncated":"yes"}"#,
            #"{"method":"POST","received_at":"2026-11-28T23:12:07.473Z"}"#,
            #"{"method":"POST","target":"/x","received_at":"2026-11-28T23:12:07.473Z","body_base64":"***"}"#,
            "[1, 2]",
            good,
        ]
        let result = try read(lines.joined(separator: "\n"))
        XCTAssertEqual(result.requests.count, 1)
        XCTAssertEqual(result.skipped.map { $0.replacingOccurrences(of: #"^.*in\.ndjson:"#, with: "", options: .regularExpression) }, [
            "1: remote: expected a string",
            "2: signature.status: expected a string",
            "3: body_truncated: expected true or false",
            "4: target is missing",
            "5: body_base64 is not base64",
            "6: expected an object",
        ])
    }

    func testHARWithHostileNumbersSkipsThatEntryByIndex() throws {
        let entry = { (time: String, status: String) in
            #"{"startedDateTime":"2026-11-28T23:12:07.473Z","time":\#(time),"request":{"method":"GET","url":"http://h/a","httpVersion":"HTTP/1.1","headers":[]},"response":{"status":\#(status),"headers":[],"content":{"size":0,"text":""}}}"#
        }
        let har = #"{"log":{"version":"1.2","entries":["# + [entry("1.5", "200"), entry("1e308", "200"), entry("2", "99999999999999999999"),
                                                              entry("-1", "0")].joined(separator: ",") + "]}}"
        let result = try read(har, name: "in.har")
        XCTAssertEqual(result.requests.count, 2)
        XCTAssertEqual(result.skipped.count, 2, "\(result.skipped)")
        XCTAssertTrue(result.skipped[0].contains("entry 2"), result.skipped[0])
        XCTAssertTrue(result.skipped[1].contains("entry 3"), result.skipped[1])
        XCTAssertEqual(result.requests[0].response.durationMicros, 1500)
    }

    func testFuzzEveryNumericFieldNeverTraps() throws {
        var rng = SeededRandom(seed: 0x1A_7017)
        let fields = ["body_size", "response.status", "response.duration_ms", "deliveries.attempt", "deliveries.duration_ms",
                      "deliveries.status", "received_at", "deliveries.started_at"]
        var lines: [String] = []
        for _ in 0..<3_000 {
            var object: [String: Any] = ["method": "POST", "target": "/f", "received_at": "2026-11-28T23:12:07.473Z"]
            var response: [String: Any] = [:]
            var attempt: [String: Any] = ["attempt": 1, "url": "http://t/", "started_at": "2026-11-28T23:12:07.473Z"]
            let raw = rng.pick(FuzzValues.numbers)
            // A number as JSON would hold it, or the hostile text itself as a string.
            let value: Any = Double(raw).map { $0.isFinite ? $0 as Any : raw as Any } ?? raw
            switch rng.pick(fields) {
            case "body_size": object["body_size"] = value
            case "response.status": response["status"] = value
            case "response.duration_ms": response["duration_ms"] = value
            case "deliveries.attempt": attempt["attempt"] = value
            case "deliveries.duration_ms": attempt["duration_ms"] = value
            case "deliveries.status": attempt["status"] = value
            case "received_at": object["received_at"] = "\(raw)-01-01T00:00:00Z"
            default: attempt["started_at"] = "2026-01-01T00:00:\(raw)Z"
            }
            object["response"] = response
            object["deliveries"] = [attempt]
            let data = try JSONSerialization.data(withJSONObject: object)
            lines.append(String(decoding: data, as: UTF8.self))
        }
        lines.append("not json")
        lines.append(String(repeating: "[", count: 100_000))
        let result = try read(lines.joined(separator: "\n"))
        XCTAssertEqual(result.requests.count + result.skipped.count, 3_002)
        XCTAssertGreaterThan(result.requests.count, 500)
        XCTAssertGreaterThan(result.skipped.count, 200)
        for r in result.requests {
            XCTAssertGreaterThanOrEqual(r.bodySize, r.body.count)
            XCTAssertTrue((0...DurationText.maximum).contains(r.response.durationMicros))
            XCTAssertTrue(Timestamp.representable.contains(r.receivedAt))
        }
    }
}

/// HARs shaped as other tools write them (fields, omissions and quirks as
/// documented for Chrome, Firefox, Insomnia and mitmproxy).
final class ForeignHARTests: XCTestCase {
    private func read(_ har: String) throws -> (requests: [CapturedRequest], skipped: [String]) {
        let dir = TempDirectory()
        let path = dir.file("in.har")
        try Data(har.utf8).write(to: URL(fileURLWithPath: path))
        var requests: [CapturedRequest] = []
        var skipped: [String] = []
        try Importer.read(path: path, skipped: { skipped.append($0.description) }) { requests.append($0) }
        return (requests, skipped)
    }

    func testChromeStyleEntry() throws {
        let har = #"""
        {"log":{"version":"1.2","creator":{"name":"WebInspector","version":"537.36"},"pages":[{"startedDateTime":"2026-11-28T23:12:07.473Z","id":"page_1","title":"x","pageTimings":{}}],
         "entries":[{"_initiator":{"type":"other"},"_priority":"High","_resourceType":"fetch","cache":{},"connection":"443","pageref":"page_1",
          "request":{"method":"POST","url":"https://api.example.com/v1/hook?x=%20y#frag","httpVersion":"http/2.0",
            "headers":[{"name":":authority","value":"api.example.com"},{"name":":method","value":"POST"},{"name":"content-type","value":"application/json"}],
            "queryString":[{"name":"x","value":"%20y"}],"cookies":[],"headersSize":-1,"bodySize":9,
            "postData":{"mimeType":"application/json","text":"{\"a\":\"é\"}"}},
          "response":{"status":204,"statusText":"","httpVersion":"http/2.0","headers":[],"cookies":[],"content":{"size":0,"mimeType":"x-unknown"},
            "redirectURL":"","headersSize":-1,"bodySize":-1,"_transferSize":120,"_error":null},
          "serverIPAddress":"93.184.216.34","startedDateTime":"2026-11-28T23:12:07.473+01:00","time":12.345678,
          "timings":{"blocked":1.2,"dns":-1,"ssl":-1,"connect":-1,"send":0.1,"wait":10.5,"receive":0.5,"_blocked_queueing":0.8}}]}}
        """#
        let result = try read(har)
        XCTAssertEqual(result.skipped, [])
        let r = try XCTUnwrap(result.requests.first)
        XCTAssertEqual(r.method, "POST")
        XCTAssertEqual(r.target, "/v1/hook?x=%20y#frag", "the target as the URL writes it, not re-encoded")
        XCTAssertEqual(r.headers.fields.map(\.name), ["content-type"], "HTTP/2 pseudo-headers are not HTTP/1.1 headers")
        XCTAssertEqual(r.body, Array(#"{"a":"é"}"#.utf8))
        XCTAssertEqual(r.response.status, 204)
        XCTAssertEqual(r.receivedAt, Timestamp(iso8601: "2026-11-28T22:12:07.473Z"))
        XCTAssertEqual(r.response.durationMicros, 12_346)
    }

    func testFirefoxFormWithParamsButNoText() throws {
        let har = #"""
        {"log":{"version":"1.2","creator":{"name":"Firefox","version":"120.0"},"browser":{"name":"Firefox","version":"120.0"},"pages":[],
         "entries":[{"startedDateTime":"2026-11-28T23:12:07.473+00:00","time":3,
          "request":{"bodySize":13,"method":"POST","url":"http://localhost:3000/login","httpVersion":"HTTP/1.1",
            "headers":[{"name":"Host","value":"localhost:3000"},{"name":"Content-Type","value":"application/x-www-form-urlencoded"}],
            "cookies":[{"name":"sid","value":"1"}],"queryString":[],"headersSize":300,
            "postData":{"mimeType":"application/x-www-form-urlencoded","params":[{"name":"user","value":"a b"},{"name":"pw","value":"x&y"}]}},
          "response":{"status":302,"statusText":"Found","httpVersion":"HTTP/1.1","headers":[{"name":"Location","value":"/"}],"cookies":[],
            "content":{"mimeType":"text/html","size":0},"redirectURL":"/","headersSize":100,"bodySize":0},
          "cache":{},"timings":{"blocked":-1,"dns":0,"connect":0,"ssl":0,"send":0,"wait":3,"receive":0}}]}}
        """#
        let r = try XCTUnwrap(try read(har).requests.first)
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self), "user=a%20b&pw=x%26y")
        XCTAssertEqual(r.response.status, 302)
        XCTAssertEqual(r.response.headers.first("Location"), "/")
    }

    func testInsomniaStyleWithMissingOptionalFields() throws {
        let har = #"""
        {"log":{"version":"1.2","creator":{"name":"Insomnia REST Client","version":"insomnia.desktop.app:v8"},
         "entries":[{"startedDateTime":"2026-11-28T23:12:07.473Z","time":0,
          "request":{"method":"GET","url":"http://127.0.0.1:8080/status","httpVersion":"HTTP/1.1","cookies":[],"headers":[],"queryString":[],"headersSize":-1,"bodySize":-1},
          "response":{"status":0,"statusText":"","httpVersion":"HTTP/1.1","cookies":[],"headers":[],"content":{"size":0,"mimeType":""},"redirectURL":"","headersSize":-1,"bodySize":-1},
          "cache":{},"timings":{"blocked":-1,"dns":-1,"connect":-1,"send":0,"wait":0,"receive":0,"ssl":-1},"comment":""},
          {"request":{"method":"GET"}}, 17]}}
        """#
        let result = try read(har)
        XCTAssertEqual(result.requests.count, 1)
        XCTAssertEqual(result.requests[0].target, "/status")
        XCTAssertEqual(result.skipped.count, 2, "\(result.skipped)")
        XCTAssertTrue(result.skipped[0].contains("entry 2"))
        XCTAssertTrue(result.skipped[1].contains("entry 3"))
    }

    /// mitmproxy writes a byte that is not UTF-8 as a lone surrogate escape.
    func testLoneSurrogatesBecomeTheBytesTheyStandFor() throws {
        let har = #"""
        {"log":{"version":"1.2","creator":{"name":"mitmproxy","version":"11.0.2","comment":""},"pages":[],
         "entries":[{"startedDateTime":"2026-11-28T23:12:07.473000+00:00","time":1.5,
          "request":{"method":"POST","url":"http://h/x","httpVersion":"HTTP/1.1","cookies":[],
            "headers":[{"name":"Content-Type","value":"application/json"},{"name":"X-Raw","value":"caf\udce9"}],"queryString":[],"headersSize":10,"bodySize":4,
            "postData":{"mimeType":"application/json","text":"\"\udcff\udcfe\\udcff","params":[]}},
          "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","cookies":[],"headers":[],"content":{"size":0,"compression":0,"mimeType":""},
            "redirectURL":"","headersSize":0,"bodySize":0},"cache":{},"timings":{"connect":-1,"ssl":-1,"send":0,"receive":0,"wait":0}},
          {"startedDateTime":"2026-11-28T23:12:08.000000+00:00","time":1,
          "request":{"method":"PUT","url":"http://h/latin","httpVersion":"HTTP/1.1","cookies":[],
            "headers":[{"name":"Content-Type","value":"application/octet-stream"}],"queryString":[],"headersSize":10,"bodySize":2,
            "postData":{"mimeType":"application/octet-stream","text":"\u00e9\u00ff","params":[]}},
          "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","cookies":[],"headers":[],"content":{"size":0,"mimeType":""},
            "redirectURL":"","headersSize":0,"bodySize":0},"cache":{},"timings":{"send":0,"receive":0,"wait":0}}]}}
        """#
        let result = try read(har)
        XCTAssertEqual(result.skipped, [])
        XCTAssertEqual(result.requests.count, 2)
        XCTAssertEqual(result.requests[0].body, [0x22, 0xFF, 0xFE] + Array("\\udcff".utf8), "an escaped backslash is not a surrogate")
        XCTAssertEqual(WireText.bytes(of: try XCTUnwrap(result.requests[0].headers.first("X-Raw"))), Array("caf".utf8) + [0xE9])
        XCTAssertEqual(result.requests[1].body, [0xE9, 0xFF], "mitmproxy wrote Latin-1 for a binary body; the bytes come back")
    }
}
