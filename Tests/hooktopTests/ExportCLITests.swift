import Foundation
import HooktopTesting
import XCTest

final class ExportCLITests: XCTestCase {
    private var dir: TempDirectory!
    private var db: String { dir.file("a.sqlite") }

    override func setUp() { dir = TempDirectory("export-cli") }

    private func capture(_ daemon: RunningDaemon) throws {
        let bin = dir.file("bin")
        try Data(Fixtures.allBytes).write(to: URL(fileURLWithPath: bin))
        _ = try curl(["-H", "Content-Type: application/json", "-H", "svix-id: msg_1", "--data-binary", #"{"n":1,"q":"it's"}"#,
                      "http://127.0.0.1:\(daemon.port)/stripe/a?x=1"])
        _ = try curl(["-H", "svix-id: msg_1", "--data-binary", #"{"n":1}"#, "http://127.0.0.1:\(daemon.port)/stripe/a"])
        _ = try curl(["-X", "PUT", "--data-binary", "@\(bin)", "http://127.0.0.1:\(daemon.port)/bin"])
        _ = try curl(["-H", "Authorization: Bearer sk_live_1", "http://127.0.0.1:\(daemon.port)/get"])
    }

    func testCurlExportReplaysByteForByteAgainstAnotherHooktop() throws {
        let first = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        try capture(first)
        let second = try RunningDaemon(["serve", "--db", dir.file("b.sqlite"), "--listen", "127.0.0.1:0"])
        let script = dir.file("replay.sh")
        let export = try HooktopBinary.run(["export", "--db", db, "--format", "curl", "--oldest-first",
                                            "--base-url", "http://127.0.0.1:\(second.port)", "-o", script])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertEqual(try CurlReplay.run(script), 0)

        let a = try HooktopBinary.run(["export", "--db", db, "--format", "ndjson", "--oldest-first"]).stdout
        let b = try HooktopBinary.run(["export", "--db", dir.file("b.sqlite"), "--format", "ndjson", "--oldest-first"]).stdout
        let left = try a.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        let right = try b.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(left.count, 4)
        XCTAssertEqual(right.count, 4)
        for (x, y) in zip(left, right) {
            XCTAssertEqual(x["method"] as? String, y["method"] as? String)
            XCTAssertEqual(x["target"] as? String, y["target"] as? String)
            XCTAssertEqual(x["body_base64"] as? String, y["body_base64"] as? String, "body byte for byte")
            let headers = { (o: [String: Any]) in (o["headers"] as! [[String]]).filter { $0[0] != "Host" && $0[0] != "Content-Length" } }
            XCTAssertEqual(Set(headers(x).map { $0.joined(separator: ": ") }), Set(headers(y).map { $0.joined(separator: ": ") }))
        }
    }

    func testFilteredHARExportAndImportRoundTrip() throws {
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        try capture(daemon)
        let har = dir.file("stripe.har")
        let export = try HooktopBinary.run(["export", "--db", db, "--format", "har", "--filter", "~p /stripe/* & ~m POST", "--oldest-first", "-o", har])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertEqual(export.stderr, "exported 2 requests to \(har)\n")
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: har))) as! [String: Any]
        XCTAssertEqual(((root["log"] as! [String: Any])["entries"] as! [Any]).count, 2)

        let imported = try HooktopBinary.run(["import", "--db", dir.file("c.sqlite"), har])
        XCTAssertEqual(imported.stdout, "imported 2 requests\n")
        let original = try HooktopBinary.run(["export", "--db", db, "--format", "ndjson", "--filter", "~p /stripe/*"]).stdout
        let again = try HooktopBinary.run(["export", "--db", dir.file("c.sqlite"), "--format", "ndjson"]).stdout
        let strip = { (s: String) in s.replacingOccurrences(of: #""id":\d+,"#, with: "", options: .regularExpression) }
        XCTAssertEqual(strip(original), strip(again))

        let dup = try HooktopBinary.run(["list", "--db", dir.file("c.sqlite"), "--filter", "~dup", "--json"])
        XCTAssertEqual(dup.stdout.split(separator: "\n").count, 1, "the second svix-id msg_1 is a duplicate")
    }

    func testRedactedExportHasNoCredentials() throws {
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        try capture(daemon)
        let out = try HooktopBinary.run(["export", "--db", db, "--format", "ndjson", "--redact"]).stdout
        XCTAssertFalse(out.contains("sk_live_1"))
        XCTAssertFalse(out.contains("Authorization"))
        XCTAssertTrue(try HooktopBinary.run(["export", "--db", db, "--format", "ndjson"]).stdout.contains("sk_live_1"))
    }

    func testMalformedFilterPointsAtTheMistake() throws {
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        try capture(daemon)
        let bad = try HooktopBinary.run(["list", "--db", db, "--filter", "~m"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertEqual(bad.stderr, "hooktop: --filter: expected a value after ~m at column 3: ~m\n")
        let unknown = try HooktopBinary.run(["export", "--db", db, "--format", "har", "--filter", "~src stripe & ~zz 1"])
        XCTAssertTrue(unknown.stderr.contains("unknown filter ~zz (known: ~m ~p ~h ~b ~src ~sig ~d ~c ~t ~dup ~label ~expect) at column 15"), unknown.stderr)
        XCTAssertEqual(try HooktopBinary.run(["list", "--db", db, "--filter", "~b it's", "--json"]).stdout.split(separator: "\n").count, 1)
    }
}
