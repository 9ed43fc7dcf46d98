import HooktopCore

/// What a scheme looks at: the request as received, the URL the sender
/// signed (for URL-signed schemes), and the time to judge timestamps by.
public struct SignedRequest: Sendable {
    public var method: String
    public var target: String
    public var headers: HeaderList
    public var body: [UInt8]
    /// The public URL the provider called, for schemes that sign it.
    public var url: String?
    /// Unix seconds.
    public var now: Int64

    public init(method: String, target: String, headers: HeaderList, body: [UInt8], url: String? = nil, now: Int64) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.url = url
        self.now = now
    }

    /// Borrowed: capture builds one for every request, and copying the whole
    /// request (thirty fields retained and released) for four of them was most of its cost.
    public init(_ request: borrowing CapturedRequest, url: String?, now: Int64? = nil) {
        self.init(method: request.method, target: request.target, headers: request.headers, body: request.body,
                  url: url, now: now ?? request.receivedAt.seconds)
    }

    public var query: String { RequestTarget.query(target) }
}

/// What a source says about checking: its secrets, and overrides.
public struct SignatureSettings: Sendable {
    public var secrets: [Secret]
    public var toleranceSeconds: Int64?
    public var hmac: HMACSpec?

    public init(secrets: [Secret] = [], toleranceSeconds: Int64? = nil, hmac: HMACSpec? = nil) {
        self.secrets = secrets
        self.toleranceSeconds = toleranceSeconds
        self.hmac = hmac
    }
}

/// One provider's signature check. Each scheme is one small file.
public protocol SignatureScheme: Sendable {
    /// The `--scheme` / `scheme =` name.
    var name: String { get }
    /// The header whose presence means "this scheme signed it" (for `missing`
    /// and `no_secret`); nil for schemes that sign in the body or the URL.
    var signatureHeader: String? { get }
    /// True when a request with these headers is (most likely) this scheme's.
    func detect(_ request: SignedRequest) -> Bool
    /// Checks with at least one secret. Never puts a secret in the detail.
    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult
    /// Whether the request carries this scheme's signature; nil when that
    /// cannot be told without checking (signatures inside the body).
    func carriesSignature(_ request: SignedRequest, _ settings: SignatureSettings) -> Bool?
    /// False for schemes checked without a secret of ours (PayPal IPN's postback).
    var needsSecret: Bool { get }
    /// Whether `resign` can sign for this scheme (not for keys only the provider holds).
    var canResign: Bool { get }
    /// The headers with the signature (and its timestamp) made afresh with
    /// `secret` at `now` (Unix seconds), for `replay --resign`.
    func resign(_ headers: HeaderList, body: [UInt8], secret: Secret, now: Int64) throws(ResignError) -> HeaderList
}

extension SignatureScheme {
    public func detect(_ request: SignedRequest) -> Bool {
        signatureHeader.map { request.headers.contains($0) } ?? false
    }

    public func carriesSignature(_ request: SignedRequest, _ settings: SignatureSettings) -> Bool? {
        (signatureHeader ?? settings.hmac?.header).map { request.headers.contains($0) }
    }

    public var canResign: Bool { false }
    public var needsSecret: Bool { true }

    public func resign(_ headers: HeaderList, body: [UInt8], secret: Secret, now: Int64) throws(ResignError) -> HeaderList {
        throw .notSupported(name)
    }
}
