import HooktopCore
import HooktopTesting
import XCTest

/// Numbers a user types or a file holds: every parse is a value or a refusal
/// with a reason, never a trap (issue: hardening).
final class NumericFuzzTests: XCTestCase {
    func testDurationsAreBoundedAndNeverTrap() {
        XCTAssertNil(DurationText.parse("8000000w8000000w"))
        XCTAssertTrue(DurationText.problem("8000000w8000000w").contains("too long"))
        XCTAssertNil(DurationText.parse("1e308s"))
        XCTAssertNil(DurationText.parse("9223372036854775807us9223372036854775807us"))
        XCTAssertEqual(DurationText.parse("100w"), 100 * 604_800_000_000)
        XCTAssertEqual(DurationText.parse("1h30m"), 5_400_000_000)
        var rng = SeededRandom(seed: 0xD0_0A)
        for _ in 0..<5_000 {
            let text = rng.pick(FuzzValues.quantities) + (rng.chance(30) ? rng.pick(FuzzValues.quantities) : "")
            if let micros = DurationText.parse(text) {
                XCTAssertTrue((0...DurationText.maximum).contains(micros), text)
                // Whatever parses can be added to any clock without a trap.
                _ = Timestamp(microseconds: .max).adding(microseconds: micros)
                _ = Timestamp(microseconds: .min).adding(microseconds: -micros)
            } else {
                XCTAssertFalse(DurationText.problem(text).isEmpty, text)
            }
        }
    }

    func testSizesNeverTrap() {
        XCTAssertNil(ByteSize.parse("99999999999GiB"))
        XCTAssertTrue(ByteSize.problem("99999999999GiB").contains("too large"))
        XCTAssertTrue(ByteSize.problem("99999999999999999999").contains("too large"))
        XCTAssertEqual(ByteSize.parse("10MiB"), 10 << 20)
        var rng = SeededRandom(seed: 0x517E)
        for _ in 0..<5_000 {
            let text = rng.pick(FuzzValues.quantities)
            if let n = ByteSize.parse(text) { XCTAssertGreaterThanOrEqual(n, 0, text); _ = ByteSize.describe(n) }
        }
        for n in [0, 1, 1023, 1024, Int.max, Int.max - 1] { XCTAssertFalse(ByteSize.describe(n).isEmpty) }
    }

    func testTimestampsSaturateAndParseOnlyRepresentableTimes() {
        XCTAssertEqual(Timestamp(seconds: .min).microseconds, .min)
        XCTAssertEqual(Timestamp(seconds: .max).microseconds, .max)
        XCTAssertEqual(Timestamp(microseconds: .max).adding(microseconds: 1).microseconds, .max)
        XCTAssertEqual(Timestamp(microseconds: .min).elapsedMicroseconds(since: Timestamp(microseconds: .max)), .min)
        for t: Int64 in [.min, .max, 0, -1] {
            XCTAssertFalse(Timestamp(microseconds: t).iso8601.isEmpty)
            XCTAssertFalse(Timestamp(microseconds: t).timeOfDay.isEmpty)
        }
        XCTAssertNil(Timestamp(iso8601: "2026-13-01T00:00:00Z"))
        XCTAssertNil(Timestamp(iso8601: "2026-01-01T25:00:00Z"))
        XCTAssertNotNil(Timestamp(iso8601: "9999-12-31T23:59:59.999999Z"))
        XCTAssertNotNil(Timestamp(iso8601: "0001-01-01T00:00:00Z"))
        var rng = SeededRandom(seed: 0x7137)
        for _ in 0..<5_000 {
            var chars = Array("2026-11-28T23:12:07.473+05:30")
            for _ in 0..<(rng.next() % 4) {
                chars[Int(rng.next() % UInt64(chars.count))] = rng.pick(Array("0123456789+-:.TZz9 é"))
            }
            if let t = Timestamp(iso8601: String(chars)) { XCTAssertTrue(Timestamp.representable.contains(t)) }
            _ = Timestamp(iso8601: FuzzValues.text(&rng))
        }
    }

