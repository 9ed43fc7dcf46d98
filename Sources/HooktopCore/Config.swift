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
        public init() {}
    }

    public enum Mode: String, Sendable, CaseIterable { case capture, proxy }

    public struct StoreSection: Sendable {
        public var path: String?
        public var retentionMicros: Int64?
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

    /// The generic `hmac` scheme: where the signature is and what was signed.
    public struct HMACSpec: Sendable, Equatable {
        public enum Algorithm: String, Sendable, CaseIterable { case sha1, sha256, sha512 }
        public enum Encoding: String, Sendable, CaseIterable { case hex, base64 }
        public var header: String
        public var algorithm: Algorithm = .sha256
        public var encoding: Encoding = .hex
        public var prefix: String = ""
        /// Template of the signed content: `{body}`, `{timestamp}`, `{url}`, `{method}`, `{path}`, `{header:Name}`.
        public var signed: String = "{body}"
        public var timestampHeader: String?

        public init(header: String) { self.header = header }
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
        public var scheduleMicros: [Int64] = ["0s", "5s", "5m", "30m", "2h", "5h", "10h", "10h"].map { DurationText.parse($0)! }
        public var timeoutMicros: Int64 = 15_000_000
        public var concurrency: Int = 32
        public init() {}
    }

    /// The first source whose glob matches the path.
    public func source(forPath path: String) -> Source? {
        sources.first { $0.match.matches(path) }
    }

    public func respondRule(forPath path: String) -> RespondRule? {
        respond.first { $0.match.matches(path) }
    }
}

/// A secret value. Its description never shows it, so it cannot leak into
/// logs or error messages by accident.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String
    public init(_ value: String) { self.value = value }
    public var description: String { "<secret>" }
    public var debugDescription: String { "<secret>" }
}
