import Foundation
import HooktopTesting
import XCTest

/// The built binary in a real terminal (tmux): list visible, open a request,
/// see its body, a new request appears live, quit cleanly.
final class TmuxTests: XCTestCase {
    /// Each test has a tmux server of its own (its own socket, no user
    /// config) that stays up while it has no session (`exit-empty off`) and
    /// is killed when the test ends. On the shared default server, a test
    /// that started a session just as the last one closed could reach a
    /// server on its way out: the session was never made and the pane stayed
    /// empty (CI saw it on the PostgreSQL pass, where quitting takes longer).
    private var socket = ""

    override func setUp() {
        socket = "hooktop-test-\(getpid())-\(UUID().uuidString.prefix(8))"
    }

    override func tearDown() {
        _ = try? tmux(["kill-server"])
    }

    /// Starts a detached session on this test's server; fails the test at once when tmux could not.
    private func newSession(_ name: String, width: Int, height: Int, _ command: String) throws {
        let status = try tmuxStatus(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", command,
                                     ";", "set-option", "-s", "exit-empty", "off"])
        guard status == 0 else { throw NSError(domain: "tmux new-session exited \(status)", code: Int(status)) }
    }

    /// Runs tmux on this test's server (a `Child`, so with a deadline); returns its stdout.
    @discardableResult
    private func tmux(_ args: [String]) throws -> String { try tmuxRun(args).stdout }

    private func tmuxStatus(_ args: [String]) throws -> Int32 { try tmuxRun(args).status }

    private func tmuxRun(_ args: [String]) throws -> HooktopBinary.Result {
        try HooktopBinary.spawn("/usr/bin/tmux", ["-L", socket, "-f", "/dev/null"] + args, timeoutSeconds: 20)
    }

    /// `tui --db PATH`, or the store the tests run on (`StoreUnderTest`).
    private func tuiArguments(_ db: String) throws -> String {
        try StoreUnderTest.arguments(["tui", "--db", db]).joined(separator: " ")
    }

    private func waitForPane(_ session: String, toContain text: String, timeout: TimeInterval = 10) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var pane = ""
        while Date() < deadline {
            pane = try tmux(["capture-pane", "-p", "-t", session])
            if pane.contains(text) { return pane }
            usleep(50_000)
        }
        XCTFail("the pane never showed \(text):\n\(pane)")
        return pane
    }

    /// Waits for the pane's top line (the header) to match `pattern`.
    private func waitForHeader(_ session: String, matching pattern: String, timeout: TimeInterval) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var header = ""
        while Date() < deadline {
            header = String(try tmux(["capture-pane", "-p", "-t", session]).split(separator: "\n").first ?? "")
            if header.range(of: pattern, options: .regularExpression) != nil { return header }
            usleep(50_000)
        }
        XCTFail("the header never matched \(pattern): \(header)")
        return header
    }

    func testDashboardInARealTerminal() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else { throw XCTSkip("tmux is not installed") }
        let dir = TempDirectory("tmux")
        let db = dir.file("t.sqlite")
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        _ = try curl(["-H", "Content-Type: application/json", "--data-binary", #"{"event":"payment.captured","amount":4200}"#,
                      "http://127.0.0.1:\(daemon.port)/shop/hooks"])
        let evil = dir.file("evil")
        try Data("\u{1b}]0;pwned\u{07}\u{1b}[2J\u{1b}[31mred".utf8).write(to: URL(fileURLWithPath: evil))
        _ = try curl(["--data-binary", "@\(evil)", "http://127.0.0.1:\(daemon.port)/evil"])

        let session = "hooktop-test-\(getpid())"
        let exitFile = dir.file("exit")
        try newSession(session, width: 100, height: 30, "\(HooktopBinary.path) \(try tuiArguments(db)); echo $? > \(exitFile)")

        var pane = try waitForPane(session, toContain: "/shop/hooks")
        XCTAssertTrue(pane.contains("attached"), pane)
        XCTAssertTrue(pane.contains("/evil"))

        // Live: a request committed by the daemon shows up without a key press.
        _ = try curl(["http://127.0.0.1:\(daemon.port)/arrived-live"])
        _ = try waitForPane(session, toContain: "/arrived-live", timeout: 3)
        // The header's rate counts the second it came in once that second is over, then falls to
        // 0/s as the seconds pass without traffic: live, with no key pressed.
        _ = try waitForHeader(session, matching: #" [1-9][0-9]*/s( |$)"#, timeout: 3)
        _ = try waitForHeader(session, matching: #" 0/s( |$)"#, timeout: 4)

        // Open the payment (second from the top) and look at its body.
        try tmux(["send-keys", "-t", session, "j", "j", "Enter"])
        _ = try waitForPane(session, toContain: "[Overview]")
        try tmux(["send-keys", "-t", session, "Tab", "Tab"])
        pane = try waitForPane(session, toContain: #""amount": 4200"#)
        XCTAssertTrue(pane.contains("[Body]"))

        // The hostile one is shown, not obeyed: the title was not set, the screen not cleared.
        try tmux(["send-keys", "-t", session, "Escape", "k", "Enter"])
        pane = try waitForPane(session, toContain: "\\x1b]0;pwned\\x07")
        XCTAssertTrue(pane.contains("[Body]"))
        let title = try tmux(["display-message", "-p", "-t", session, "#{pane_title}"])
        XCTAssertFalse(title.contains("pwned"), "the payload set the terminal title")

        try tmux(["send-keys", "-t", session, "q"])
        let deadline = Date().addingTimeInterval(5)
        while !FileManager.default.fileExists(atPath: exitFile), Date() < deadline { usleep(50_000) }
        XCTAssertEqual(try String(contentsOfFile: exitFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines), "0")
        daemon.stop()
    }

    /// The terminals a server has: `LC_ALL=C` gets ASCII marks (the signature
    /// column does not go blank); `TERM=dumb` gets a one-line error from
    /// `hooktop tui` and the line mode from `hooktop`.
    func testCLocaleAndDumbTerminal() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else { throw XCTSkip("tmux is not installed") }
        let dir = TempDirectory("tmux-c")
        let db = dir.file("t.sqlite")
        let config = dir.file("c.toml")
        try Data("[[source]]\nname = \"gh\"\nmatch = \"/gh/*\"\nscheme = \"github\"\nsecret = \"s3cret\"\n".utf8).write(to: URL(fileURLWithPath: config))
        let daemon = try RunningDaemon(["serve", "--db", db, "--config", config, "--listen", "127.0.0.1:0"])
        _ = try curl(["-H", "X-Hub-Signature-256: sha256=00", "-d", "{}", "http://127.0.0.1:\(daemon.port)/gh/push"])
        let session = "hooktop-c-\(getpid())"
        try newSession(session, width: 100, height: 30, "env LANG= LC_ALL=C \(HooktopBinary.path) \(try tuiArguments(db))")
        let pane = try waitForPane(session, toContain: "/gh/push")
        let row = pane.split(separator: "\n").first { $0.contains("/gh/push") } ?? ""
        XCTAssertTrue(row.contains(" x "), "the invalid-signature mark in ASCII: \(row)")
        XCTAssertTrue(pane.utf8.allSatisfy { $0 < 0x80 }, pane)
        // y with tmux's default settings: the command lands in tmux's buffer, and the status line says so.
        try tmux(["send-keys", "-t", session, "y"])
        _ = try waitForPane(session, toContain: "paste buffer")
        let buffer = try tmux(["show-buffer"])
        XCTAssertTrue(buffer.contains("--request-target '/gh/push'") && buffer.hasPrefix("printf "), buffer)
        try tmux(["send-keys", "-t", session, "q"])

        let dumb = "hooktop-dumb-\(getpid())"
        try newSession(dumb, width: 120, height: 30, "env TERM=dumb \(HooktopBinary.path) \(try tuiArguments(db)); echo \"exit $?\"; sleep 10")
        let text = try waitForPane(dumb, toContain: "exit ")
        XCTAssertTrue(text.contains("hooktop: TERM=dumb cannot show the dashboard"), text)
        XCTAssertTrue(text.contains("exit 1"), text)
        daemon.stop()
    }

    /// `hooktop tui --store postgres://…` shows two daemons' streams live, with their nodes.
    func testDashboardShowsEveryDaemonOfAPostgresStoreLive() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux") else { throw XCTSkip("tmux is not installed") }
        let url = try makePostgresDatabase(for: self)
        let alpha = try RunningDaemon(["serve", "--store", url, "--node", "alpha", "--listen", "127.0.0.1:0"])
        let beta = try RunningDaemon(["serve", "--store", url, "--node", "beta", "--listen", "127.0.0.1:0"])
        _ = try curl(["--data-binary", "first", "http://127.0.0.1:\(alpha.port)/before-tui"])
        let session = "hooktop-pg-\(getpid())"
        try newSession(session, width: 110, height: 30, "\(HooktopBinary.path) tui --store \(url)")
        var pane = try waitForPane(session, toContain: "/before-tui")
        XCTAssertTrue(pane.contains("NODE"), pane)

        // Each daemon's next request appears without a key press (LISTEN/NOTIFY, not a poll of the table).
        for (daemon, path) in [(beta, "/live-from-beta"), (alpha, "/live-from-alpha")] {
            let sent = Date()
            _ = try curl(["--data-binary", "x", "http://127.0.0.1:\(daemon.port)\(path)"])
            pane = try waitForPane(session, toContain: path, timeout: 2)
            XCTAssertLessThan(Date().timeIntervalSince(sent), 2)
        }
        let rows = pane.split(separator: "\n")
        XCTAssertTrue(rows.contains { $0.contains("/live-from-beta") && $0.contains("beta") }, pane)
        XCTAssertTrue(rows.contains { $0.contains("/live-from-alpha") && $0.contains("alpha") }, pane)
        try tmux(["send-keys", "-t", session, "q"])
        alpha.stop()
        beta.stop()
    }
}
