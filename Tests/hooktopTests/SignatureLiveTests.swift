import Crypto
import Foundation
import HooktopTesting
import XCTest

/// Signed requests sent through a running daemon with a config file; the
/// verdict is read back with `hooktop show --json`.
final class SignatureLiveTests: XCTestCase {
    private var dir: TempDirectory!
    private var db: String { dir.file("h.sqlite") }
    private let stripeSecret = "whsec_live_test_secret_0001"

    override func setUp() { dir = TempDirectory("sig-live") }

    private func writeConfig(_ text: String) throws -> String {
        let path = dir.file("config.toml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func serve(_ config: String, extra: [String] = []) throws -> RunningDaemon {
        try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0", "--config", config] + extra,
                          environment: ["STRIPE_SECRET": stripeSecret])
    }

    private func stripeHeader(_ body: String, at ts: Int, secret: String? = nil) -> String {
        let key = SymmetricKey(data: Data((secret ?? stripeSecret).utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(ts).\(body)".utf8), using: key)
        return "t=\(ts),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    private func send(_ port: Int, _ target: String, headers: [(String, String)] = [], body: String = "", method: String = "POST") throws -> RawHTTPClient.Response {
        let client = try RawHTTPClient(port: port)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: hooks.example.com\r\n"
        for (n, v) in headers { head += "\(n): \(v)\r\n" }
        try client.send(head + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
        return try client.readResponse()
    }

    private func stored(_ id: Int) throws -> [String: Any] {
        let show = try HooktopBinary.run(["show", String(id), "--db", db, "--json"])
        XCTAssertEqual(show.status, 0, show.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any])
    }

    private func signature(_ id: Int) throws -> (String, String?, String?) {
        let object = try stored(id)
        let sig = try XCTUnwrap(object["signature"] as? [String: Any])
        return (sig["status"] as? String ?? "?", sig["scheme"] as? String, object["source"] as? String)
    }

    func testVerdictsAreStoredWithEachRequest() throws {
        let config = try writeConfig("""
        [[source]]
        name = "stripe"
        match = "/stripe/*"
        scheme = "stripe"
        secret_env = "STRIPE_SECRET"
        """)
        let daemon = try serve(config, extra: ["--log-level", "debug"])
        let now = Int(Date().timeIntervalSince1970)
        let body = #"{"id":"evt_live","type":"charge.succeeded"}"#
        XCTAssertEqual(try send(daemon.port, "/stripe/events", headers: [("Stripe-Signature", stripeHeader(body, at: now))], body: body).status, 200)
        _ = try send(daemon.port, "/stripe/events", headers: [("Stripe-Signature", stripeHeader(body, at: now))], body: body + " ")
        _ = try send(daemon.port, "/stripe/events", headers: [("Stripe-Signature", stripeHeader(body, at: now - 3600))], body: body)
        _ = try send(daemon.port, "/stripe/events", body: body)
        _ = try send(daemon.port, "/elsewhere", headers: [("Stripe-Signature", stripeHeader(body, at: now))], body: body)
        _ = try send(daemon.port, "/plain", body: body)

        XCTAssertTrue(try signature(1) == ("valid", "stripe", "stripe"))
        XCTAssertTrue(try signature(2) == ("invalid", "stripe", "stripe"))
        XCTAssertTrue(try signature(3) == ("expired", "stripe", "stripe"))
        XCTAssertTrue(try signature(4) == ("missing", "stripe", "stripe"))
        XCTAssertTrue(try signature(5) == ("no_secret", "stripe", nil))
        XCTAssertTrue(try signature(6) == ("none", nil, nil))
        let detail = try XCTUnwrap((try stored(3)["signature"] as? [String: Any])?["detail"] as? String)
        // The daemon reads its clock a moment after `now`: a second boundary may pass in between.
        XCTAssertTrue(detail.contains("3600s old") || detail.contains("3601s old"), detail)

        daemon.stop()
        XCTAssertFalse(daemon.stderr.contains(stripeSecret), "the secret reached the log")
        let list = try HooktopBinary.run(["list", "--db", db, "--json", "--full"])
        XCTAssertFalse(list.stdout.contains(stripeSecret))
        XCTAssertTrue(try HooktopBinary.run(["list", "--db", db]).stdout.contains("expired"))
    }

    func testHandshakesAndCustomResponsesThroughTheDaemon() throws {
        let config = try writeConfig("""
        [[source]]
        name = "zoom"
        match = "/zoom/*"
        scheme = "zoom"
        secret = "zoom-secret-token"
        challenge = true

        [[respond]]
        match = "/flaky/*"
        status = 503
        headers = { "Retry-After" = "5" }
        body = "try later"

        [[respond]]
        match = "/slow/*"
        delay = "1500ms"
        body = "slow"
        """)
        let daemon = try serve(config)
        let slack = try send(daemon.port, "/slack/events", headers: [("X-Slack-Signature", "v0=00"), ("X-Slack-Request-Timestamp", "1")],
                             body: #"{"type":"url_verification","challenge":"c-123"}"#)
        XCTAssertEqual(slack.bodyText, #"{"challenge":"c-123"}"#, "Slack's handshake needs no secret")

        let ts = Int(Date().timeIntervalSince1970)
        let zoomBody = #"{"event":"endpoint.url_validation","payload":{"plainToken":"pt-1"}}"#
        let key = SymmetricKey(data: Data("zoom-secret-token".utf8))
        let hex = { (d: String) in HMAC<SHA256>.authenticationCode(for: Data(d.utf8), using: key).map { String(format: "%02x", $0) }.joined() }
        let zoom = try send(daemon.port, "/zoom/hook", headers: [("x-zm-request-timestamp", "\(ts)"), ("x-zm-signature", "v0=" + hex("v0:\(ts):\(zoomBody)"))], body: zoomBody)
        XCTAssertEqual(zoom.bodyText, #"{"plainToken":"pt-1","encryptedToken":"\#(hex("pt-1"))"}"#)
        let forged = try send(daemon.port, "/zoom/hook", headers: [("x-zm-request-timestamp", "\(ts)"), ("x-zm-signature", "v0=00")], body: zoomBody)
        XCTAssertEqual(forged.status, 401, "a handshake that fails its signature is refused")

        let dropbox = try send(daemon.port, "/dropbox?challenge=dbx-42", method: "GET")
        XCTAssertEqual(dropbox.bodyText, "dbx-42")
        XCTAssertEqual(dropbox.header("X-Content-Type-Options"), "nosniff")

        let flaky = try send(daemon.port, "/flaky/x")
        XCTAssertEqual(flaky.status, 503)
        XCTAssertEqual(flaky.header("Retry-After"), "5")
        XCTAssertEqual(flaky.bodyText, "try later")
        XCTAssertEqual((try stored(5)["response"] as? [String: Any])?["status"] as? Int, 503, "the answer is recorded")

        // A delay holds that one response and nothing else.
        let slowDone = expectation(description: "slow answered")
        let port = daemon.port
        let started = Date()
        nonisolated(unsafe) var slowElapsed = 0.0
        DispatchQueue.global().async {
            let client = try! RawHTTPClient(port: port)
            try! client.send("GET /slow/1 HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(try! client.readResponse().bodyText, "slow")
            slowElapsed = Date().timeIntervalSince(started)
            slowDone.fulfill()
        }
        Thread.sleep(forTimeInterval: 0.2)
        let fastStart = Date()
        XCTAssertEqual(try send(daemon.port, "/fast").status, 200)
        XCTAssertLessThan(Date().timeIntervalSince(fastStart), 1.0, "other requests are not held")
        wait(for: [slowDone], timeout: 10)
        XCTAssertGreaterThanOrEqual(slowElapsed, 1.4)
    }

    func testVerifyCommand() throws {
        let body = dir.file("body.json")
        try #"{"id":"evt_1"}"#.write(toFile: body, atomically: true, encoding: .utf8)
        let header = "Stripe-Signature: " + stripeHeader(#"{"id":"evt_1"}"#, at: 1_700_000_000)
        let ok = try HooktopBinary.run(["verify", "--scheme", "stripe", "--secret", "whsec_nope", "--secret", stripeSecret,
                                        "--header", header, "--body-file", body, "--now", "1700000010", "--json"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertEqual(ok.stdout, #"{"scheme":"stripe","status":"valid","detail":"signature matches (secret 2 of 2); age 10s"}"# + "\n")
        let old = try HooktopBinary.run(["verify", "--scheme", "stripe", "--secret", stripeSecret, "--header", header,
                                         "--body-file", body, "--now", "1700001000"])
        XCTAssertEqual(old.status, 1)
        XCTAssertTrue(old.stdout.hasPrefix("expired: signature matches, but timestamp is 1000s old"), old.stdout)
        let wrong = try HooktopBinary.run(["verify", "--scheme", "stripe", "--secret", "whsec_other", "--header", header,
                                           "--body-file", body, "--now", "1700000010", "--json"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertFalse(wrong.stdout.contains("whsec_other"))
        let unknown = try HooktopBinary.run(["verify", "--scheme", "nope", "--secret", "x"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("unknown scheme 'nope'"), unknown.stderr)
    }

    func testBadConfigIsRefusedAtStartWithFileAndLine() throws {
        let config = try writeConfig("[server]\nlisten = \"127.0.0.1:0\"\nmax_body = 5\n")
        let bad = try HooktopBinary.run(["serve", "--db", db, "--config", config])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertEqual(bad.stderr, "hooktop: \(config):3: server.max_body must be a string, not an integer\n")
        let missing = try HooktopBinary.run(["serve", "--db", db, "--config", dir.file("nope.toml")])
        XCTAssertEqual(missing.stderr, "hooktop: config file \(dir.file("nope.toml")) does not exist\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: db), "nothing started")
    }

    func testConfigSuppliesListenAndTheXDGDefaultIsFound() throws {
        let xdg = dir.file("xdg")
        try FileManager.default.createDirectory(atPath: xdg + "/hooktop", withIntermediateDirectories: true)
        try "[server]\nlisten = \"127.0.0.1:0\"\n[store]\npath = \"\(db)\"\n".write(toFile: xdg + "/hooktop/config.toml", atomically: true, encoding: .utf8)
        let daemon = try RunningDaemon(["serve"], environment: ["XDG_CONFIG_HOME": xdg, "HOOKTOP_DB": ""])
        XCTAssertEqual(try curl(["http://127.0.0.1:\(daemon.port)/via-config"]), #"{"ok":true}"#)
        daemon.stop()
        XCTAssertTrue(FileManager.default.fileExists(atPath: db))
    }

    /// As the providers' SDKs behave: Svix also reads unbranded webhook-* headers,
    /// Twilio signs with HMAC-SHA256 when its settings header says so, and
    /// Linear's body timestamp (milliseconds, 60 s) makes an old request expired.
    func testSignatureFidelityAsTheProvidersSDKsBehave() throws {
        let svixKey = Array("svix-test-key-0123456789".utf8)
        let config = try writeConfig("""
        [[source]]
        name = "svix"
        match = "/svix/*"
        scheme = "svix"
        secret = "whsec_\(Data(svixKey).base64EncodedString())"

        [[source]]
        name = "twilio"
        match = "/twilio/*"
        scheme = "twilio"
        secret = "twilio-auth-token"
        public_url = "https://hooks.example.com/twilio/sms"

        [[source]]
        name = "linear"
        match = "/linear/*"
        scheme = "linear"
        secret = "linear-secret"
        """)
        let daemon = try serve(config)
        func mac<H: HashFunction>(_ h: H.Type, _ key: [UInt8], _ text: String) -> Data {
            Data(HMAC<H>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: key)))
        }
        let now = Int(Date().timeIntervalSince1970)

        // Svix: the unbranded names, signed as the Svix SDK signs.
        let body = #"{"type":"invoice.paid"}"#
        let sig = mac(SHA256.self, svixKey, "msg_1.\(now).\(body)").base64EncodedString()
        _ = try send(daemon.port, "/svix/in", headers: [("webhook-id", "msg_1"), ("webhook-timestamp", "\(now)"),
                                                        ("webhook-signature", "v1,\(sig)")], body: body)
        _ = try send(daemon.port, "/svix/in", headers: [("webhook-id", "msg_1"), ("webhook-timestamp", "\(now)"),
                                                        ("webhook-signature", "v1,\(sig)")], body: body + " ")

        // Twilio: a form post signed with HMAC-SHA256 of URL + sorted parameters.
        let form = "To=%2B15550001&From=%2B15550002&Body=hi"
        let content = "https://hooks.example.com/twilio/smsBodyhiFrom+15550002To+15550001"
        let sha256 = mac(SHA256.self, Array("twilio-auth-token".utf8), content).base64EncodedString()
        let sha1 = mac(Insecure.SHA1.self, Array("twilio-auth-token".utf8), content).base64EncodedString()
        let formType = ("Content-Type", "application/x-www-form-urlencoded")
        _ = try send(daemon.port, "/twilio/sms", headers: [formType, ("X-Twilio-Signature", sha256),
                                                           ("X-Twilio-Webhooks-Signature-Settings", "algorithm=HMAC_SHA256")], body: form)
        _ = try send(daemon.port, "/twilio/sms", headers: [formType, ("X-Twilio-Signature", sha1)], body: form)
        _ = try send(daemon.port, "/twilio/sms", headers: [formType, ("X-Twilio-Signature", sha1),
                                                           ("X-Twilio-Webhooks-Signature-Settings", "algorithm=HMAC_SHA256")], body: form)

        // Linear: fresh, and two minutes old.
        for age in [0, 120] {
            let linear = #"{"action":"create","webhookTimestamp":\#((now - age) * 1000)}"#
            let hex = mac(SHA256.self, Array("linear-secret".utf8), linear).map { String(format: "%02x", $0) }.joined()
            _ = try send(daemon.port, "/linear/in", headers: [("Linear-Signature", hex)], body: linear)
        }
        daemon.stop()
        XCTAssertEqual(try signature(1).0, "valid", "svix with webhook-* headers")
        XCTAssertEqual(try signature(2).0, "invalid", "svix checks the body")
        XCTAssertEqual(try signature(3).0, "valid", "twilio HMAC-SHA256")
        XCTAssertEqual(try signature(4).0, "valid", "twilio HMAC-SHA1 without the settings header")
        XCTAssertEqual(try signature(5).0, "invalid", "a SHA-1 signature when the settings say SHA-256")
        XCTAssertEqual(try signature(6).0, "valid", "linear, fresh")
        XCTAssertEqual(try signature(7).0, "expired", "linear, webhookTimestamp two minutes old")
        let detail = (try stored(7)["signature"] as? [String: Any])?["detail"] as? String ?? ""
        XCTAssertTrue(detail.contains("webhookTimestamp") && detail.contains("tolerance is 60s"), detail)
    }

    /// PayPal IPN: answered 200 at once, then posted back byte for byte to
    /// the verify URL (a local stand-in for PayPal here), whose VERIFIED or
    /// INVALID becomes the stored verdict.
    func testPayPalIPNIsVerifiedByPostingItBack() throws {
        let paypal = try TestTarget { _, received in
            let body = String(decoding: received.body, as: UTF8.self)
            // PayPal's rule: the message must come back exactly as it was sent, after cmd=_notify-validate.
            let genuine = "cmd=_notify-validate&mc_gross=19.95&payer_email=buyer%40example.com&custom=caf%E9&verify_sign=AtkOfCXbDm2hu0ZELryHFjY-Vb7PAUvS6nMXgysbElEn9v-1XcmSoGtf"
            return .respond(status: 200, body: body == genuine ? "VERIFIED" : "INVALID")
        }
        defer { paypal.stop() }
        let config = try writeConfig("""
        [[source]]
        name = "paypal"
        match = "/paypal/*"
        scheme = "paypal-ipn"
        verify_url = "http://127.0.0.1:\(paypal.port)/cgi-bin/webscr"
        """)
        let daemon = try serve(config)
        let form = ("Content-Type", "application/x-www-form-urlencoded; charset=windows-1252")
        let genuine = "mc_gross=19.95&payer_email=buyer%40example.com&custom=caf%E9&verify_sign=AtkOfCXbDm2hu0ZELryHFjY-Vb7PAUvS6nMXgysbElEn9v-1XcmSoGtf"
        XCTAssertEqual(try send(daemon.port, "/paypal/ipn", headers: [form], body: genuine).status, 200)
        XCTAssertEqual(try send(daemon.port, "/paypal/ipn", headers: [form], body: genuine.replacingOccurrences(of: "19.95", with: "0.01")).status, 200)
        XCTAssertTrue(paypal.waitFor(2))
        var verdicts: [String] = []
        for _ in 0..<100 {
            verdicts = try (1...2).map { try signature($0).0 }
            if !verdicts.contains("none") { break }
            usleep(50_000)
        }
        XCTAssertEqual(verdicts, ["valid", "invalid"])
        XCTAssertEqual(try signature(1).1, "paypal-ipn")
        let detail = (try stored(2)["signature"] as? [String: Any])?["detail"] as? String ?? ""
        XCTAssertTrue(detail.contains("INVALID"), detail)
        XCTAssertEqual(paypal.received.first?.header("Content-Type"), "application/x-www-form-urlencoded")
        _ = daemon.stop()
    }
}
