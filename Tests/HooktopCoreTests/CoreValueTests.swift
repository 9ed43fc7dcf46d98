import HooktopCore
import XCTest

final class TimestampTests: XCTestCase {
    func testFormatsUTCWithMilliseconds() {
        let t = Timestamp(microseconds: 1_795_907_527_473_912)  // 2026-11-28T23:12:07.473912Z
        XCTAssertEqual(t.iso8601, "2026-11-28T23:12:07.473Z")
        XCTAssertEqual(t.timeOfDay, "23:12:07.473")
        XCTAssertEqual(Timestamp(microseconds: 0).iso8601, "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp(seconds: 951_782_400).iso8601, "2000-02-29T00:00:00.000Z")
    }

    /// The 24-byte form at its edges, before 1970, and for random instants of
    /// years 1–9999 (each read back by the parser); other years keep the padded form.
    func testWritesEveryRepresentableYearExactly() {
        XCTAssertEqual(Timestamp(microseconds: -1).iso8601, "1969-12-31T23:59:59.999Z")
        XCTAssertEqual(Timestamp.representable.lowerBound.iso8601, "0001-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp.representable.upperBound.iso8601, "9999-12-31T23:59:59.999Z")
        XCTAssertEqual(Timestamp(microseconds: 253_402_300_800_000_000).iso8601, "10000-01-01T00:00:00.000Z")
        var random = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let micros = Int64.random(in: Timestamp.representable.lowerBound.microseconds...Timestamp.representable.upperBound.microseconds,
                                      using: &random)
            let t = Timestamp(microseconds: micros - ((micros % 1_000) + 1_000) % 1_000)  // whole milliseconds
            XCTAssertEqual(t.iso8601.utf8.count, 24)
            XCTAssertEqual(Timestamp(iso8601: t.iso8601), t, t.iso8601)
        }
    }

    func testParsesWhatItWritesAndOffsets() {
        let t = Timestamp(microseconds: 1_795_907_527_473_000)
        XCTAssertEqual(Timestamp(iso8601: t.iso8601), t)
        XCTAssertEqual(Timestamp(iso8601: "2026-11-28T23:12:07.473912Z")?.microseconds, 1_795_907_527_473_912)
        XCTAssertEqual(Timestamp(iso8601: "2026-11-29T00:12:07+01:00")?.seconds, 1_795_907_527)
        XCTAssertNil(Timestamp(iso8601: "yesterday"))
        XCTAssertNil(Timestamp(iso8601: "2026-11-28T23:12:07"))
    }

    func testNegativeInstantsFormat() {
        XCTAssertEqual(Timestamp(microseconds: -1_000).iso8601, "1969-12-31T23:59:59.999Z")
    }
}

final class HeaderListTests: XCTestCase {
    func testKeepsOrderCaseAndDuplicatesThroughWireForm() {
        let headers = HeaderList([("X-B", "2"), ("content-TYPE", "text/plain"), ("X-B", "1"), ("Empty", "")])
        let decoded = HeaderList(wireEncoded: headers.wireEncoded)
        XCTAssertEqual(decoded, headers)
        XCTAssertEqual(decoded.first("Content-Type"), "text/plain")
        XCTAssertEqual(decoded.all("x-b"), ["2", "1"])
        XCTAssertEqual(headers.wireEncoded, "X-B: 2\r\ncontent-TYPE: text/plain\r\nX-B: 1\r\nEmpty: \r\n")
    }

    func testValuesWithColonsAndLeadingSpace() {
        let headers = HeaderList([("Stripe-Signature", "t=1,v1=a:b"), ("X", "  two spaces")])
        XCTAssertEqual(HeaderList(wireEncoded: headers.wireEncoded), headers)
    }