    func testCheckedConversions() {
        XCTAssertNil(Int64.microseconds(fromMilliseconds: 1e300))
        XCTAssertNil(Int64.microseconds(fromMilliseconds: .nan))
        XCTAssertNil(Int64.microseconds(fromMilliseconds: -.infinity))
        XCTAssertNil(Int64.microseconds(fromMilliseconds: -1))
        XCTAssertEqual(Int64.microseconds(fromMilliseconds: 12.5), 12_500)
        XCTAssertNil(Int.exactly(1e300, in: 0...Int.max))
        XCTAssertNil(Int.exactly(Double.nan, in: 0...Int.max))
        XCTAssertNil(Int.exactly(2.5, in: 0...Int.max))
        XCTAssertEqual(Int.exactly(2.0, in: 0...Int.max), 2)
        XCTAssertNil(Int.exactly(-1, in: 0...Int.max))
        XCTAssertNil(Int.exactly("5", in: 0...Int.max))
        for a: Int64 in [.min, -1, 0, 1, .max] {
            for b: Int64 in [.min, -1, 0, 1, .max] {
                _ = a.saturatingAdding(b); _ = a.saturatingSubtracting(b); _ = a.saturatingMultiplied(by: b)
            }
        }
    }

    /// Filter operands with extreme numbers are errors with a column, and
    /// whatever parses evaluates on requests with extreme times.
    func testFilterOperandsAtTheExtremes() {
        for text in ["~t >8000000w8000000w", "~t <1e308s", "~c 99999999999999999999", "~c -9223372036854775808", "~c 9xx",
                     "~t >9223372036854775807us9223372036854775807us", "~t >", "~c"] {
            XCTAssertThrowsError(try Filter.parse(text), text)
        }
        var rng = SeededRandom(seed: 0xF117)
        let ops = ["~t >", "~t <", "~t ", "~c ", "~m ", "~p ", "~h ", "~b ", "~src ", "~sig ", "~d ", ""]
        let times: [Int64] = [.min, .max, 0, Timestamp.now().microseconds]
        for _ in 0..<5_000 {
            let text = rng.pick(ops) + (rng.chance(50) ? rng.pick(FuzzValues.quantities) : FuzzValues.text(&rng))
            guard let filter = try? Filter.parse(text) else { continue }
            let request = CapturedRequest(receivedAt: Timestamp(microseconds: rng.pick(times)), remote: "", method: "POST",
                                          target: "/", headers: HeaderList(), body: FuzzValues.bytes(&rng))
            _ = FilterEvaluator(now: Timestamp(microseconds: rng.pick(times))).matches(filter, request)
        }
    }

    /// Whatever bytes a request holds, the sanitizer's output has no control
    /// character a terminal would obey.
    func testSanitizerLetsNoControlThrough() {
        var rng = SeededRandom(seed: 0x5A71)
        for _ in 0..<3_000 {
            let bytes = FuzzValues.bytes(&rng)
            // Bodies keep their newlines and tabs (the cell grid drops tabs); one-line fields keep nothing.
            for (text, kept) in [(TerminalText.block(bytes), [0x0A, 0x09]), (TerminalText.inline(String(decoding: bytes, as: UTF8.self)), []),
                                 (TerminalText.hexDump(bytes, limit: 4096), [0x0A])] as [(String, [UInt32])] {
                for scalar in text.unicodeScalars {
                    let v = scalar.value
                    XCTAssertFalse(v < 0x20 && !kept.contains(v), "control U+\(String(v, radix: 16)) got through")
                    XCTAssertFalse(v == 0x7F || (0x80...0x9F).contains(v), "C1/DEL U+\(String(v, radix: 16)) got through")
                }
            }
        }
    }
}

final class WireTextTests: XCTestCase {
    /// Any bytes in, the same bytes out; valid UTF-8 stays the same text.
    func testRoundTripIsExactForAnyBytes() {
        XCTAssertEqual(WireText.string(Array("café 日本".utf8)), "café 日本")
        let escapeRangeAsUTF8 = Array(String(Unicode.Scalar(0x10FF41)!).utf8)
        var rng = SeededRandom(seed: 0x3E7E)
        for _ in 0..<2_000 {
            var bytes = FuzzValues.bytes(&rng)
            if rng.chance(10) { bytes += escapeRangeAsUTF8 }
            let text = WireText.string(bytes)
            XCTAssertEqual(WireText.bytes(of: text), bytes)
            XCTAssertEqual(WireText.hasRawBytes(text), String(validating: bytes, as: UTF8.self).map { WireText.string(Array($0.utf8)) != $0 } ?? true)
        }
    }
}
