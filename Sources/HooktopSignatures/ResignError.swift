/// Why a request could not be signed afresh.
public struct ResignError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Sendable, Equatable {
        case notSupported(String)
        case unknownScheme(String)
        case needsSigningSecret(String)
    }

    private let kind: Kind
    /// The schemes that can be re-signed, for the message.
    var resignable: [String] = SchemeRegistry.shared.resignable

    static func notSupported(_ scheme: String) -> ResignError { ResignError(kind: .notSupported(scheme)) }
    static func unknownScheme(_ scheme: String) -> ResignError { ResignError(kind: .unknownScheme(scheme)) }
    static func needsSigningSecret(_ scheme: String) -> ResignError { ResignError(kind: .needsSigningSecret(scheme)) }

    public var description: String {
        switch kind {
        case .notSupported(let s):
            "cannot re-sign \(s) requests: the provider signs them with a key only it holds, or over the URL (it can: \(resignable.joined(separator: ", ")))"
        case .unknownScheme(let s): "unknown scheme \(s)"
        case .needsSigningSecret(let s): "re-signing \(s) needs the whsec_ secret, not a public key"
        }
    }
}
