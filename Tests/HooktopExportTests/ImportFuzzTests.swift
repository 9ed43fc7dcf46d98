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
