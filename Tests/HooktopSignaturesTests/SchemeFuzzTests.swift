import HooktopCore
@testable import HooktopSignatures
import HooktopTesting
import XCTest

/// Seeded fuzzing of every scheme's header parsing and verification, with the
/// numeric extremes that trapped before (`t=-9223372036854775808`): every
/// outcome must be a verdict, and a hostile timestamp an `expired` or
/// `invalid` one that says so.
final class SchemeFuzzTests: XCTestCase {
    private let registry = SchemeRegistry()

    /// The exact request that stopped the daemon: now a verdict.
    func testMinimumTimestampIsAVerdictNotATrap() {
        for ts in ["-9223372036854775808", "9223372036854775807"] {
            let request = SignedRequest(method: "POST", target: "/stripe/x",
                                        headers: HeaderList([("Stripe-Signature", "t=\(ts),v1=00")]), body: [], now: 1_700_000_000)
            let result = registry.check(request, scheme: "stripe", settings: SignatureSettings(secrets: [Secret("whsec_test")]))
            XCTAssertEqual(result.status, .invalid, ts)
            XCTAssertTrue(result.detail?.contains("out of range") ?? false, result.detail ?? "")
        }
    }

    /// A matching signature over an absurd timestamp is `expired`, with the reason.
    func testMatchingSignatureWithTimestampOutOfRangeIsExpired() {
        let secret = "whsec_test"
        for ts: Int64 in [.min, .max, -1] {
            let mac = Verdict.hex(Verdict.hmac(.sha256, key: Array(secret.utf8), Array("\(ts).{}".utf8)))
            let request = SignedRequest(method: "POST", target: "/s", headers: HeaderList([("Stripe-Signature", "t=\(ts),v1=\(mac)")]),
                                        body: Array("{}".utf8), now: ts == .min ? .max : 1_700_000_000)
            let result = registry.check(request, scheme: "stripe", settings: SignatureSettings(secrets: [Secret(secret)]))
            XCTAssertEqual(result.status, .expired, "\(ts): \(result.detail ?? "")")
        }
    }

    func testToleranceExtremesNeverTrap() {
        for tolerance: Int64 in [.min, -1, 0, .max] {
            for now: Int64 in [.min, 0, .max] {
                let r = SignedRequest(method: "POST", target: "/", headers: HeaderList([("Stripe-Signature", "t=\(now),v1=00")]), body: [], now: now)
                let result = registry.check(r, scheme: "stripe", settings: SignatureSettings(secrets: [Secret("k")], toleranceSeconds: tolerance))
                XCTAssertNotEqual(result.status, .valid)
            }
        }
    }

