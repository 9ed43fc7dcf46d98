import HooktopCore
import HooktopTesting
import XCTest

final class FilterParserTests: XCTestCase {
    func testGrammar() throws {
        XCTAssertEqual(try Filter.parse("~m POST"), .method("POST"))
        XCTAssertEqual(try Filter.parse("~m POST ~p /a/*"), .and(.method("POST"), .path(Glob("/a/*"))))
        XCTAssertEqual(try Filter.parse("~m POST & ~p /a/*"), .and(.method("POST"), .path(Glob("/a/*"))))
        XCTAssertEqual(try Filter.parse("a | b c"), .or(.word("a"), .and(.word("b"), .word("c"))))
        XCTAssertEqual(try Filter.parse("!(a | b)"), .not(.or(.word("a"), .word("b"))))
        XCTAssertEqual(try Filter.parse("~h x-github-event:push"), .header(name: "x-github-event", value: "push"))
        XCTAssertEqual(try Filter.parse("~h Stripe-Signature"), .header(name: "Stripe-Signature", value: nil))
        XCTAssertEqual(try Filter.parse(#"~b "two words""#), .body("two words"))
        XCTAssertEqual(try Filter.parse("~c 5xx"), .code(500...599))
        XCTAssertEqual(try Filter.parse("~c 404"), .code(404...404))
        XCTAssertEqual(try Filter.parse("~t >10m"), .age(olderThan: true, micros: 600_000_000))
        XCTAssertEqual(try Filter.parse("~t <1h"), .age(olderThan: false, micros: 3_600_000_000))
        XCTAssertEqual(try Filter.parse("~sig no_secret & ~d failed & ~dup & ~src stripe"),
                       .and(.and(.and(.signature(.noSecret), .delivery(.failed)), .duplicate), .source("stripe")))
    }

    func testErrorsPointAtTheColumn() {
        let cases: [(String, Int, String)] = [
            ("~m", 3, "expected a value after ~m"),
            ("~m POST & ~x y", 11, "unknown filter ~x"),
            ("(~m POST", 1, "unbalanced '('"),
            ("~m POST)", 8, "unbalanced ')'"),
            ("~sig maybe", 6, "~sig takes valid, invalid, expired, missing, no_secret, none; got 'maybe'"),
            ("~c 7xx", 4, "~c takes a status code"),
            ("~t soon", 4, "~t takes an age"),
            ("", 1, "empty filter"),
            ("a & | b", 5, "expected a filter expression before '|'"),
            ("~b \"open", 4, "unterminated quote"),
            ("~expect soon", 9, "~expect takes waiting, overdue, done"),
            ("~label", 7, "expected a value after ~label"),
            ("a &", 4, "expected a filter expression"),
        ]
        for (text, column, message) in cases {
            XCTAssertThrowsError(try Filter.parse(text), text) { error in
                let e = error as! FilterError
                XCTAssertEqual(e.column, column, "\(text): \(e)")
                XCTAssertTrue(e.message.hasPrefix(message), "\(text): \(e.message)")
            }
        }
    }

    /// Seeded random input never crashes the parser: every outcome is a filter or a FilterError.
    func testFuzzNeverCrashes() {
        var rng = SeededRandom(seed: 0x5EED)
        let atoms = ["~m", "~p", "~h", "~b", "~src", "~sig", "~d", "~c", "~t", "~dup", "!", "&", "|", "(", ")", "\"", "'",
                     "POST", "/a/*", "5xx", ">1m", "valid", "x:y", "é", "\u{1b}", "~", "~~", " ", "\\", "~label"]
        var parsed = 0, refused = 0
        for _ in 0..<20_000 {
            let n = Int(rng.next() % 9)
            let text = (0..<n).map { _ in atoms[Int(rng.next() % UInt64(atoms.count))] }.joined(separator: rng.next() % 3 == 0 ? "" : " ")
            do { _ = try Filter.parse(text); parsed += 1 } catch { refused += 1 }
        }
        XCTAssertGreaterThan(parsed, 100)
        XCTAssertGreaterThan(refused, 100)
    }
}

final class FilterEvaluatorTests: XCTestCase {
    func testEvaluates() throws {
        let r = CapturedRequest(receivedAt: Timestamp.now().adding(microseconds: -120_000_000), remote: "x", method: "post",
                                target: "/stripe/events?x=1", headers: HeaderList([("X-GitHub-Event", "Push")]),
                                body: Array("hello World".utf8), source: "stripe",
                                signature: SignatureResult(scheme: "stripe", status: .invalid, detail: nil))
        let e = FilterEvaluator()
        let yes = ["~m POST", "~p /stripe/*", "~h x-github-event:push", "~b World", "~src stripe", "~sig invalid", "~c 2xx",
                   "~t >1m", "~t <5m", "world", "STRIPE", "github", "!~d failed", "~m GET | ~src stripe"]
        let no = ["~m GET", "~p /stripe", "~h x-github-event:pull", "~b world", "~sig valid", "~c 5xx", "~t <1m", "~dup", "nothing"]
        for f in yes { XCTAssertTrue(e.matches(try Filter.parse(f), r), f) }
        for f in no { XCTAssertFalse(e.matches(try Filter.parse(f), r), f) }
    }
}