    func testRemoveIsCaseInsensitive() {
        var headers = HeaderList([("Host", "a"), ("host", "b"), ("Accept", "*/*")])
        headers.remove("HOST")
        XCTAssertEqual(headers.fields.map(\.name), ["Accept"])
    }
}

/// The wire form the stores keep headers in, read back.
final class HeaderWireFormTests: XCTestCase {
    func testRandomFieldsRoundTripThroughTheWireForm() {
        let nameParts = ["X", "-", "a", "Z", "9", "_", "!", "~"]
        let valueParts = ["a", " ", "\t", ":", ": ", "é", "\u{301}", "\u{200D}", "👩‍👩‍👧", "🇫🇷", "\u{1B}", "\r", "\n", "\\", "\""]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let fields = (0..<Int.random(in: 0...5, using: &random)).map { _ in
                HeaderList.Field((0..<Int.random(in: 1...8, using: &random)).map { _ in nameParts.randomElement(using: &random)! }.joined(),
                                 (0..<Int.random(in: 0...8, using: &random)).map { _ in valueParts.randomElement(using: &random)! }.joined())
            }.filter { field in
                // What the capture server accepts: no CR or LF in a value, none that starts with a space (it is trimmed).
                !field.value.hasPrefix(" ") && !field.value.unicodeScalars.contains { $0 == "\r" || $0 == "\n" }
            }
            let list = HeaderList(fields)
            let back = HeaderList(wireEncoded: list.wireEncoded)
            XCTAssertEqual(back.fields.map(\.name), list.fields.map(\.name), list.wireEncoded.debugDescription)
            XCTAssertEqual(back.fields.map(\.value), list.fields.map(\.value), list.wireEncoded.debugDescription)
        }
        XCTAssertEqual(HeaderList(wireEncoded: "A: \u{301}x\r\nB:y\r\nno colon\r\n\r\nC: ").fields.map { "\($0.name)=\($0.value)" },
                       ["A=\u{301}x", "B=y", "C="])
    }
}

