import Foundation
import HooktopTesting
import XCTest

/// `hooktop expect` against a running daemon, with curl as the job API.
final class ExpectTests: XCTestCase {
    private var dir: TempDirectory!
    private var db: String { dir.file("h.sqlite") }

    override func setUp() { dir = TempDirectory("expect") }

    private func lines(_ text: String) throws -> [[String: Any]] {
        try text.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
    }

    private func expectations() throws -> [String: [String: Any]] {
        let out = try HooktopBinary.run(["expect", "list", "--db", db, "--json"])
        XCTAssertEqual(out.status, 0, out.stderr)
        return Dictionary(try lines(out.stdout).map { ($0["label"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
    }

    private func list(_ filter: String) throws -> [[String: Any]] {
        let out = try HooktopBinary.run(["list", "--db", db, "--json", "--filter", filter])
        XCTAssertEqual(out.status, 0, out.stderr)
        return try lines(out.stdout)
    }

    func testACallbackArrivesUnderItsLabelOrTheAlertComes() throws {
        let alertLog = dir.file("alerts.txt")
        let config = dir.file("config.toml")
        try "[server]\nalert_command = [\"/bin/sh\", \"-c\", \"echo \\\"$HOOKTOP_ALERT $0\\\" >> \(alertLog)\"]\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0", "--config", config])
        let listen = "127.0.0.1:\(daemon.port)"

        let made = try HooktopBinary.run(["expect", "--label", "clip-7", "--within", "5m", "--db", db, "--listen", listen])
        XCTAssertEqual(made.status, 0, made.stderr)
        let url = made.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(url.range(of: #"^http://127\.0\.0\.1:\d+/cb/[0-9a-f]{32}$"#, options: .regularExpression) != nil, url)
        let other = try HooktopBinary.run(["expect", "--label", "clip-8", "--db", db, "--listen", listen,
                                           "--public-url", "https://hooks.example.com/"]).stdout
        XCTAssertTrue(other.hasPrefix("https://hooks.example.com/cb/"), other)
        XCTAssertNotEqual(url.suffix(32), other.trimmingCharacters(in: .whitespacesAndNewlines).suffix(32), "every URL is fresh")
        XCTAssertEqual(try expectations()["clip-7"]?["state"] as? String, "waiting")

        // The job API calls back twice (progress, then done), and someone guesses a token.
        XCTAssertEqual(try curl(["--data-binary", #"{"status":"progress"}"#, url]), #"{"ok":true}"#)
        XCTAssertEqual(try curl(["--data-binary", #"{"status":"done"}"#, url + "/done?job=7"]), #"{"ok":true}"#)
        _ = try curl(["--data-binary", "x", "http://\(listen)/cb/" + String(repeating: "0", count: 32)])

        // Without --listen the URL is where this database's daemon listens (it took a free port here).
        let never = try HooktopBinary.run(["expect", "--label", "never-comes", "--within", "1s", "--db", db])
        XCTAssertTrue(never.stdout.hasPrefix("http://\(listen)/cb/"), never.stdout)
        let neverURL = never.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // The daemon looks every second: the alert comes once the deadline has passed.
        var alerts = ""
        for _ in 0..<60 where !alerts.contains("never-comes") {
            usleep(100_000)
            alerts = (try? String(contentsOfFile: alertLog, encoding: .utf8)) ?? ""
        }
        XCTAssertTrue(alerts.hasPrefix("expect_overdue no callback for never-comes yet"), alerts)
        usleep(1_500_000)
        XCTAssertEqual(alerts.components(separatedBy: "never-comes").count - 1, 1, "the alert is raised once: \(alerts)")
        XCTAssertEqual(try expectations()["never-comes"]?["state"] as? String, "overdue")
        _ = try curl(["--data-binary", "late", neverURL])

        let all = try expectations()
        XCTAssertEqual(all["clip-7"]?["state"] as? String, "done")
        XCTAssertEqual((all["clip-7"]?["callbacks"] as? [Any])?.count, 2)
        XCTAssertEqual(all["never-comes"]?["state"] as? String, "overdue", "a late callback leaves it overdue")
        XCTAssertEqual(all["clip-8"]?["state"] as? String, "waiting")
        XCTAssertTrue(all["clip-8"]?["deadline"] is NSNull)

        let labelled = try list("~label clip-7")
        XCTAssertEqual(labelled.map { $0["target"] as? String ?? "" }.sorted(), ["/cb/\(url.suffix(32))", "/cb/\(url.suffix(32))/done?job=7"])
        XCTAssertEqual(labelled.first?["label"] as? String, "clip-7")
        XCTAssertEqual(try list("~expect done").count, 2)
        XCTAssertEqual(try list("~expect overdue").map { $0["label"] as? String }, ["never-comes"])
        XCTAssertEqual(try list("~expect waiting").count, 0, "no request is waiting: a waiting expectation has none")
        // (Only the guess is all zeros: a real token is random and may start with a 0 too.)
        let guessed = try list("~p /cb/00000000000000000000000000000000")
        XCTAssertEqual(guessed.count, 1)
        XCTAssertNil(guessed.first?["label"] as? String, "a guessed token belongs to nothing")
        let table = try HooktopBinary.run(["expect", "list", "--db", db]).stdout
        XCTAssertTrue(table.contains("clip-7") && table.contains("done") && table.contains("overdue"), table)
        XCTAssertEqual(daemon.stop(), 0)

        // The label travels through export and import.
        let nd = dir.file("x.ndjson")
        XCTAssertEqual(try HooktopBinary.run(["export", "--db", db, "--format", "ndjson", "-o", nd, "--filter", "~label clip-7"]).status, 0)
        let copy = dir.file("copy.sqlite")
        XCTAssertEqual(try HooktopBinary.run(["import", "--db", copy, nd]).status, 0)
        XCTAssertEqual(try lines(try HooktopBinary.run(["list", "--db", copy, "--json", "--filter", "~label clip-7 & ~expect done"]).stdout).count, 2)
    }

    func testBadArgumentsAreOneLine() throws {
        for (args, expected) in [(["expect", "--db", db], "--label"), (["expect", "--label", "x", "--within", "soon", "--db", db], "--within"),
                                 (["expect", "--label", "x", "--public-url", "ftp://x", "--db", db], "--public-url")] {
            let r = try HooktopBinary.run(args)
            XCTAssertNotEqual(r.status, 0)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(expected), r.stderr)
        }
    }

    /// An OAuth redirect is shown as one, and a configured path tells the browser the tab can go.
    func testOAuthRedirectsAreShownAndAnsweredWithAPage() throws {
        let config = dir.file("config.toml")
        try "[[source]]\nname = \"login\"\nmatch = \"/oauth/*\"\noauth_page = true\n".write(toFile: config, atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0", "--config", config])
        let base = "http://127.0.0.1:\(daemon.port)"
        let page = try curl(["\(base)/oauth/callback?code=4%2F0AbCdEfGhIjKlMnOp&state=st-81"])
        XCTAssertTrue(page.contains("you can close this tab") && page.hasPrefix("<!doctype html>"), page)
        let head = try curl(["-s", "-o", "/dev/null", "-D", "-", "\(base)/oauth/callback?code=4%2F0AbCdEfGhIjKlMnOp&state=st-83"])
        for header in ["Cache-Control: no-store", "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'",
                       "Referrer-Policy: no-referrer"] {
            XCTAssertTrue(head.contains(header), "the page that holds a live code in its URL sends \(header): \(head)")
        }
        let refused = try curl(["\(base)/oauth/callback?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=st-82"])
        XCTAssertTrue(refused.contains("The provider refused: access_denied (&lt;script&gt;alert(1)&lt;/script&gt;)"), refused)
        XCTAssertEqual(try curl(["\(base)/elsewhere?code=1"]), #"{"ok":true}"#, "only the configured path answers with the page")
        let table = try HooktopBinary.run(["list", "--db", db]).stdout
        XCTAssertTrue(table.contains("[oauth] /oauth/callback?code=") && table.contains("[oauth error] /oauth/callback?error="), table)
        XCTAssertEqual(daemon.stop(), 0)
    }
}
