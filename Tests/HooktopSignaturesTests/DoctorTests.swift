import HooktopCore
@testable import HooktopSignatures
import XCTest

/// The words a person reads when a check fails, and the statuses around secrets.
final class DoctorTests: XCTestCase {
    let registry = SchemeRegistry()
    let body = Array(#"{"id":"evt_1"}"#.utf8)

    func stripe(_ ts: Int64, secret: String = "whsec_abc") -> SignedRequest {
        let sig = Verdict.hex(Verdict.hmac(.sha256, key: Array(secret.utf8), Array("\(ts).".utf8) + body))
        return SignedRequest(method: "POST", target: "/", headers: HeaderList([("Stripe-Signature", "t=\(ts),v1=\(sig)")]),
                             body: body, now: 1_000_000)
    }

    func testExpiredSaysHowOldAndTheTolerance() {
        let r = registry.check(stripe(1_000_000 - 330), scheme: "stripe", settings: SignatureSettings(secrets: [Secret("whsec_abc")]))
        XCTAssertEqual(r.status, .expired)
        XCTAssertEqual(r.detail, "signature matches, but timestamp is 330s old; tolerance is 300s (a replay, or a delayed retry)")
        let future = registry.check(stripe(1_000_000 + 400), scheme: "stripe", settings: SignatureSettings(secrets: [Secret("whsec_abc")]))
        XCTAssertTrue(future.detail!.contains("400s in the future"), future.detail!)
    }

    func testToleranceIsConfigurable() {
        let r = registry.check(stripe(1_000_000 - 330), scheme: "stripe",
                               settings: SignatureSettings(secrets: [Secret("whsec_abc")], toleranceSeconds: 600))
        XCTAssertEqual(r.status, .valid)
    }

    func testMismatchGivesRecipeAndShortenedSignaturesButNoSecret() {
        let r = registry.check(stripe(1_000_000, secret: "whsec_other"), scheme: "stripe",
                               settings: SignatureSettings(secrets: [Secret("whsec_abc")]))
        XCTAssertEqual(r.status, .invalid)
        let detail = r.detail!
        XCTAssertTrue(detail.contains("signed content is {t}.{body}"), detail)
        XCTAssertTrue(detail.contains("received "), detail)
        XCTAssertTrue(detail.contains("expected "), detail)
        XCTAssertTrue(detail.contains("…"), "signatures are shortened: \(detail)")
        XCTAssertFalse(detail.contains("whsec_abc"))
    }

    func testWhichOfSeveralSecretsMatched() {
        let r = registry.check(stripe(1_000_000), scheme: "stripe",
                               settings: SignatureSettings(secrets: [Secret("whsec_old"), Secret("whsec_abc")]))
        XCTAssertEqual(r.status, .valid)
        XCTAssertTrue(r.detail!.contains("secret 2 of 2"), r.detail!)
    }

    func testMalformedHeaderSaysHow() {
        let request = SignedRequest(method: "POST", target: "/", headers: HeaderList([("Stripe-Signature", "garbage")]), body: body, now: 0)
        let r = registry.check(request, scheme: "stripe", settings: SignatureSettings(secrets: [Secret("whsec_abc")]))
        XCTAssertEqual(r.status, .invalid)
        XCTAssertEqual(r.detail, "Stripe-Signature header is malformed: no t= timestamp")
    }

    func testStatusesAroundSecrets() {
        let signed = stripe(1_000_000)
        XCTAssertEqual(registry.check(signed, scheme: nil, settings: SignatureSettings()).status, .noSecret)
        XCTAssertEqual(registry.check(signed, scheme: nil, settings: SignatureSettings(secrets: [Secret("whsec_abc")])).status, .valid,
                       "detected from the Stripe-Signature header")
        let plain = SignedRequest(method: "POST", target: "/", headers: HeaderList([("Content-Type", "application/json")]), body: body, now: 0)
        XCTAssertEqual(registry.check(plain, scheme: nil, settings: SignatureSettings()).status, .none)
        let missing = registry.check(plain, scheme: "stripe", settings: SignatureSettings(secrets: [Secret("whsec_abc")]))
        XCTAssertEqual(missing.status, .missing)
        XCTAssertEqual(missing.detail, "expected a Stripe-Signature header, none came")
        XCTAssertEqual(registry.check(plain, scheme: "github", settings: SignatureSettings()).status, .missing)
    }

    /// The no-secret hint names the header that came and where to set a
    /// secret: the matching source by name, or any source when none matched.
    func testNoSecretSaysWhichHeaderAndWhereToSetIt() {
        let signed = stripe(1_000_000)
        let unmatched = "Stripe-Signature came, but no secret is configured; set secret or secret_env in a [[source]] matching this path"
        XCTAssertEqual(registry.check(signed, scheme: nil, settings: SignatureSettings()).detail, unmatched)
        XCTAssertEqual(registry.check(signed, scheme: "stripe", settings: SignatureSettings()).detail, unmatched)
        XCTAssertEqual(registry.check(signed, scheme: "stripe", settings: SignatureSettings(), sourceName: "payments").detail,
                       "Stripe-Signature came, but no secret is configured; set secret or secret_env in source 'payments'")
        let github = SignedRequest(method: "POST", target: "/", headers: HeaderList([("X-Hub-Signature-256", "sha256=00")]), body: body, now: 0)
        XCTAssertEqual(registry.check(github, scheme: nil, settings: SignatureSettings()).detail,
                       "X-Hub-Signature-256 came, but no secret is configured; set secret or secret_env in a [[source]] matching this path")
    }

    func testURLSignedSchemesSayWhichURLWasAssumed() {
        let request = SignedRequest(method: "POST", target: "/sms", headers: HeaderList([("X-Twilio-Signature", "AAAA"), ("Content-Type", "application/x-www-form-urlencoded")]),
                                    body: Array("a=1".utf8), url: "https://example.com/sms", now: 0)
        let r = registry.check(request, scheme: "twilio", settings: SignatureSettings(secrets: [Secret("t")]))
        XCTAssertEqual(r.status, .invalid)
        XCTAssertTrue(r.detail!.contains("URL assumed: https://example.com/sms"), r.detail!)
        var noURL = request
        noURL.url = nil
        XCTAssertTrue(registry.check(noURL, scheme: "twilio", settings: SignatureSettings(secrets: [Secret("t")])).detail!.contains("public_url"))
    }

    func testStandardWebhooksExplainsKeyKindMismatch() {
        let request = SignedRequest(method: "POST", target: "/", headers: HeaderList([
            ("webhook-id", "msg_1"), ("webhook-timestamp", "100"), ("webhook-signature", "v1a,AAAA")]), body: body, now: 100)
        let r = registry.check(request, scheme: "standard", settings: SignatureSettings(secrets: [Secret("whsec_" + "c2VjcmV0")]))
        XCTAssertEqual(r.status, .invalid)
        XCTAssertTrue(r.detail!.contains("whpk_ public key"), r.detail!)
    }

    func testEveryRegisteredNameIsUniqueAndMatchesSpec() {
        let spec = ["standard", "svix", "stripe", "github", "slack", "shopify", "twilio", "paddle", "square", "zoom", "discord",
                    "gitlab", "twitch", "meta", "linear", "intercom", "typeform", "calendly", "pagerduty", "box", "dropbox",
                    "asana", "mailgun", "x", "sendgrid", "paypal-ipn", "msgraph", "hmac"]
        XCTAssertEqual(Set(registry.names), Set(spec))
        XCTAssertEqual(registry.names.count, spec.count)
    }

    func testConstantTimeCompare() {
        XCTAssertTrue(Verdict.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(Verdict.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(Verdict.constantTimeEquals([1, 2], [1, 2, 3]))
    }
}

final class HandshakeTests: XCTestCase {
    func request(_ method: String, _ target: String, headers: [(String, String)] = [], body: String = "") -> SignedRequest {
        SignedRequest(method: method, target: target, headers: HeaderList(headers), body: Array(body.utf8), now: 0)
    }

    func source(_ scheme: String, secret: String? = "s3cret", challenge: Bool = true, verifyToken: String? = nil) -> HandshakeSource {
        HandshakeSource(scheme: scheme, challenge: challenge, secrets: secret.map { [Secret($0)] } ?? [],
                        verifyToken: verifyToken.map(Secret.init))
    }

    func body(_ r: RecordedResponse?) -> String { String(decoding: r?.body ?? [], as: UTF8.self) }

    func testSlackURLVerificationEchoesTheChallenge() {
        let r = request("POST", "/slack", headers: [("X-Slack-Signature", "v0=00"), ("X-Slack-Request-Timestamp", "0")],
                        body: #"{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}"#)
        let answer = Handshake.respond(to: r, scheme: "slack", source: nil, signature: .none)
        XCTAssertEqual(answer?.status, 200)
        XCTAssertEqual(body(answer), #"{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}"#)
        let refused = Handshake.respond(to: r, scheme: "slack", source: source("slack"),
                                        signature: SignatureResult(scheme: "slack", status: .invalid, detail: nil))
        XCTAssertEqual(refused?.status, 401, "a signed handshake with a bad signature is refused")
    }

    func testZoomNeedsTheSecretAndChallengeTrue() {
        let r = request("POST", "/zoom", body: #"{"event":"endpoint.url_validation","payload":{"plainToken":"abc"}}"#)
        XCTAssertNil(Handshake.respond(to: r, scheme: "zoom", source: nil, signature: .none))
        XCTAssertNil(Handshake.respond(to: r, scheme: "zoom", source: source("zoom", challenge: false), signature: .none))
        let answer = Handshake.respond(to: r, scheme: "zoom", source: source("zoom"), signature: .none)
        let expected = Verdict.hex(Verdict.hmac(.sha256, key: Array("s3cret".utf8), Array("abc".utf8)))
        XCTAssertEqual(body(answer), #"{"plainToken":"abc","encryptedToken":"\#(expected)"}"#)
    }

    func testMetaChecksTheVerifyToken() {
        let good = request("GET", "/fb?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=tok")
        XCTAssertEqual(body(Handshake.respond(to: good, scheme: nil, source: source("meta", verifyToken: "tok"), signature: .none)), "1158201444")
        let bad = request("GET", "/fb?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope")
        XCTAssertEqual(Handshake.respond(to: bad, scheme: nil, source: source("meta", verifyToken: "tok"), signature: .none)?.status, 403)
    }

    func testXCRCResponseToken() {
        let r = request("GET", "/x?crc_token=challenge123")
        let answer = Handshake.respond(to: r, scheme: nil, source: source("x"), signature: .none)
        let mac = Verdict.base64(Verdict.hmac(.sha256, key: Array("s3cret".utf8), Array("challenge123".utf8)))
        XCTAssertEqual(body(answer), #"{"response_token":"sha256=\#(mac)"}"#)
        XCTAssertNil(Handshake.respond(to: r, scheme: nil, source: nil, signature: .none), "needs the consumer secret")
    }

    func testTwitchDiscordAsanaDropboxGraphWithoutASource() {
        let twitch = request("POST", "/t", headers: [("Twitch-Eventsub-Message-Type", "webhook_callback_verification")],
                             body: #"{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{}}"#)
        XCTAssertEqual(body(Handshake.respond(to: twitch, scheme: "twitch", source: nil, signature: .none)), "pogchamp-kappa-360noscope-vohiyo")
        let ping = request("POST", "/d", headers: [("X-Signature-Ed25519", "00"), ("X-Signature-Timestamp", "1")], body: #"{"type":1}"#)
        XCTAssertEqual(body(Handshake.respond(to: ping, scheme: "discord", source: nil, signature: .none)), #"{"type":1}"#)
        let badPing = Handshake.respond(to: ping, scheme: "discord", source: nil, signature: SignatureResult(scheme: "discord", status: .invalid, detail: nil))
        XCTAssertEqual(badPing?.status, 401, "Discord checks that bad signatures get 401")
        let asana = request("POST", "/a", headers: [("X-Hook-Secret", "abc")])
        XCTAssertEqual(Handshake.respond(to: asana, scheme: "asana", source: nil, signature: .none)?.headers.first("X-Hook-Secret"), "abc")
        XCTAssertEqual(body(Handshake.respond(to: request("GET", "/db?challenge=xyz"), scheme: nil, source: nil, signature: .none)), "xyz")
        XCTAssertEqual(body(Handshake.respond(to: request("POST", "/g?validationToken=a%20b"), scheme: nil, source: nil, signature: .none)), "a b")
    }

    func testOrdinaryRequestsAreNoHandshake() {
        XCTAssertNil(Handshake.respond(to: request("POST", "/x", body: #"{"type":"event_callback"}"#), scheme: "slack", source: nil, signature: .none))
        XCTAssertNil(Handshake.respond(to: request("GET", "/"), scheme: nil, source: nil, signature: .none))
    }

    /// IPN is detected from its form (verify_sign), needs no secret of ours, and waits for its postback.
    func testPayPalIPNIsDetectedAndWaitsForItsPostback() {
        let ipn = request("POST", "/ipn", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                          body: "txn_type=cart&verify_sign=abc")
        let registry = SchemeRegistry()
        let result = registry.check(ipn, scheme: nil, settings: SignatureSettings())
        XCTAssertEqual(result.scheme, "paypal-ipn")
        XCTAssertTrue(PayPalIPN.isPending(result))
        XCTAssertEqual(String(decoding: PayPalIPN.postback(Array("a=1&b=%E9".utf8)), as: UTF8.self), "cmd=_notify-validate&a=1&b=%E9")
        XCTAssertEqual(PayPalIPN.verdict(status: 200, body: Array("VERIFIED".utf8), error: nil, url: "u").status, .valid)
        XCTAssertEqual(PayPalIPN.verdict(status: 200, body: Array("INVALID\n".utf8), error: nil, url: "u").status, .invalid)
        XCTAssertEqual(PayPalIPN.verdict(status: 503, body: [], error: nil, url: "u").status, .none)
        XCTAssertEqual(PayPalIPN.verdict(status: nil, body: [], error: "connection refused", url: "u").detail, "could not verify: connection refused from u")
        let plainForm = request("POST", "/f", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: "a=1")
        XCTAssertEqual(registry.check(plainForm, scheme: nil, settings: SignatureSettings()).status, .none)
    }
}
