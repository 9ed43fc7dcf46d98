import Foundation
import HooktopCore
import HooktopStore
import HooktopTesting
@testable import HooktopTUI
import XCTest

/// Fixed requests, so screens are the same on every run.
enum TUIFixtures {
    static let base = Timestamp(microseconds: 1_795_907_527_473_000)  // 2026-11-28T23:12:07.473Z

    static var requests: [CapturedRequest] {
        var stripe = CapturedRequest(
            id: 3, receivedAt: base.adding(microseconds: 2_000_000), remote: "203.0.113.7:50266", method: "POST",
            target: "/stripe/events?attempt=1",
            headers: HeaderList([("Host", "hooks.example.com"), ("Content-Type", "application/json"),
                                 ("Stripe-Signature", "t=1795907529,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd")]),
            body: Array(#"{"id":"evt_1NXx","type":"invoice.paid","data":{"amount":2000,"paid":true,"lines":[1,2.5,null],"name":"Zoë 日本"}}"#.utf8),
            source: "stripe", signature: SignatureResult(scheme: "stripe", status: .invalid,
                detail: "no signature matches the secret; signed content is {t}.{body}; received 5257a869…d8bd; expected 9f86d081…0f00"),
            deliveryState: .retrying)
        stripe.targetURL = "http://localhost:3000/webhooks/stripe/events?attempt=1"
        stripe.deliveries = [
            DeliveryAttempt(attempt: 1, kind: .forward, url: stripe.targetURL!, startedAt: base.adding(microseconds: 2_010_000),
                            durationMicros: 12_500, status: 500, error: nil, responseBody: Array("Internal Server Error".utf8)),
            DeliveryAttempt(attempt: 2, kind: .retry, url: stripe.targetURL!, startedAt: base.adding(microseconds: 7_010_000),
                            durationMicros: 2_100, status: nil, error: "connection refused"),
        ]
        stripe.nextAttemptAt = base.adding(microseconds: 307_010_000)
        let oauth = CapturedRequest(
            id: 2, receivedAt: base.adding(microseconds: 1_000_000), remote: "127.0.0.1:40001", method: "GET",
            target: "/oauth/callback?code=4%2F0AX4XfWh&state=af0ifjsldkj&scope=email",
            headers: HeaderList([("Host", "localhost:8080"), ("User-Agent", "Mozilla/5.0")]), body: [],
            signature: .none)
        let form = CapturedRequest(
            id: 1, receivedAt: base, remote: "127.0.0.1:40000", method: "POST", target: "/twilio/sms",
            headers: HeaderList([("Host", "hooks.example.com"), ("Content-Type", "application/x-www-form-urlencoded"),
                                 ("X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]),
            body: Array("From=%2B14158675309&Body=Hello+there&To=%2B18005551212".utf8),
            source: "twilio", signature: SignatureResult(scheme: "twilio", status: .valid, detail: "signature matches"),
            response: RecordedResponse(status: 204, headers: HeaderList(), body: []))
        return [stripe, oauth, form]
    }

    static func model(width: Int, height: Int) -> Model {
        var m = Model(width: width, height: height, listening: "127.0.0.1:8080", databasePath: "/home/op/.local/state/hooktop/hooktop.sqlite")
        m.page = requests
        m.newestID = 3
        m.stats.total = 3
        m.stats.signatureFailures = 1
        m.stats.failingDeliveries = 1
        m.stats.perSecond = Array(repeating: 0, count: 26) + [1, 0, 2, 0]  // the last, the second under way, is not shown
        m.matching = 3
        return m
    }
}

final class SnapshotTests: XCTestCase {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    /// Compares with `Snapshots/NAME.txt`; HOOKTOP_RECORD_SNAPSHOTS=1 writes it instead.
    func assertSnapshot(_ screen: Screen, _ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let url = Self.folder.appendingPathComponent(name + ".txt")
        let text = screen.text + "\n"
        // Recording writes a snapshot that changed and skips; one that did not is compared as usual,
        // so running again records the next change.
        if ProcessInfo.processInfo.environment["HOOKTOP_RECORD_SNAPSHOTS"] == "1", (try? String(contentsOf: url, encoding: .utf8)) != text {
            try FileManager.default.createDirectory(at: Self.folder, withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            // Recording is not passing: the run says what it wrote and that it compared nothing.
            throw XCTSkip("recorded snapshot \(name); run again without HOOKTOP_RECORD_SNAPSHOTS to compare")
        }
        let expected = try String(contentsOf: url, encoding: .utf8)
        XCTAssertEqual(text, expected, "snapshot \(name) differs; re-record with HOOKTOP_RECORD_SNAPSHOTS=1", file: file, line: line)
    }

    func testListAt80x24And120x40() throws {
        try assertSnapshot(Render.screen(TUIFixtures.model(width: 80, height: 24)), "list-80x24")
        try assertSnapshot(Render.screen(TUIFixtures.model(width: 120, height: 40)), "list-120x40")
    }

    func testEveryTabAt80x24And120x40() throws {
        for (w, h) in [(80, 24), (120, 40)] {
            for (i, tab) in Model.Tab.allCases.enumerated() {
                for request in [TUIFixtures.requests[0], TUIFixtures.requests[1], TUIFixtures.requests[2]] where i == 0 || request.id == 3 || (tab == .body && request.id == 1) {
                    var m = TUIFixtures.model(width: w, height: h)
                    m.mode = .detail
                    m.detail = request
                    m.tab = tab
                    try assertSnapshot(Render.screen(m), "detail-\(request.id)-\(tab.rawValue.lowercased())-\(w)x\(h)")
                }
            }
        }
    }

    func testHelpAndFilterPrompt() throws {
        for (w, h) in [(80, 24), (120, 40)] {
            var m = TUIFixtures.model(width: w, height: h)
            m.mode = .help(returnTo: .list)
            try assertSnapshot(Render.screen(m), "help-\(w)x\(h)")
        }
        var m = TUIFixtures.model(width: 80, height: 24)
        m.mode = .input(.filter, text: "~m POST & ~sig invalid", returnTo: .list)
        try assertSnapshot(Render.screen(m), "filter-prompt-80x24")
    }

    /// At 80 columns with every counter up and follow off, the header still ends in "paused":
    /// the database's path gives up its room first, cut to its end, columns counted.
    func testTheHeaderKeepsItsCountersAndShortensThePath() {
        var m = TUIFixtures.model(width: 80, height: 24)
        m.listening = nil
        m.stats.total = 1_234_567
        m.stats.signatureFailures = 20_000
        m.stats.failingDeliveries = 4_321
        m.follow = false
        m.databasePath = "/srv/データ/hooktop/\u{1b}[2Jcaptures.sqlite"
        let header = Render.screen(m).text.split(separator: "\n")[0]
        XCTAssertTrue(header.hasSuffix(" paused"), String(header))
        XCTAssertTrue(header.contains("⚠4,321 failing") && header.contains("✗20,000 sig") && header.contains("1,234,567 req"), String(header))
        XCTAssertLessThanOrEqual(CharWidth.of(String(header)), 80)
        m.width = 120
        let wide = Render.screen(m).text.split(separator: "\n")[0]
        XCTAssertFalse(wide.contains("\u{1b}"), "a path is shown, never obeyed: \(wide)")
        XCTAssertTrue(wide.contains(" db …"), String(wide))
        XCTAssertTrue(wide.contains("captures.sqlite "), String(wide))
        XCTAssertTrue(wide.contains("▄ █ 2/s"), String(wide))
        m.width = 100
        let middle = Render.screen(m).text.split(separator: "\n")[0]
        XCTAssertTrue(middle.contains(" attached  1,234,567 req "), "no room for the path: \(middle)")
        XCTAssertTrue(middle.contains("▄ █ 2/s"), "the sparkline comes before the path: \(middle)")
    }

    /// Past six digits the id column widens: a million requests in, ids are shown whole.
    func testLargeIDsAreShownWhole() {
        var m = TUIFixtures.model(width: 80, height: 24)
        m.page[0].id = 12_345_678
        m.newestID = 12_345_678
        let rows = Render.screen(m).text.split(separator: "\n")
        XCTAssertTrue(rows.contains { $0.hasPrefix("12345678 ") }, rows.joined(separator: "\n"))
        XCTAssertTrue(rows.contains { $0.hasPrefix("       2 ") }, "the other ids align with it")
        XCTAssertFalse(rows.contains { $0.contains("1234567…") })
    }

    /// Any size, down to nothing: a screen of exactly that size, every cell
    /// inside it, nothing drawn past the edge.
    func testRendersAtTinySizesWithoutCrashing() {
        for (w, h) in [(1, 1), (10, 3), (20, 5), (0, 0), (2, 40), (300, 2)] {
            var m = TUIFixtures.model(width: w, height: h)
            var screens = [Render.screen(m)]
            m.mode = .detail
            m.detail = TUIFixtures.requests[0]
            screens.append(Render.screen(m))
            m.mode = .help(returnTo: .detail)
            screens.append(Render.screen(m))
            for screen in screens {
                XCTAssertEqual(screen.width, max(0, w), "\(w)x\(h)")
                XCTAssertEqual(screen.height, max(0, h), "\(w)x\(h)")
                let lines = screen.text.split(separator: "\n", omittingEmptySubsequences: false)
                XCTAssertEqual(lines.count, max(1, h), "\(w)x\(h)")
                XCTAssertTrue(lines.allSatisfy { CharWidth.of(String($0)) <= w }, "\(w)x\(h): a line is wider than the screen")
            }
            if w >= 20 && h >= 5 { XCTAssertTrue(screens[0].text.contains("hooktop"), "the header shows at \(w)x\(h)") }
        }
    }
}

final class SanitizerTests: XCTestCase {
    /// A request made of escape sequences and invalid UTF-8, shown on every
    /// tab: no cell may hold a control character.
    func testHostilePayloadsAreDrawnAsPlaceholders() {
        let hostile: [UInt8] = Array("\u{1b}]52;c;cHduZWQ=\u{07}\u{1b}[2J\u{1b}[31mred\u{9b}0m\r\u{8}\u{0}".utf8) + [0xff, 0xc0, 0x1b, 0x5b, 0x41]
        let request = CapturedRequest(id: 9, receivedAt: TUIFixtures.base, remote: "x", method: "POST",
                                      target: "/evil?q=%1b%5b2J", headers: HeaderList([("X-Evil", "\u{1b}[1;31m"), ("Content-Type", "text/plain")]),
                                      body: hostile)
        for type in ["text/plain", "application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/octet-stream"] {
            var r = request
            r.headers = HeaderList([("Content-Type", type), ("X-Evil", "\u{1b}[1;31m")])
            var m = TUIFixtures.model(width: 80, height: 24)
            m.page = [r]
            for mode in [Model.Mode.list, .detail] {
                m.mode = mode
                m.detail = r
                for tab in Model.Tab.allCases {
                    m.tab = tab
                    let screen = Render.screen(m)
                    for cell in screen.cells {
                        XCTAssertFalse(cell.text.unicodeScalars.contains { $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) },
                                       "control character on \(tab) for \(type)")
                    }
                }
            }
        }
        var m = TUIFixtures.model(width: 80, height: 24)
        m.mode = .detail
        m.detail = request
        m.tab = .raw
        XCTAssertTrue(Render.screen(m).text.contains("\\x1b]52;c;cHduZWQ=\\x07"))
    }

    func testWideCharactersKeepColumnsAligned() {
        var r = TUIFixtures.requests[2]
        r.target = "/日本語/エンドポイント/👍🏽"
        var m = TUIFixtures.model(width: 80, height: 24)
        m.page = [r, TUIFixtures.requests[1]]
        let screen = Render.screen(m)
        // The status column starts at the same cell on both rows.
        let rows = [2, 3].map { y in (0..<80).map { screen[$0, y].text }.joined() }
        XCTAssertEqual(CharWidth.of(rows[0]), CharWidth.of(rows[1]))
        XCTAssertEqual(CharWidth.of("日本"), 4)
        XCTAssertEqual(CharWidth.of("👍🏽"), 2)
        XCTAssertEqual(CharWidth.of("é"), 1)
    }

    /// Clusters as terminals draw them: a ZWJ family, a flag, a combining
    /// mark, an emoji with VS16. Drawing one over another leaves no stale cell.
    func testGraphemeClustersAreMeasuredAsDrawn() {
        XCTAssertEqual(CharWidth.of("👩‍👩‍👧"), 2)
        XCTAssertEqual(CharWidth.of("🇫🇷"), 2)
        XCTAssertEqual(CharWidth.of("e\u{301}"), 1)
        XCTAssertEqual(CharWidth.of("❤️"), 2)
        XCTAssertEqual(CharWidth.of("🇫🇷🇩🇪 x"), 6)
        var screen = Screen(width: 10, height: 1)
        screen.put("🇫🇷👩‍👩‍👧e\u{301}", x: 0, y: 0, role: .normal)
        XCTAssertEqual((0..<10).map { screen[$0, 0].text }, ["🇫🇷", "", "👩‍👩‍👧", "", "e\u{301}", " ", " ", " ", " ", " "])
        var next = Screen(width: 10, height: 1)
        next.put("abcdef", x: 0, y: 0, role: .normal)
        // Every cell the wide glyphs covered is among the changes, so the backend redraws it.
        XCTAssertEqual(Set(next.changes(since: screen).map(\.0)), [0, 1, 2, 3, 4, 5])
    }
}

final class ThemeTests: XCTestCase {
    func testEveryShippedThemeLoadsWithFallbacks() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../themes").standardized.path
        let (themes, errors) = Theme.loadAll(from: [folder])
        XCTAssertEqual(errors, [])
        XCTAssertEqual(Set(themes.map(\.name)), ["default", "light", "solarized-dark", "high-contrast", "monochrome"])
        XCTAssertEqual(themes.first?.name, "default")
        for theme in themes {
            XCTAssertNotNil(theme.styles[.normal], theme.name)
            for (role, style) in theme.styles {
                if let fg8 = style.fg8 { XCTAssertTrue((0...7).contains(fg8), "\(theme.name) \(role)") }
                if let bg8 = style.bg8 { XCTAssertTrue((0...7).contains(bg8), "\(theme.name) \(role)") }
                if style.fg != nil { XCTAssertNotNil(style.fg8, "\(theme.name) \(role) has no 8-colour foreground") }
                if style.bg != nil { XCTAssertNotNil(style.bg8, "\(theme.name) \(role) has no 8-colour background") }
            }
        }
    }

    func testThemeErrorsNameTheLine() {
        XCTAssertThrowsError(try Theme.load("[roles]\nnormal = {}\nbogus = { fg = \"red\" }\n", name: "t", file: "t.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("t.toml:3: unknown role 'bogus'"), "\(error)")
        }
        XCTAssertThrowsError(try Theme.load("[roles]\nnormal = { fg = \"chartreuse-ish\" }\n", name: "t", file: "t.toml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("t.toml:2: 'chartreuse-ish' is not a colour"), "\(error)")
        }
        XCTAssertEqual(Theme.nearestBasic(196), 1, "bright red maps to red")
        XCTAssertEqual(Theme.nearestBasic(231), 7)
    }
}

/// The body formatters on hostile bodies: every one gives lines of bounded
/// size with no control character in them.
final class BodyFormatterFuzzTests: XCTestCase {
    func testFuzzBodiesNeverTrapAndStayBounded() {
        var rng = SeededRandom(seed: 0xB0D1)
        let types: [String?] = [nil, "application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz",
                                "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"", "text/plain", "application/octet-stream"]
        let shapes: [(inout SeededRandom) -> [UInt8]] = [
            { r in FuzzValues.bytes(&r) },
            { r in Array((String(repeating: "[", count: Int(r.next() % 8_000)) + "1").utf8) },
            { r in Array((String(repeating: "{\"a\":", count: Int(r.next() % 2_000)) + "1").utf8) },
            { r in Array("{\"n\":\(r.pick(FuzzValues.numbers)),\"s\":\"\(FuzzValues.text(&r))\"}".utf8) },
            { r in Array("--xyz\r\nContent-Disposition: form-data; name=\"\(FuzzValues.text(&r))\"\r\n\r\n".utf8) + FuzzValues.bytes(&r) + Array("\r\n--xyz--".utf8) },
            { r in Array("a=\(FuzzValues.text(&r))&%zz=%&=&b".utf8) },
        ]
        for _ in 0..<500 {
            let body = rng.pick(shapes)(&rng)
            let lines = BodyFormatter.lines(body: body, contentType: rng.pick(types), truncated: rng.chance(10))
            XCTAssertLessThanOrEqual(lines.count, 70_000)
            for line in lines {
                let text = line.map(\.text).joined()
                XCTAssertLessThan(text.utf8.count, 400_000)
                XCTAssertFalse(text.unicodeScalars.contains { $0.value < 0x20 && $0.value != 0x09 || $0.value == 0x7F || (0x80...0x9F).contains($0.value) },
                               "a control character in a formatted line")
            }
        }
    }
}

extension ThemeTests {
    /// The built-in copies are the files in themes/, to the byte.
    func testBuiltInThemesMatchTheFiles() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../themes").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".toml") }.sorted()
        if ProcessInfo.processInfo.environment["HOOKTOP_RECORD_THEMES"] != nil {
            var out = BuiltInThemes.header + "enum BuiltInThemes {\n    static let sources: [(name: String, text: String)] = [\n"
            for file in files {
                let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                out += "        (\"\(file.dropLast(5))\", #\"\"\"\n\(text)\n\"\"\"#),\n"
            }
            out += "    ]\n}\n\nextension BuiltInThemes {\n    static let header = \"\"\"\n" + BuiltInThemes.header + "\n\"\"\"\n}\n"
            let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/HooktopTUI/BuiltInThemes.swift")
            try out.write(to: source.standardized, atomically: true, encoding: .utf8)
            throw XCTSkip("recorded Sources/HooktopTUI/BuiltInThemes.swift; build again")
        }
        XCTAssertEqual(BuiltInThemes.sources.map(\.name), files.map { String($0.dropLast(5)) })
        for (name, text) in BuiltInThemes.sources {
            XCTAssertEqual(text, try String(contentsOf: folder.appendingPathComponent(name + ".toml"), encoding: .utf8),
                           "themes/\(name).toml changed: regenerate Sources/HooktopTUI/BuiltInThemes.swift")
        }
        // With no folder at all (a copied binary), every shipped theme is there.
        let (themes, errors) = Theme.loadAll(from: [])
        XCTAssertEqual(errors, [])
        XCTAssertEqual(themes.first?.name, "default")
        XCTAssertTrue(themes.contains { $0.name == "light" })
    }
}

final class DetailCacheTests: XCTestCase {
    /// The open request is laid out once, not on every frame; a change of tab,
    /// body view, width or delivery record lays it out again.
    func testLinesAreLaidOutOncePerChange() {
        var m = TUIFixtures.model(width: 80, height: 24)
        var r = TUIFixtures.requests[0]
        r.body = Array(("{\"items\":[" + (0..<5000).map { "{\"n\":\($0)}" }.joined(separator: ",") + "]}").utf8)
        m.mode = .detail
        m.detail = r
        m.tab = .body
        let cache = DetailCache()
        let first = Render.screen(m, cache: cache)
        for _ in 0..<50 { _ = Render.screen(m, cache: cache) }
        XCTAssertEqual(cache.layouts, 1)
        XCTAssertEqual(Render.screen(m, cache: cache), first)
        XCTAssertEqual(Render.screen(m), first, "the cache changes nothing on screen")
        m.detailScroll = 400
        _ = Render.screen(m, cache: cache)
        XCTAssertEqual(cache.layouts, 1, "scrolling reuses the layout")
        m.tab = .raw
        _ = Render.screen(m, cache: cache)
        XCTAssertEqual(cache.contentBuilds, 2)
        m.width = 100
        _ = Render.screen(m, cache: cache)
        XCTAssertEqual(cache.contentBuilds, 2, "a new width wraps the same content again, without building it again")
        r.deliveries.append(DeliveryAttempt(attempt: 9, kind: .retry, url: "http://t/", startedAt: .now(), durationMicros: 1, status: 200, error: nil))
        m.detail = r
        _ = Render.screen(m, cache: cache)
        XCTAssertEqual(cache.layouts, 4)
        m.wrap = false
        _ = Render.screen(m, cache: cache)
        m.wrap = true
        XCTAssertEqual(Render.screen(m, cache: cache), Render.screen(m), "the kept layout draws what a new one would")
        XCTAssertEqual(cache.layouts, 5, "wrap off and on again reuses the wrapped layout")
        XCTAssertEqual(cache.contentBuilds, 3, "turning wrap off builds no content: only the delivery record did")
    }
}

final class DetailDocumentTests: XCTestCase {
    /// The lines as the text view laid them out before it was lazy: the whole
    /// body escaped, split at newlines, tabs expanded, each line wrapped.
    private func eager(_ body: [UInt8], wrap: Int?) -> [Line] {
        let lines = TerminalText.block(body).split(separator: "\n", omittingEmptySubsequences: false).map {
            [Span(TextLines.expandingTabs(String($0)))]
        }
        guard let wrap else { return lines }
        return lines.flatMap { Layout.wrap($0, width: wrap) }
    }

    /// Lazily laid-out text is row for row what laying out everything gives,
    /// wrapped or not, for ASCII, escapes, tabs, scripts, emoji and broken UTF-8.
    func testLazyTextIsTheEagerLayoutRowForRow() {
        let samples: [[UInt8]] = [
            Array("plain\nlines\n\nand a last one".utf8),
            Array("tabs\tand\u{1B}[31m escapes \u{7}\r\n crlf\r\n".utf8),
            Array("Zoë à São Paulo, Привет, 日本語のテキスト, 한국어, 👍 🚀 ¥€\n".utf8),
            Array("flags 🇫🇷, tones 👍🏽, families 👨‍👩‍👧, e\u{301}, bidi \u{202E}x, soft\u{AD}hyphen, C1 \u{85}\n".utf8),
            [0xFF, 0xC3, 0x28, 0x0A, 0xE2, 0x82, 0x0A, 0x41, 0xF0, 0x9F, 0x98],
            Array(String(repeating: "0123456789", count: 50).utf8) + [0x0A] + Array(String(repeating: "日本", count: 100).utf8),
            Array("\n".utf8), Array("x".utf8),
        ]
        for body in samples {
            for wrap in [nil, 1, 7, 40, 79] as [Int?] {
                let document = DetailDocument([.text(TextLines(body, expandTabs: true))], wrapWidth: wrap)
                XCTAssertEqual(document.allRows, eager(body, wrap: wrap), "\(String(decoding: body, as: UTF8.self)) at \(wrap ?? 0)")
            }
        }
    }

    /// Random text from every kind of character the row counting treats
    /// differently — scripts counted from their bytes, and combining marks,
    /// joiners, modifiers, flags, jamo, controls, C1, format characters and
    /// broken UTF-8 next to them — lays out exactly as everything at once would.
    func testLazyRowsEqualTheEagerLayoutForRandomText() {
        var rng = SeededRandom(seed: 0x1A2E)
        let pieces: [[UInt8]] = [
            "a", "Z", " ", "\t", "\n", "\r\n", "\u{1B}", "\u{7F}", "é", "ß", "Ω", "Ж", "日", "本", "한", "ア", "。", "！", "€", "→", "☃",
            "\u{301}", "\u{200D}", "\u{FE0F}", "\u{1F3FD}", "\u{1F1EB}", "\u{1F1F7}", "👍", "🚀", "👨", "\u{1100}", "\u{1161}", "\u{11A8}",
            "\u{85}", "\u{AD}", "\u{202E}", "\u{2028}", "\u{0E33}", "\u{093F}", "\u{0600}", "\u{3099}", "\u{20DD}",
        ].map { Array($0.utf8) } + [[0xFF], [0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98]]
        for _ in 0..<400 {
            var body: [UInt8] = []
            for _ in 0..<Int(rng.next() % 120) { body += rng.pick(pieces) }
            let wrap: Int? = rng.chance(20) ? nil : Int(1 + rng.next() % 30)
            let document = DetailDocument([.text(TextLines(body, expandTabs: true))], wrapWidth: wrap)
            XCTAssertEqual(document.allRows, eager(body, wrap: wrap), "\(body) at \(wrap ?? 0)")
        }
    }

    /// Text made of what `ClusterRows` counts — scripts, emoji, skin tones,
    /// flags, ZWJ sequences, combining marks, variation selectors — lays out
    /// exactly as everything at once would, and is counted from its bytes:
    /// opening it lays out no line.
    func testEmojiFlagsAndMarksAreCountedFromTheirBytesAndAgreeWithTheLayout() {
        var rng = SeededRandom(seed: 0xC1A5)
        let pieces: [[UInt8]] = [
            "a", "#", "1", " ", "\t", "\u{1B}", "é", "Ω", "Ж", "ש", "ب", "日", "한", "ア", "€", "→", "☃", "©", "‼", "™", "⌚", "❤", "✈",
            "\u{301}", "\u{5B4}", "\u{64E}", "\u{20DD}", "\u{200D}", "\u{FE0F}", "\u{FE0E}", "\u{1F3FB}", "\u{1F3FF}",
            "\u{1F1EB}", "\u{1F1F7}", "\u{1F1FA}", "👍", "🚀", "👨", "👩", "👧", "🤝", "🧑", "🏳", "😀", "🛫",
        ].map { Array($0.utf8) }
        for _ in 0..<1500 {
            var body: [UInt8] = []
            for _ in 0..<Int(rng.next() % 60) { body += rng.pick(pieces) }
            let expandTabs = rng.chance(70)
            let wrap = Int(1 + rng.next() % 24)
            let text = TextLines(body, expandTabs: expandTabs)
            for i in 0..<text.count {
                let line: Line = [Span(text.display(i))]
                XCTAssertEqual(text.rows(i, width: wrap), Layout.rowCount(line, width: wrap), "\(body) at \(wrap)")
                XCTAssertEqual(ClusterRows.rows(line, width: wrap), Layout.rowCount(line, width: wrap), "\(body) at \(wrap)")
                XCTAssertEqual(Layout.wrap(line, width: wrap).count, Layout.rowCount(line, width: wrap))
            }
        }
        // The benchmark's line (Benchmarks: hooktop-bench body emoji).
        let body = Array(String(repeating: "line 1: 👍🏽 🇫🇷 👨‍👩‍👧 e\u{301}\n", count: 500).utf8)
        let document = DetailDocument([.text(TextLines(body, expandTabs: true))], wrapWidth: 9)
        XCTAssertEqual(document.linesLaidOut, 0, "no line was laid out to be counted")
        XCTAssertEqual(document.allRows, eager(body, wrap: 9))
    }

    /// Spans are broken into characters one by one, so a mark that starts a
    /// span is a character of its own there.
    func testAMarkStartingASpanIsACharacterOfItsOwn() {
        let line: Line = [Span("e"), Span("\u{301}\u{FE0F}"), Span("🇫"), Span("🇷")]
        for wrap in 1...6 {
            XCTAssertEqual(ClusterRows.rows(line, width: wrap), Layout.rowCount(line, width: wrap), "at \(wrap)")
        }
    }

    /// Every table of `ClusterRows`, code point by code point, against the
    /// standard library's grapheme breaking and `CharWidth`: a standalone
    /// code point is a character of its own beside letters, pictographs and
    /// itself, with the columns given; the pictographs are those a joiner
    /// joins to 😀 (either side); every combining or enclosing mark joins
    /// what is before it and keeps a pictograph joinable.
    func testClusterTablesAgreeWithTheStandardLibrary() {
        func characters(_ scalars: [Unicode.Scalar]) -> Int {
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            return String(view).count
        }
        var failures: [String] = []
        for (range, _) in ClusterRows.standalone {
            for v in range {
                guard let s = Unicode.Scalar(v) else { continue }
                let hex = String(v, radix: 16)
                if characters(["a", s]) != 2 || characters([s, "a"]) != 2 || characters([s, s]) != 2 || characters([s, "\u{1F600}"]) != 2 {
                    failures.append("\(hex) is not a character of its own")
                }
                if ClusterRows.standaloneColumns(s) != CharWidth.of(Character(s)) { failures.append("\(hex): columns") }
                let joins = characters(["\u{1F600}", "\u{200D}", s]) == 1
                if Pictographs.contains(v) != joins || (characters([s, "\u{200D}", "\u{1F600}"]) == 1) != joins {
                    failures.append("\(hex): pictograph")
                }
                let kind = ClusterRows.Kind.of(v)  // the counter's own tables and ranges say the same
                if !kind.counted || kind.mark || kind.columns != CharWidth.of(Character(s)) || kind.pictograph != joins {
                    failures.append("\(hex): kind")
                }
            }
        }
        for v in UInt32(0x80)...0x10FFFF {
            guard let m = Unicode.Scalar(v) else { continue }
            let category = m.properties.generalCategory
            guard category == .nonspacingMark || category == .enclosingMark else { continue }
            if characters(["a", m]) != 1 || characters(["\u{1F600}", m, "\u{200D}", "\u{1F600}"]) != 1 || CharWidth.of(m) != 0 {
                failures.append("mark \(String(v, radix: 16))")
            }
            let kind = ClusterRows.Kind.of(v)
            if !kind.counted || !kind.mark || kind.columns != 0 { failures.append("mark \(String(v, radix: 16)): kind") }
        }
        XCTAssertEqual(failures, [], "\(failures.count) code points")
    }

    /// A line longer than `TextLines.maxLineBytes` goes on as the next line;
    /// nothing is lost and no character is cut in two.
    func testAVeryLongLineIsSplitWithoutLosingAByte() {
        let body = Array(String(repeating: "ab日", count: 50_000).utf8)  // 250,000 bytes, no newline
        let text = TextLines(body, expandTabs: true)
        XCTAssertGreaterThan(text.count, 1)
        XCTAssertEqual((0..<text.count).map(text.display).joined(), String(decoding: body, as: UTF8.self))
        XCTAssertTrue((0..<text.count).allSatisfy { text.range($0).count <= TextLines.maxLineBytes })
    }

    /// A 10 MiB body opens by laying out the rows on screen, not the body;
    /// scrolling to its end lays out the rows there; search finds a line by its bytes.
    func testA10MiBBodyCostsTheScreenNotTheBody() {
        var body: [UInt8] = []
        var n = 0
        while body.count < 10 << 20 {
            body += Array("line \(n): the quick brown fox\tjumps over the lazy dog, again and again\n".utf8)
            n += 1
        }
        body += Array("the needle is here\n".utf8)
        var m = TUIFixtures.model(width: 80, height: 24)
        var r = TUIFixtures.requests[0]
        r.body = body
        r.headers = HeaderList([("Content-Type", "text/plain")])
        m.mode = .detail
        m.detail = r
        m.tab = .body
        let cache = DetailCache()
        let first = Render.screen(m, cache: cache)
        XCTAssertTrue(first.text.contains("line 0: the quick brown fox    jumps"), first.text)
        let document = cache.document(m, r)
        XCTAssertLessThanOrEqual(document.linesLaidOut, 2 * m.height, "opening laid out \(document.linesLaidOut) lines")
        XCTAssertEqual(document.count, n + 2, "every line is one row at 79 columns, and the last is empty")
        m.detailScroll = Int.max / 2
        let end = Render.screen(m, cache: cache)
        XCTAssertTrue(end.text.contains("the needle is here"), end.text)
        XCTAssertTrue(end.text.contains("/\(n + 2)\n"), "the position is whole on screen: \(end.text.prefix(300))")
        XCTAssertLessThanOrEqual(cache.document(m, r).linesLaidOut, 4 * m.height)
        XCTAssertEqual(document.matches("NEEDLE"), [n])
    }
}
