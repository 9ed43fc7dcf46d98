/// The verdict on a request's signature, as stored and shown.
public struct SignatureResult: Sendable, Equatable {
    public var scheme: String?
    public var status: SignatureStatus
    /// Words a person can act on; never a secret.
    public var detail: String?

    public init(scheme: String?, status: SignatureStatus, detail: String?) {
        self.scheme = scheme
        self.status = status
        self.detail = detail
    }

    public static let none = SignatureResult(scheme: nil, status: .none, detail: nil)
}

public enum SignatureStatus: String, Sendable, CaseIterable {
    case valid, invalid, expired, missing
    case noSecret = "no_secret"
    case none
}
