/// The generic `hmac` scheme's parameters: where the signature is and what was signed.
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

