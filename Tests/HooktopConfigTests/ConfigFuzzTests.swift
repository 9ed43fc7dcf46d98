import HooktopConfig
import HooktopCore
import HooktopTesting
import XCTest

final class ConfigFuzzTests: XCTestCase {
    /// Config files with hostile numbers: every one loads or is refused with file:line.
    func testConfigLoaderFuzz() {
        var rng = SeededRandom(seed: 0xC0F1)
        let lines: [(inout SeededRandom) -> String] = [
            { r in "[server]\nmax_body = \"\(r.pick(FuzzValues.quantities))\"" },
            { r in "[server]\nlisten = \"127.0.0.1:\(r.pick(FuzzValues.numbers))\"" },
            { r in "[store]\nretention = \"\(r.pick(FuzzValues.quantities))\"" },
            { r in "[delivery]\ntimeout = \"\(r.pick(FuzzValues.quantities))\"" },
            { r in "[delivery]\nconcurrency = \(r.pick(FuzzValues.numbers))" },
            { r in "[delivery]\nschedule = [\"\(r.pick(FuzzValues.quantities))\", \"\(r.pick(FuzzValues.quantities))\"]" },
            { r in "[[source]]\nname = \"s\"\nmatch = \"/s/*\"\nsecret = \"x\"\ntolerance = \"\(r.pick(FuzzValues.quantities))\"" },
            { r in "[[respond]]\nmatch = \"/r\"\nstatus = \(r.pick(FuzzValues.numbers))\ndelay = \"\(r.pick(FuzzValues.quantities))\"" },
            { r in "x = \(r.pick(FuzzValues.numbers))" },
            { r in "x = \(String(repeating: "[", count: Int(r.next() % 3000)))" },
            { r in "x = \(String(repeating: "{a=", count: Int(r.next() % 3000)))" },
            { r in "x = \"\\u\(r.pick(["D800", "DFFF", "110000", "0000", "FFFF", "zzzz"]))\" " },
            { r in "x = \"\\U\(r.pick(["0011FFFF", "FFFFFFFF", "0000D800", "0001F600"]))\" " },
            { r in FuzzValues.text(&r) },
        ]
        var loaded = 0, refused = 0
        for _ in 0..<3_000 {
            let text = (0...(rng.next() % 2)).map { _ in rng.pick(lines)(&rng) }.joined(separator: "\n")
            do {
                let config = try ConfigLoader.load(text, file: "fuzz.toml", knownSchemes: ["stripe"], environment: [:])
                loaded += 1
                XCTAssertTrue(config.delivery.scheduleMicros.allSatisfy { (0...DurationText.maximum).contains($0) })
                if let body = config.server.maxBody { XCTAssertTrue(ByteSize.bodyRange.contains(body)) }
            } catch {
                refused += 1
                XCTAssertTrue(error.description.hasPrefix("fuzz.toml:"), error.description)
            }
        }
        XCTAssertGreaterThan(loaded, 50)
        XCTAssertGreaterThan(refused, 100)
    }
}
