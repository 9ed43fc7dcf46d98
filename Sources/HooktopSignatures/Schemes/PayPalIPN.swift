import HooktopCore

/// PayPal IPN: a form post with no signature header. It is verified by
/// posting `cmd=_notify-validate&` and the original body, byte for byte,
/// back to PayPal, which answers `VERIFIED` or `INVALID`. That needs the
/// network, so the check here only says it is pending; the daemon makes the
/// postback after storing the request (PayPal wants its 200 first) and
/// records the verdict (`PayPalIPN.verdict`).
struct PayPalIPNScheme: SignatureScheme {
    let name = PayPalIPN.scheme
    let signatureHeader: String? = nil
    var needsSecret: Bool { false }

    func detect(_ request: SignedRequest) -> Bool { PayPalIPN.looksLikeIPN(request.headers, request.body) }

    func carriesSignature(_ request: SignedRequest, _ settings: SignatureSettings) -> Bool? {
        PayPalIPN.looksLikeIPN(request.headers, request.body)
    }

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        SignatureResult(scheme: name, status: .none, detail: PayPalIPN.pendingDetail)
    }
}

/// The IPN postback protocol, without the HTTP (the daemon sends it).
public enum PayPalIPN {
    public static let scheme = "paypal-ipn"
    /// PayPal's live postback endpoint; `verify_url` in the source replaces it (the sandbox, a test double).
    public static let defaultVerifyURL = "https://ipnpb.paypal.com/cgi-bin/webscr"
    public static let pendingDetail = "not verified yet: it is posted back to PayPal once stored"

    /// A form post carrying IPN's `verify_sign` field.
    static func looksLikeIPN(_ headers: HeaderList, _ body: [UInt8]) -> Bool {
        guard headers.first("Content-Type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true else { return false }
        return FormDecoding.pairs(body).contains { $0.0 == "verify_sign" }
    }

    /// Whether a stored verdict still waits for its postback.
    public static func isPending(_ signature: SignatureResult) -> Bool {
        signature.scheme == scheme && signature.status == .none && signature.detail == pendingDetail
    }

    /// What is posted back: `cmd=_notify-validate&` followed by the message exactly as it came.
    public static func postback(_ body: [UInt8]) -> [UInt8] { Array("cmd=_notify-validate&".utf8) + body }

    /// The verdict from PayPal's answer: `VERIFIED` is valid, `INVALID` invalid;
    /// anything else (no answer, an error page) leaves it unverified, saying why.
    public static func verdict(status: Int?, body: [UInt8], error: String?, url: String) -> SignatureResult {
        let text = String(decoding: body.prefix(64), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        switch (status, text) {
        case (200, "VERIFIED"): return SignatureResult(scheme: scheme, status: .valid, detail: "PayPal answered VERIFIED (\(url))")
        case (200, "INVALID"): return SignatureResult(scheme: scheme, status: .invalid, detail: "PayPal answered INVALID: not a message it sent (\(url))")
        case (nil, _):
            return SignatureResult(scheme: scheme, status: .none, detail: "could not verify: \(error ?? "no answer") from \(url)")
        case (let code?, _):
            return SignatureResult(scheme: scheme, status: .none,
                                   detail: "could not verify: \(url) answered HTTP \(code) '\(TerminalText.inline(String(text.prefix(40))))'")
        }
    }
}