final class JSONTests: XCTestCase {
    func testKeepsKeyOrderAndEscapes() {
        let value = JSON.object([("b", .int(1)), ("a", .string("q\"\\\n\u{1b}\u{7f}é")), ("n", .null),
                                 ("t", .bool(true)), ("d", .double(0.4)), ("w", .double(12))])
        XCTAssertEqual(value.serialized(), #"{"b":1,"a":"q\"\\\n\u001b\u007fé","n":null,"t":true,"d":0.4,"w":12}"#)
    }

    /// Random strings of plain text, quotes, backslashes, every control,
    /// C1 controls, U+2028/9, accents and emoji: each serializes to JSON that
    /// parses back to it, with no control, C1 or line separator left raw.
    func testRandomStringsRoundTripWithEveryControlEscaped() throws {
        let pieces: [String] = ["a", "Z", "0", " ", "\"", "\\", "/", "é", "€", "😀", "👩‍👩‍👧", "\u{85}", "\u{9F}", "\u{A0}",
                                "\u{2028}", "\u{2029}", "\u{2027}", "\u{7F}", "\u{0}", "\n", "\r", "\t", "\u{1B}[2J", "\u{C2}"]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let text = (0..<Int.random(in: 0...24, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
            let json = JSON.string(text).serialized()
            let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed) as? String
            XCTAssertEqual(parsed, text, json)
            XCTAssertFalse(json.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) || $0.value == 0x2028 || $0.value == 0x2029 },
                           json)
        }
    }

    /// Plain runs between escapes are copied whole: the exact bytes, with an
    /// escape first, last, and between runs, and the lead bytes of C1 and
    /// U+2028 in characters that are neither (¢, €).
    func testEscapesBetweenPlainRunsAreExact() {
        XCTAssertEqual(JSON.string("\"ab\\cd\u{85}¢€\u{2028}x\ny\u{7F}").serialized(),
                       #""\"ab\\cd\u0085¢€\u2028x\ny\u007f""#)
        XCTAssertEqual(JSON.string("plain text, no escape").serialized(), #""plain text, no escape""#)
    }

    func testSerializedOutputParsesAsJSON() throws {
        let value = JSON.array([.string("\u{0}\u{2028}"), .object([("k", .array([]))])])
        let parsed = try JSONSerialization.jsonObject(with: Data(value.serialized().utf8)) as? [Any]
        XCTAssertEqual(parsed?.first as? String, "\u{0}\u{2028}")
    }
}

final class RequestJSONTests: XCTestCase {
    func testHasEverySpecFieldInOrderWithEmptyLaterFields() throws {
        let request = CapturedRequest(
            id: 42, receivedAt: Timestamp(microseconds: 1_795_907_527_473_000), remote: "127.0.0.1:50266",
            method: "POST", target: "/stripe/events?x=1",
            headers: HeaderList([("Content-Type", "application/json"), ("X-Dup", "1"), ("x-dup", "2")]),
            body: Array("{\"id\":1}".utf8))
        let text = request.json().serialized()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        XCTAssertEqual(object["path"] as? String, "/stripe/events")
        XCTAssertEqual(object["query"] as? String, "x=1")
        XCTAssertEqual(object["received_at"] as? String, "2026-11-28T23:12:07.473Z")
        XCTAssertEqual(object["body_base64"] as? String, "eyJpZCI6MX0=")
        XCTAssertEqual(object["body_size"] as? Int, 8)
        XCTAssertEqual(object["headers"] as? [[String]], [["Content-Type", "application/json"], ["X-Dup", "1"], ["x-dup", "2"]])
        XCTAssertEqual((object["signature"] as? [String: Any])?["status"] as? String, "none")
        XCTAssertEqual((object["response"] as? [String: Any])?["status"] as? Int, 200)
        XCTAssertEqual((object["deliveries"] as? [Any])?.count, 0)
        XCTAssertEqual(object["delivery_state"] as? String, "none")
        XCTAssertTrue(object["source"] is NSNull)
        let keys = ["id", "received_at", "remote", "method", "target", "path", "query", "version", "headers",
                    "body_base64", "body_size", "body_truncated", "source", "signature", "response",
                    "deliveries", "delivery_state"]
        let positions = keys.map { text.range(of: "\"\($0)\":")!.lowerBound }
        XCTAssertEqual(positions, positions.sorted(), "fields follow SPEC order")
    }

    func testListFormLeavesOutBodyAndDeliveries() {
        let request = CapturedRequest(receivedAt: .now(), remote: "x", method: "GET", target: "/", headers: HeaderList(), body: [1])
        let text = request.json(includeBody: false, includeDeliveries: false).serialized()
        XCTAssertFalse(text.contains("body_base64"))
        XCTAssertFalse(text.contains("\"deliveries\""))
        XCTAssertTrue(text.contains("\"delivery_state\":\"none\""))
    }
}

final class QuantityTests: XCTestCase {
    func testByteSizes() {
        XCTAssertEqual(ByteSize.parse("10MiB"), 10 << 20)
        XCTAssertEqual(ByteSize.parse("512k"), 512 << 10)
        XCTAssertEqual(ByteSize.parse("1KB"), 1000)
        XCTAssertEqual(ByteSize.parse("1024"), 1024)
        XCTAssertNil(ByteSize.parse("ten"))
        XCTAssertNil(ByteSize.parse("5 parsecs"))
        XCTAssertNil(ByteSize.parse("99999999999999999999G"))
        XCTAssertEqual(ByteSize.describe(1536), "1.5 KiB")
        XCTAssertEqual(ByteSize.describe(12), "12 B")
    }

    func testMillisecondsHaveOneDecimalRoundedHalfUp() {
        let cases: [(Int64, String)] = [(0, "0.0"), (49, "0.0"), (50, "0.1"), (12_549, "12.5"), (12_550, "12.6"), (999_999, "1000.0"),
                                        (-1_250, "-1.3"), (.max, "9223372036854775.8"), (.min, "-9223372036854775.8")]
        for (micros, text) in cases { XCTAssertEqual(DurationText.milliseconds(micros), text, "\(micros)") }
    }

    func testDurations() {
        XCTAssertEqual(DurationText.parse("7d"), 7 * 86_400_000_000)
        XCTAssertEqual(DurationText.parse("250ms"), 250_000)
        XCTAssertEqual(DurationText.parse("1h30m"), 5_400_000_000)
        XCTAssertEqual(DurationText.parse("0s"), 0)
        XCTAssertNil(DurationText.parse("7"))
        XCTAssertNil(DurationText.parse("soon"))
        XCTAssertNil(DurationText.parse(""))
    }

    func testListenAddresses() {
        XCTAssertEqual(try ListenAddress.parse("127.0.0.1:8080").get(), ListenAddress(host: "127.0.0.1", port: 8080))
        XCTAssertEqual(try ListenAddress.parse("[::1]:0").get(), ListenAddress(host: "::1", port: 0))
        XCTAssertThrowsError(try ListenAddress.parse("8080").get())
        XCTAssertThrowsError(try ListenAddress.parse("localhost:99999").get())
        XCTAssertThrowsError(try ListenAddress.parse(":80").get())
        XCTAssertTrue(ListenAddress(host: "127.0.0.1", port: 1).isLoopback)
        XCTAssertFalse(ListenAddress(host: "0.0.0.0", port: 1).isLoopback)
    }
}

final class TerminalTextTests: XCTestCase {
    func testEscapesControlsAndEscapeSequences() {
        let hostile = "ok\u{1b}[2J\u{1b}]52;c;AAAA\u{07}\u{9b}31m\r\n\tend"
        let inline = TerminalText.inline(hostile)
        XCTAssertFalse(inline.unicodeScalars.contains { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) })
        XCTAssertEqual(inline, "ok\\x1b[2J\\x1b]52;c;AAAA\\x07\\u{9b}31m\\x0d\\x0a\\x09end")
        let block = TerminalText.block(Array(hostile.utf8))
        XCTAssertTrue(block.contains("\n\tend"))
        XCTAssertFalse(block.contains("\u{1b}"))
    }

    func testInvalidUTF8AndBidiOverridesAreVisible() {
        XCTAssertEqual(TerminalText.block([0x61, 0xFF, 0xC0, 0x80, 0x62]), "a\\xff\\xc0\\x80b")
        XCTAssertEqual(TerminalText.inline("a\u{202E}b"), "a\\u{202e}b")
        XCTAssertEqual(TerminalText.inline("日本 ✓ 👍🏽"), "日本 ✓ 👍🏽")
    }

    func testTextDetectionAndHexDump() {
        XCTAssertTrue(TerminalText.looksLikeText(Array("{\"a\": \"é\"}\n".utf8)))
        XCTAssertFalse(TerminalText.looksLikeText([0x00, 0x01, 0xFF, 0x10]))
        XCTAssertEqual(TerminalText.hexDump(Array("ABC".utf8) + [0]),
                       "00000000  41 42 43 00                                       |ABC.|")
    }
}

