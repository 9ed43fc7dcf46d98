import HooktopCore
import HooktopDelivery
import HooktopSignatures

/// hooktop's configuration (`config.toml`, SPEC "Configuration"), validated.
public struct Config: Sendable {
    public var server = Server()
    public var store = StoreSection()
    public var sources: [Source] = []
    public var respond: [RespondRule] = []
    public var delivery = Delivery()

    public init() {}

    public struct Server: Sendable {
        public var listen: ListenAddress?
        public var maxBody: Int?
        public var mode: Mode?
        public var alertCommand: [String]?
        /// `token_env`: senders must present this token (header or path prefix). Never printed.
        public var tokenEnv: String?
        public var token: Secret?
        public init() {}
    }

    public enum Mode: String, Sendable, CaseIterable { case capture, proxy }

    public struct StoreSection: Sendable {
        public var path: String?
        /// `postgres://user@host:port/db`: a PostgreSQL store instead of the SQLite file.
        public var url: String?
        /// The environment variable that holds the PostgreSQL password.
        public var passwordEnv: String?
        public var retentionMicros: Int64?
        /// Keep at most this many requests.
        public var maxRequests: Int?
        /// Keep the database file under about this many bytes.
        public var maxSize: Int?
        /// Whether any retention is configured (the daemon then prunes while it runs).
        public var hasRetention: Bool { retentionMicros != nil || maxRequests != nil || maxSize != nil }
        public init() {}
    }

    /// A `[[source]]`: which requests belong to a provider and how to check them.
    public struct Source: Sendable {
        public var name: String
        public var match: Glob
        public var scheme: String?
        /// Every secret (rotation, or a provider's primary and secondary keys). Never printed.
        public var secrets: [Secret]
        public var publicURL: String?
        public var verifyURL: String?
        public var forwardTo: String?
        public var challenge: Bool
        /// `oauth_page = true`: answer OAuth redirects with a page that says the browser tab can be closed.
        public var oauthPage = false
        public var verifyToken: Secret?
        /// Overrides the scheme's default timestamp tolerance.
        public var toleranceSeconds: Int64?
        /// For `scheme = "hmac"`.
        public var hmac: HMACSpec?
        public var line: Int

        public init(name: String, match: Glob, scheme: String? = nil, secrets: [Secret] = [], publicURL: String? = nil,
                    verifyURL: String? = nil, forwardTo: String? = nil, challenge: Bool = false,
                    verifyToken: Secret? = nil, toleranceSeconds: Int64? = nil, hmac: HMACSpec? = nil, line: Int = 0) {
            self.name = name
            self.match = match
            self.scheme = scheme
            self.secrets = secrets
            self.publicURL = publicURL
            self.verifyURL = verifyURL
            self.forwardTo = forwardTo
            self.challenge = challenge
            self.verifyToken = verifyToken
            self.toleranceSeconds = toleranceSeconds
            self.hmac = hmac
            self.line = line
        }
    }

    /// A `[[respond]]`: a custom answer for matching paths.
    public struct RespondRule: Sendable {
        public var match: Glob
        public var status: Int
        public var headers: HeaderList
        public var body: [UInt8]
        public var delayMicros: Int64
        public init(match: Glob, status: Int = 200, headers: HeaderList = HeaderList(), body: [UInt8] = [], delayMicros: Int64 = 0) {
            self.match = match
            self.status = status
            self.headers = headers
            self.body = body
            self.delayMicros = delayMicros
        }
    }

    public struct Delivery: Sendable {
        /// Entry i is the delay before attempt i+1.
        public var scheduleMicros: [Int64] = RetrySchedule.standard.delaysMicros
        public var timeoutMicros: Int64 = 15_000_000
        public var concurrency: Int = 32
        public init() {}
    }

    /// The first source whose glob matches the path.
    public func source(forPath path: String) -> Source? {
        sources.first { $0.match.matches(path) }
    }

    /// The source a stored request was captured under (by its recorded
    /// name), else the one its path matches now.
    public func source(of request: CapturedRequest) -> Source? {
        request.source.flatMap { name in sources.first { $0.name == name } } ?? source(forPath: request.path)
    }

    public func respondRule(forPath path: String) -> RespondRule? {
        respond.first { $0.match.matches(path) }
    }
}

extension Config.Source {
    /// What the signature code needs to know about this source.
    public var signatureSettings: SignatureSettings {
        SignatureSettings(secrets: secrets, toleranceSeconds: toleranceSeconds, hmac: hmac)
    }

    public var handshake: HandshakeSource {
        HandshakeSource(scheme: scheme, challenge: challenge, secrets: secrets, verifyToken: verifyToken)
    }
}

extension Config.Delivery {
    /// The delivery engine's settings from `[delivery]`.
    public var engineSettings: DeliveryEngine.Settings {
        DeliveryEngine.Settings(schedule: RetrySchedule(delaysMicros: scheduleMicros), timeoutMicros: timeoutMicros,
                                concurrency: concurrency)
    }
}

extension Config {
    /// Where a request is delivered: its source's `forward_to`, else `fallback` (`--forward-to`).
    public func targetURL(for request: CapturedRequest, source: Source?, fallback: String?) -> String? {
        if let base = source?.forwardTo { return ForwardTarget.url(base: base, requestTarget: request.target, match: source?.match) }
        if let fallback { return ForwardTarget.url(base: fallback, requestTarget: request.target, match: nil) }
        return nil
    }
}
