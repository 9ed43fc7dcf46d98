import Foundation
import HooktopCore

/// What a configured source says about handshakes.
public struct HandshakeSource: Sendable {
    /// The scheme the source names, if it names one.
    public var scheme: String?
    /// `challenge = true`: answer handshakes that need the secret.
    public var challenge: Bool
    public var secrets: [Secret]
    /// Meta's `hub.verify_token`, when it is not the secret.
    public var verifyToken: Secret?

    public init(scheme: String? = nil, challenge: Bool = false, secrets: [Secret] = [], verifyToken: Secret? = nil) {
        self.scheme = scheme
        self.challenge = challenge
        self.secrets = secrets
        self.verifyToken = verifyToken
    }
}

/// A provider's URL-verification handshake: recognises the request and
/// builds the answer the provider expects.
public struct Handshake: Sendable {
    public let scheme: String
    /// True when the answer is computed from (or checks) the secret; such a
    /// handshake is only answered for a source with `challenge = true` and a secret.
    public let needsSecret: Bool
    /// True when the request can be recognised without a source naming the scheme.
    let recognisableAlone: Bool
    let matches: @Sendable (SignedRequest) -> Bool
    let answer: @Sendable (SignedRequest, [Secret], Secret?) -> RecordedResponse

    public static let all: [Handshake] = [slack, zoom, meta, msgraph, dropbox, x, twitch, asana, discord]

    /// The answer for a handshake request, or nil when this is no handshake.
    /// - scheme: the source's scheme, or the one detected from the headers.
    /// - signature: the verdict already reached; a handshake whose signature
    ///   failed is refused with 401 rather than answered.
    public static func respond(to request: SignedRequest, scheme: String?, source: HandshakeSource?,
                               signature: SignatureResult) -> RecordedResponse? {
        // Runs for every captured request: no array of candidates, and a body is looked at only by a candidate.
        let named = source?.scheme
        guard let handshake = all.first(where: { h in
            let candidate = named.map { h.scheme == $0 } ?? (h.scheme == scheme || (h.recognisableAlone && !h.needsSecret))
            return candidate && h.matches(request)
        }) else { return nil }
        if signature.status == .invalid || signature.status == .expired {
            return json(401, [("ok", .bool(false)), ("error", .string("\(handshake.scheme) handshake refused: signature \(signature.status.rawValue)"))])
        }
        if handshake.needsSecret {
            guard let source, source.challenge, !source.secrets.isEmpty || source.verifyToken != nil else { return nil }
        }
        return handshake.answer(request, source?.secrets ?? [], source?.verifyToken)
    }

    // MARK: - The handshakes

    /// Slack Events API: `{"type":"url_verification","challenge":...}` -> the challenge.
    static let slack = Handshake(scheme: "slack", needsSecret: false, recognisableAlone: false, matches: { r in
        body(r)?.type?.text == "url_verification"
    }, answer: { r, _, _ in
        json(200, [("challenge", .string(body(r)?.challenge ?? ""))])
    })

    /// Zoom: `endpoint.url_validation` -> plainToken and its HMAC with the secret token.
    static let zoom = Handshake(scheme: "zoom", needsSecret: true, recognisableAlone: false, matches: { r in
        body(r)?.event == "endpoint.url_validation"
    }, answer: { r, secrets, _ in
        let plain = body(r)?.payload?.plainToken ?? ""
        let encrypted = Verdict.hex(Verdict.hmac(.sha256, key: bytes(secrets[0].value), bytes(plain)))
        return json(200, [("plainToken", .string(plain)), ("encryptedToken", .string(encrypted))])
    })

    /// Meta: `GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=…` ->
    /// the challenge when the token is right, 403 when not.
    static let meta = Handshake(scheme: "meta", needsSecret: true, recognisableAlone: false, matches: { r in
        r.method == "GET" && query(r)["hub.mode"] == "subscribe" && query(r)["hub.challenge"] != nil
    }, answer: { r, secrets, verifyToken in
        let q = query(r)
        let expected = verifyToken.map { [$0] } ?? secrets
        let token = bytes(q["hub.verify_token"] ?? "")
        guard expected.contains(where: { Verdict.constantTimeEquals(bytes($0.value), token) }) else {
            return text(403, "hub.verify_token does not match")
        }
        return text(200, q["hub.challenge"] ?? "")
    })

    /// Microsoft Graph: `?validationToken=…` -> the decoded token as text/plain.
    static let msgraph = Handshake(scheme: "msgraph", needsSecret: false, recognisableAlone: true, matches: { r in
        MicrosoftGraphHandshake.token(r) != nil
    }, answer: { r, _, _ in
        text(200, MicrosoftGraphHandshake.token(r) ?? "")
    })

    /// Dropbox: `GET ?challenge=…` -> echoed as text/plain with nosniff.
    static let dropbox = Handshake(scheme: "dropbox", needsSecret: false, recognisableAlone: true, matches: { r in
        r.method == "GET" && query(r)["challenge"] != nil
    }, answer: { r, _, _ in
        text(200, query(r)["challenge"] ?? "")
    })