final class RequestTargetTests: XCTestCase {
    /// The first `?` byte ends the path, even where a Character search would
    /// not see it (a combining mark after it makes one Character of both).
    func testSplitsAtTheFirstQuestionMarkByte() {
        let cases: [(String, String, String)] = [
            ("/hooks", "/hooks", ""),
            ("/hooks?a=1?b", "/hooks", "a=1?b"),
            ("/h?\u{301}x=1", "/h", "\u{301}x=1"),
            ("/caf\u{E9}/?q=\u{1F600}", "/caf\u{E9}/", "q=\u{1F600}"),
            ("?", "", ""),
            ("", "", ""),
        ]
        for (target, path, query) in cases {
            XCTAssertEqual(RequestTarget.path(target), path, target)
            XCTAssertEqual(RequestTarget.query(target), query, target)
            let request = CapturedRequest(receivedAt: .now(), remote: "r", method: "GET", target: target, version: "HTTP/1.1",
                                          headers: HeaderList(), body: [], bodySize: 0)
            XCTAssertEqual(request.path, path)
            XCTAssertEqual(request.query, query)
        }
    }
}

/// The id that links a provider's retries of one delivery (`~dup`).
final class DeliveryIDTests: XCTestCase {
    private func id(_ headers: [(String, String)], _ body: String = "") -> String? {
        DeliveryID.extract(headers: HeaderList(headers), body: Array(body.utf8))
    }

