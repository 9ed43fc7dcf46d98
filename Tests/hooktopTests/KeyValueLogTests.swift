@testable import hooktop
import Logging
import NIOConcurrencyHelpers
import XCTest

/// The daemon's log lines, made as bytes: one plain word bare, everything
/// else quoted, and no control character (C0, DEL or C1) written as itself.
final class KeyValueLogTests: XCTestCase {
    func testValuesAreBareOnlyWhenPlain() {
        let cases: [(String, String)] = [
            ("POST", "POST"), ("/a?b", "/a?b"), ("ünïcödé→✓", "ünïcödé→✓"),
            ("", "\"\""), ("two words", "\"two words\""), ("a=b", "\"a=b\""), ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("back\\slash", "\"back\\\\slash\""), ("line\nbreak\r\t", "\"line\\nbreak\\r\\t\""),
            ("esc\u{1B}[2J", "\"esc\\x1b[2J\""), ("del\u{7F}", "\"del\\x7f\""),
            ("next\u{85}line", "\"next\\x85line\""), ("csi\u{9B}31m", "\"csi\\x9b31m\""), ("\u{A0}nbsp", "\u{A0}nbsp"),
        ]
        for (text, written) in cases {
            XCTAssertEqual(KeyValueLogHandler.value(text), written, text.debugDescription)
        }
    }

    func testALineIsWrittenWholeWithSortedFields() throws {
        let lines = NIOLockedValueBox<[String]>([])
        var handler = KeyValueLogHandler { bytes in lines.withLockedValue { $0.append(String(decoding: bytes, as: UTF8.self)) } }
        handler.metadata["node"] = "a"
        let logger = Logger(label: "t") { _ in handler }
        logger.info("request", metadata: ["status": "200", "id": "7", "target": "/x y", "node": "b"])
        logger.error("cannot store", metadata: ["error": .stringConvertible(42)])
        let written = lines.withLockedValue { $0 }
        XCTAssertEqual(written.count, 2)
        let first = try XCTUnwrap(written.first)
        XCTAssertTrue(first.range(of: #"^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=info msg=request "#, options: .regularExpression) != nil, first)
        XCTAssertTrue(first.hasSuffix(" id=7 node=b status=200 target=\"/x y\"\n"), "the event's own field wins over the handler's: \(first)")
        XCTAssertTrue(written[1].hasSuffix(" level=error msg=\"cannot store\" error=42 node=a\n"), written[1])
    }
}