    /// X (Twitter) CRC: `GET ?crc_token=…` -> `sha256=` + base64 HMAC with the consumer secret.
    static let x = Handshake(scheme: "x", needsSecret: true, recognisableAlone: false, matches: { r in
        r.method == "GET" && query(r)["crc_token"] != nil
    }, answer: { r, secrets, _ in
        let mac = Verdict.hmac(.sha256, key: bytes(secrets[0].value), bytes(query(r)["crc_token"] ?? ""))
        return json(200, [("response_token", .string("sha256=" + Verdict.base64(mac)))])
    })

    /// Twitch EventSub: message type `webhook_callback_verification` -> the challenge as text/plain.
    static let twitch = Handshake(scheme: "twitch", needsSecret: false, recognisableAlone: true, matches: { r in
        r.headers.first("Twitch-Eventsub-Message-Type") == "webhook_callback_verification"
    }, answer: { r, _, _ in
        text(200, body(r)?.challenge ?? "")
    })

    /// Asana: `X-Hook-Secret` -> 200 with the same header back.
    static let asana = Handshake(scheme: "asana", needsSecret: false, recognisableAlone: true, matches: { r in
        r.headers.contains("X-Hook-Secret")
    }, answer: { r, _, _ in
        var response = RecordedResponse(status: 200, headers: HeaderList(), body: [])
        response.headers.append("X-Hook-Secret", r.headers.first("X-Hook-Secret") ?? "")
        return response
    })

    /// Discord interactions: PING (`"type":1`) -> PONG `{"type":1}`.
    static let discord = Handshake(scheme: "discord", needsSecret: false, recognisableAlone: true, matches: { r in
        r.headers.contains("X-Signature-Ed25519") && body(r)?.type?.number == 1
    }, answer: { _, _, _ in
        json(200, [("type", .int(1))])
    })

    // MARK: - Helpers

    /// The fields of a handshake body that the handshakes read (Slack,
    /// Zoom, Asana, Discord); nil when the body is not a JSON object.
    struct Body: Decodable {
        /// Slack's `"url_verification"`, Discord's `1`.
        enum Kind: Decodable {
            case text(String), number(Int), other
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(String.self) { self = .text(s) } else if let n = try? c.decode(Int.self) { self = .number(n) } else { self = .other }
            }
            var text: String? { if case .text(let s) = self { s } else { nil } }
            var number: Int? { if case .number(let n) = self { n } else { nil } }
        }
        struct Payload: Decodable { var plainToken: String? }
        var type: Kind?
        var challenge: String?
        var event: String?
        var payload: Payload?

        private enum Key: String, CodingKey { case type, challenge, event, payload }

        /// Each field on its own: a provider's body that uses one of these
        /// names for something else (Slack's `event` object) is no handshake,
        /// but its other fields still read.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            type = try? c.decodeIfPresent(Kind.self, forKey: .type)
            challenge = try? c.decodeIfPresent(String.self, forKey: .challenge)
            event = try? c.decodeIfPresent(String.self, forKey: .event)
            payload = try? c.decodeIfPresent(Payload.self, forKey: .payload)
        }
    }

    static func body(_ r: SignedRequest) -> Body? {
        guard r.body.first(where: { !$0.isJSONSpace }) == UInt8(ascii: "{") else { return nil }
        return try? JSONDecoder().decode(Body.self, from: Data(r.body))
    }

    static func query(_ r: SignedRequest) -> [String: String] {
        // Every captured request is asked (Microsoft Graph's token): most have no query at all.
        let query = r.query
        guard !query.isEmpty else { return [:] }
        return Dictionary(FormDecoding.pairs(query), uniquingKeysWith: { a, _ in a })
    }

    static func json(_ status: Int, _ members: [(String, JSON)]) -> RecordedResponse {
        RecordedResponse(status: status, headers: HeaderList([("Content-Type", "application/json")]),
                         body: Array(JSON.object(members).serialized().utf8))
    }

    /// Text that a sender chose (a challenge echoed back): `nosniff`, so a
    /// browser sent to the URL never takes it for a page (Dropbox asks for
    /// it; Graph, Meta and Twitch echo the same way).
    static func text(_ status: Int, _ body: String) -> RecordedResponse {
        RecordedResponse(status: status, headers: HeaderList([("Content-Type", "text/plain; charset=utf-8"),
                                                             ("X-Content-Type-Options", "nosniff")]), body: bytes(body))
    }
}

enum MicrosoftGraphHandshake {
    /// The decoded `validationToken` query parameter, if any.
    static func token(_ r: SignedRequest) -> String? {
        Handshake.query(r)["validationToken"]
    }
}

extension UInt8 {
    var isJSONSpace: Bool { self == 0x20 || self == 0x09 || self == 0x0A || self == 0x0D }
}