    func testHeadersInOrderOfSpecificityAnyCaseEmptySkipped() {
        XCTAssertEqual(id([("X-GitHub-Delivery", "72d3162e"), ("Webhook-Id", "msg_1")]), "webhook-id:msg_1")
        XCTAssertEqual(id([("x-github-delivery", "72d3162e")]), "x-github-delivery:72d3162e")
        XCTAssertEqual(id([("svix-id", ""), ("X-Event-Id", "e9")]), "x-event-id:e9")
        XCTAssertNil(id([("Content-Type", "application/json")], #"{"id": "evt_1"}"#), "a Stripe id needs Stripe's signature header")
        // Each name by its first field, as a lookup by name finds it; a provider header outranks Stripe's body id.
        XCTAssertEqual(id([("Svix-Id", ""), ("svix-id", "msg_2"), ("X-Event-Id", "e9")]), "x-event-id:e9")
        XCTAssertEqual(id([("X-Event-Id", "e1"), ("x-event-id", "e2")]), "x-event-id:e1")
        XCTAssertEqual(id([("Stripe-Signature", "t=1,v1=00"), ("Idempotency-Key", "k1")], #"{"id": "evt_12"}"#), "idempotency-key:k1")
    }

    func testStripeEventIDFromTheBody() {
        let sig = [("Stripe-Signature", "t=1,v1=00")]
        XCTAssertEqual(id(sig, #"{"id": "evt_1NXxd2KZ0dZRqLEK1ASxV0", "type": "x"}"#), "stripe:evt_1NXxd2KZ0dZRqLEK1ASxV0")
        XCTAssertEqual(id(sig, "{\n  \"object\": \"event\",\n  \"id\" :\t\"evt_2\"\n}"), "stripe:evt_2")
        XCTAssertNil(id(sig, #"{"id": "ch_3", "type": "x"}"#), "not an event id")
        XCTAssertNil(id(sig, #"{"id": 42}"#))
        XCTAssertNil(id(sig, String(repeating: " ", count: 5_000) + #"{"id": "evt_far"}"#), "only the first 4 KiB are read")
        XCTAssertEqual(id(sig + [("Idempotency-Key", "k1")], #"{"id": "evt_4"}"#), "idempotency-key:k1", "a header wins over the body")
        XCTAssertNil(id(sig, #"{"id": "evt_1NXxd2"#), "a body cut inside the id gives none, not a prefix")
        XCTAssertNil(id(sig, #"{"id": "evt_"# + String(repeating: "a", count: 200) + #""}"#), "nor does an id over 128 bytes")
        XCTAssertNil(id(sig, #"{"id": "evt_", "type": "x"}"#))
    }
}

/// Form bodies and query strings decode as Python's `parse_qsl` (the WHATWG
/// urlencoded parser) does: the table below is its output.
final class FormDecodingTests: XCTestCase {
    func testDecodesAsTheURLStandardAndPythonDo() {
        let cases: [(String, [(String, String)])] = [
            ("a=1&b=2", [("a", "1"), ("b", "2")]),
            ("q=a+b%20c", [("q", "a b c")]),
            ("x=100%", [("x", "100%")]),
            ("x=%zz%41", [("x", "%zzA")]),
            ("x=%4", [("x", "%4")]),
            ("x=%", [("x", "%")]),
            ("k=%FF%FEok", [("k", "\u{FFFD}\u{FFFD}ok")]),
            ("name=%E2%82%AC%E2", [("name", "€\u{FFFD}")]),
            ("a&&b=&=c", [("a", ""), ("b", ""), ("", "c")]),
            ("a=b=c", [("a", "b=c")]),
            ("%41%42=%43", [("AB", "C")]),
            ("email=a%2Bb%40x.org", [("email", "a+b@x.org")]),
            ("t=%e2%9c%93+%2B", [("t", "✓ +")]),
            ("p=%C3", [("p", "\u{FFFD}")]),
            ("u=caf%C3%A9&v=%c3%a9", [("u", "café"), ("v", "é")]),
        ]
        for (text, expected) in cases {
            let pairs = FormDecoding.pairs(text)
            XCTAssertEqual(pairs.map(\.0), expected.map(\.0), text)
            XCTAssertEqual(pairs.map(\.1), expected.map(\.1), text)
        }
    }
}
