import HooktopConfig
import HooktopCore
import HooktopSignatures
import XCTest

final class TOMLTests: XCTestCase {
    func testParsesTheSpecExample() throws {
        let text = #"""
        [server]
        listen = "127.0.0.1:8080"
        max_body = "10MiB"   # trailing comment
        alert_command = ["notify-send", "hooktop"]

        [[source]]
        name = "stripe"
        match = "/stripe/*"
        secrets = [
          "whsec_a",  # rotation
          "whsec_b",
        ]

        [[source]]
        name = 'github'
        match = '/gh/*'

        [[respond]]
        match = "/flaky/*"
        headers = { "Retry-After" = "5", X-Two = "2" }
        body = """
        try \
          later"""
        a.b.c = 1_000
        f = 1.5e3
        """#
        let root = try TOML.parse(text)
        guard case .table(let server) = root["server"]?.kind, case .string(let listen) = server["listen"]?.kind else { return XCTFail() }
        XCTAssertEqual(listen, "127.0.0.1:8080")
        guard case .array(let sources) = root["source"]?.kind else { return XCTFail() }
        XCTAssertEqual(sources.count, 2)
        XCTAssertEqual(sources[1].line, 14)
        guard case .array(let respond) = root["respond"]?.kind, case .table(let rule) = respond[0].kind else { return XCTFail() }
        guard case .string(let body) = rule["body"]?.kind else { return XCTFail() }
        XCTAssertEqual(body, "try later")
        guard case .table(let a) = rule["a"]?.kind, case .table(let b) = a["b"]?.kind, case .integer(let c) = b["c"]?.kind else { return XCTFail() }
        XCTAssertEqual(c, 1000)
        guard case .float(let f) = rule["f"]?.kind else { return XCTFail() }
        XCTAssertEqual(f, 1500)
    }

    func testErrorsPointAtTheLine() {
        let cases: [(String, Int, String)] = [
            ("a = 1\nb = \"open\n", 2, "unterminated string"),
            ("[server]\n[server]\n", 2, "defined twice"),
            ("x = 1\nx = 2\n", 2, "defined twice"),
            ("\n\nkey value\n", 3, "expected '='"),
            ("a = [1, 2\n", 2, "unterminated array"),
            ("a = bare\n", 1, "strings need quotes"),
            ("a = 1 b = 2\n", 1, "one key = value per line"),
            ("d = 2026-11-29\n", 1, "dates and times are not supported"),
            ("s = \"\\q\"\n", 1, "invalid escape"),
        ]
        for (text, line, message) in cases {
            XCTAssertThrowsError(try TOML.parse(text), text) { error in
                let e = error as! TOMLError
                XCTAssertEqual(e.line, line, "\(text): \(e)")
                XCTAssertTrue(e.message.contains(message), "\(text): \(e)")
            }
        }
    }
}

final class ConfigLoaderTests: XCTestCase {
    let schemes: Set<String> = ["stripe", "github", "hmac"]

    func load(_ text: String, env: [String: String] = [:]) throws -> Config {
        try ConfigLoader.load(text, file: "config.toml", knownSchemes: schemes, environment: env)
    }

    func error(_ text: String, env: [String: String] = [:]) -> String {
        do { _ = try load(text, env: env); return "no error" } catch { return "\(error)" }
    }

    func testFullConfig() throws {
        let config = try load("""
        [server]
        listen = "127.0.0.1:9999"
        max_body = "1MiB"
        mode = "proxy"
        alert_command = ["notify-send", "hooktop"]
        [store]
        path = "~/h.sqlite"
        retention = "14d"
        [[source]]
        name = "stripe"
        match = "/stripe/*"
        scheme = "stripe"
        secret_env = "STRIPE_SECRETS"
        secret = "whsec_inline"
        forward_to = "http://localhost:3000/stripe"
        tolerance = "10m"
        [[source]]
        name = "acme"
        match = "/acme/*"
        scheme = "hmac"
        secret = "k"
        header = "X-Acme-Signature"
        algorithm = "sha512"
        encoding = "base64"
        [[respond]]
        match = "/flaky/*"
        status = 503
        headers = { "Retry-After" = "5" }
        body = "try later"
        delay = "2s"
        [delivery]
        schedule = ["0s", "1m"]
        timeout = "5s"
        concurrency = 4
        """, env: ["STRIPE_SECRETS": "whsec_a whsec_b"])
        XCTAssertEqual(config.server.listen, ListenAddress(host: "127.0.0.1", port: 9999))
        XCTAssertEqual(config.server.maxBody, 1 << 20)
        XCTAssertEqual(config.server.mode, .proxy)
        XCTAssertEqual(config.server.alertCommand, ["notify-send", "hooktop"])
        XCTAssertEqual(config.sources.map(\.name), ["stripe", "acme"])
        XCTAssertEqual(config.sources[0].secrets.map(\.value), ["whsec_inline", "whsec_a", "whsec_b"])
        XCTAssertEqual(config.sources[0].toleranceSeconds, 600)
        XCTAssertEqual(config.sources[1].hmac?.algorithm, .sha512)
        XCTAssertEqual(config.source(forPath: "/stripe/events")?.name, "stripe")
        XCTAssertNil(config.source(forPath: "/other"))
        XCTAssertEqual(config.respondRule(forPath: "/flaky/x")?.delayMicros, 2_000_000)
        XCTAssertEqual(config.delivery.scheduleMicros, [0, 60_000_000])
        XCTAssertEqual(config.delivery.concurrency, 4)
    }

    func testRefusalsNameFileLineAndReason() {
        XCTAssertEqual(error("[server]\nlisten = 8080\n"), "config.toml:2: server.listen must be a string, not an integer")
        XCTAssertEqual(error("[server]\nlisten = \"8080\"\n"), "config.toml:2: server.listen: expected HOST:PORT, e.g. 127.0.0.1:8080, got '8080'")
        XCTAssertEqual(error("[server]\nlistn = \"x\"\n"), "config.toml:2: unknown key 'listn' in [server] (known: listen, max_body, mode, alert_command, token_env)")
        XCTAssertEqual(error("[sever]\n"), "config.toml:1: unknown key 'sever' in the file (known: server, store, source, respond, delivery)")
        XCTAssertEqual(error("[server]\nmax_body = \"lots\"\n"), "config.toml:2: server.max_body: 'lots' is not a size (like \"10MiB\", \"512k\", \"1048576\")")
        XCTAssertEqual(error("[server]\nmode = \"mirror\"\n"), "config.toml:2: server.mode must be \"capture\" or \"proxy\", got \"mirror\"")
        XCTAssertEqual(error("[[source]]\nname = \"s\"\nmatch = \"/s/*\"\nscheme = \"strip\"\n"),
                       "config.toml:4: source 's': unknown scheme \"strip\" (known: github, hmac, stripe)")
        XCTAssertEqual(error("[[source]]\nname = \"s\"\nmatch = \"/s/*\"\nsecret_env = \"NOPE\"\n"),
                       "config.toml:4: source 's': environment variable NOPE (secret_env) is not set")
        XCTAssertEqual(error("[[source]]\nmatch = \"/s/*\"\n"), "config.toml:1: a [[source]] needs a name")
        XCTAssertEqual(error("[[source]]\nname = \"s\"\nmatch = \"s\"\n"), "config.toml:3: source 's': match is a path glob and starts with '/', got \"s\"")
        XCTAssertEqual(error("[[source]]\nname = \"s\"\nmatch = \"/s\"\nforward_to = \"localhost:3000\"\n"),
                       "config.toml:4: source 's': forward_to must be an http:// or https:// URL, got \"localhost:3000\"")
        XCTAssertEqual(error("[[respond]]\nmatch = \"/x\"\nstatus = 99\n"), "config.toml:3: respond.status must be from 100 to 599, got 99")
        XCTAssertEqual(error("[[respond]]\nmatch = \"/x\"\ndelay = \"soon\"\n"),
                       "config.toml:3: respond.delay: 'soon' is not a duration (like \"30s\", \"5m\", \"2h\", \"7d\")")
        XCTAssertEqual(error("[delivery]\nconcurrency = \"4\"\n"), "config.toml:2: delivery.concurrency must be an integer, not a string")
        XCTAssertEqual(error("[server]\nlisten = \"x\n"), "config.toml:2: unterminated string (missing '\"')")
        XCTAssertEqual(error("[[source]]\nname = \"a\"\nmatch = \"/a\"\n[[source]]\nname = \"a\"\nmatch = \"/b\"\n"),
                       "config.toml:4: two sources are named 'a'")
        XCTAssertEqual(error("[[source]]\nname = \"a\"\nmatch = \"/a\"\nscheme = \"hmac\"\n"),
                       "config.toml:1: source 'a': scheme \"hmac\" needs header = \"X-Signature-Header\"")
    }

    func testSecretsNeverPrint() throws {
        let config = try load("[[source]]\nname = \"s\"\nmatch = \"/s\"\nsecret = \"whsec_topsecret\"\n")
        XCTAssertFalse("\(config)".contains("topsecret"))
        XCTAssertFalse(String(reflecting: config.sources[0]).contains("topsecret"))
    }
}

final class GlobTests: XCTestCase {
    func testStarCrossesSlashesAndCoversTheWholePath() {
        XCTAssertTrue(Glob("/stripe/*").matches("/stripe/events"))
        XCTAssertTrue(Glob("/stripe/*").matches("/stripe/a/b/c"))
        XCTAssertFalse(Glob("/stripe/*").matches("/stripe"))
        XCTAssertFalse(Glob("/stripe").matches("/stripe/x"))
        XCTAssertTrue(Glob("*/events").matches("/a/b/events"))
        XCTAssertTrue(Glob("/a?c").matches("/abc"))
        XCTAssertTrue(Glob("*").matches(""))
        XCTAssertFalse(Glob("/x*y").matches("/x-z"))
        XCTAssertEqual(Glob("/stripe/*").literalPrefix, "/stripe/")
    }
}