    /// Thousands of requests built from every scheme's headers with hostile
    /// values, checked by every scheme, with and without detection.
    func testFuzzEverySchemeNeverTraps() {
        var rng = SeededRandom(seed: 0x51_6E_A7)
        let secrets = ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "s3cr3t-fuzz-key", "whpk_AAAA", "whsec_", "x", String(repeating: "k", count: 300)]
        var statuses: [SignatureStatus: Int] = [:]
        for i in 0..<4_000 {
            let headers = HeaderList(randomHeaders(&rng))
            let body = randomBody(&rng)
            let now: Int64 = rng.pick([1_700_000_000, 0, .max, .min, -1, Int64(bitPattern: rng.next())])
            let request = SignedRequest(method: rng.pick(["POST", "GET", "PUT"]), target: rng.pick(["/", "/x?a=1", "/é?\u{1b}", ""]),
                                        headers: headers, body: body, url: rng.chance(50) ? "https://example.com/hook?x=1" : nil, now: now)
            let settings = SignatureSettings(
                secrets: (0..<Int(rng.next() % 3)).map { _ in Secret(rng.pick(secrets)) },
                toleranceSeconds: rng.pick([nil, 0, -1, 300, .max, .min]),
                hmac: rng.chance(20) ? HMACSpec(header: "X-Signature") : nil)
            let name: String? = i % 5 == 0 ? nil : rng.pick(registry.names)
            let result = registry.check(request, scheme: name, settings: settings)
            statuses[result.status, default: 0] += 1
            for secret in settings.secrets where secret.value.count > 8 {
                XCTAssertFalse(result.detail?.contains(secret.value) ?? false, "a secret leaked into the detail")
            }
        }
        // The fuzz reaches the interesting verdicts, not only "missing".
        XCTAssertGreaterThan(statuses[.invalid] ?? 0, 500, "\(statuses)")
        XCTAssertGreaterThan(statuses[.missing] ?? 0, 50, "\(statuses)")
        XCTAssertGreaterThan(statuses[.noSecret] ?? 0, 50, "\(statuses)")
    }

    /// Re-signing takes any clock value.
    func testResignerTakesExtremeClocks() throws {
        let registry = SchemeRegistry()
        for scheme in registry.resignable {
            for now: Int64 in [.min, -1, 0, .max] {
                let headers = try registry.resign(headers: HeaderList(), body: [1, 2], scheme: scheme,
                                                  secret: Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), now: now)
                XCTAssertFalse(headers.isEmpty, "\(scheme) at \(now) signed nothing")
            }
        }
        // A timestamped scheme writes the clock it was given, extremes included.
        let stripe = try registry.resign(headers: HeaderList(), body: [], scheme: "stripe", secret: Secret("k"), now: .min)
        XCTAssertTrue(stripe.first("Stripe-Signature")?.hasPrefix("t=-9223372036854775808,v1=") ?? false)
    }

    /// Signing and checking share each provider's recipe: what resign signs, verify accepts.
    func testEveryResignedRequestVerifies() throws {
        let registry = SchemeRegistry()
        XCTAssertEqual(registry.resignable, ["asana", "calendly", "dropbox", "github", "gitlab", "intercom", "linear", "meta",
                                             "paddle", "pagerduty", "shopify", "slack", "standard", "stripe", "svix", "twitch",
                                             "typeform", "x", "zoom"])
        let secret = Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let now: Int64 = 1_767_225_600
        for name in registry.resignable {
            let old = HeaderList([("Content-Type", "application/json"), ("Stripe-Signature", "t=1,v1=00")])
            let body = Array(#"{"id":"evt_1"}"#.utf8)
            let headers = try registry.resign(headers: old, body: body, scheme: name, secret: secret, now: now)
            let request = SignedRequest(method: "POST", target: "/hook", headers: headers, body: body, now: now + 1)
            let result = registry.check(request, scheme: name, settings: SignatureSettings(secrets: [secret]))
            XCTAssertEqual(result.status, .valid, "\(name): \(result.detail ?? "")")
            XCTAssertEqual(registry.check(SignedRequest(method: "POST", target: "/hook", headers: headers, body: body + [0x20], now: now + 1),
                                          scheme: name, settings: SignatureSettings(secrets: [secret])).status,
                           name == "gitlab" ? .valid : .invalid, "\(name) signs the body")
        }
        XCTAssertThrowsError(try registry.resign(headers: HeaderList(), body: [], scheme: "discord", secret: secret, now: now))
        XCTAssertThrowsError(try registry.resign(headers: HeaderList(), body: [], scheme: "standard", secret: Secret("whpk_AAAA"), now: now))
    }

    private func randomHeaders(_ rng: inout SeededRandom) -> [(String, String)] {
        func n(_ rng: inout SeededRandom) -> String { rng.pick(FuzzValues.numbers) }
        func sig(_ rng: inout SeededRandom) -> String { rng.pick(["00", "", "zz", "a", String(repeating: "ab", count: 32), FuzzValues.text(&rng)]) }
        let makers: [(inout SeededRandom) -> (String, String)] = [
            { r in ("Stripe-Signature", "t=\(n(&r)),v1=\(sig(&r))" + (r.chance(30) ? ",v1=\(sig(&r)),v0=\(sig(&r))" : "")) },
            { r in ("Stripe-Signature", FuzzValues.text(&r)) },
            { r in (r.pick(["webhook-timestamp", "svix-timestamp"]), n(&r)) },
            { r in (r.pick(["webhook-id", "svix-id"]), FuzzValues.text(&r)) },
            { r in (r.pick(["webhook-signature", "svix-signature"]), "v1,\(sig(&r)) v1a,\(sig(&r))") },
            { r in ("X-Slack-Request-Timestamp", n(&r)) },
            { r in ("X-Slack-Signature", "v0=\(sig(&r))") },
            { r in ("x-zm-request-timestamp", n(&r)) },
            { r in ("x-zm-signature", "v0=\(sig(&r))") },
            { r in ("Paddle-Signature", "ts=\(n(&r));h1=\(sig(&r))") },
            { r in ("Calendly-Webhook-Signature", "t=\(n(&r)),v1=\(sig(&r))") },
            { r in ("Twitch-Eventsub-Message-Id", FuzzValues.text(&r)) },
            { r in ("Twitch-Eventsub-Message-Timestamp", r.pick(["9999-12-31T23:59:59.999999999Z", "0000-00-00T00:00:00Z", "2026-13-45T99:99:99Z",
                                                                "0001-01-01T00:00:00+99:99", FuzzValues.text(&r), "\(n(&r))-01-01T00:00:00Z"])) },
            { r in ("Twitch-Eventsub-Message-Signature", "sha256=\(sig(&r))") },
            { r in (r.pick(["X-Hub-Signature-256", "X-Hub-Signature"]), r.pick(["sha256=", "sha1="]) + sig(&r)) },
            { r in ("BOX-DELIVERY-TIMESTAMP", r.chance(50) ? n(&r) : "2026-11-28T23:12:07Z") },
            { r in ("BOX-SIGNATURE-PRIMARY", sig(&r)) },
            { r in ("X-Signature-Timestamp", n(&r)) },
            { r in ("X-Signature-Ed25519", sig(&r)) },
            { r in ("X-Twilio-Email-Event-Webhook-Timestamp", n(&r)) },
            { r in ("X-Twilio-Email-Event-Webhook-Signature", sig(&r)) },
            { r in (r.pick(["X-Twilio-Signature", "x-square-signature", "x-twitter-webhooks-signature", "X-Shopify-Hmac-Sha256",
                            "Linear-Signature", "Typeform-Signature", "X-Dropbox-Signature", "X-PagerDuty-Signature", "X-Hook-Signature",
                            "X-Hook-Secret", "X-Gitlab-Token", "X-Signature"]), sig(&r)) },
        ]
        return (0...(rng.next() % 6)).map { _ in rng.pick(makers)(&rng) }
    }

    private func randomBody(_ rng: inout SeededRandom) -> [UInt8] {
        let n = rng.pick(FuzzValues.numbers)
        return rng.pick([
            Array(#"{"signature":{"timestamp":\#(n),"token":"t","signature":"00"},"webhookTimestamp":\#(n)}"#.utf8),
            Array("timestamp=\(n)&token=t&signature=00".utf8),
            Array(#"{"type":"url_verification","challenge":"\#(n)","event":{"ts":\#(n)}}"#.utf8),
            Array(String(repeating: "[", count: 10_000).utf8),
            FuzzValues.bytes(&rng),
        ])
    }
}
