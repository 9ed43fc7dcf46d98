import Foundation
import HooktopCore

/// Microsoft Graph change notifications: no signature; every notification in
/// `value[]` carries the `clientState` set at subscription, compared here in
/// constant time with the configured secret.
struct MicrosoftGraphScheme: SignatureScheme {
    let name = "msgraph"
    let signatureHeader: String? = nil

    func detect(_ request: SignedRequest) -> Bool { false }

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        if MicrosoftGraphHandshake.token(request) != nil {
            return SignatureResult(scheme: name, status: .none, detail: "validation request (validationToken); nothing to verify")
        }
        guard let items = try? JSONDecoder().decode(Notifications.self, from: Data(request.body)).value, !items.isEmpty else {
            return SignatureResult(scheme: name, status: .missing, detail: "expected a JSON body with value[].clientState, none came")
        }
        let keys = settings.secrets.map { Array($0.value.utf8) }
        for (i, item) in items.enumerated() {
            guard let state = item.clientState else {
                return SignatureResult(scheme: name, status: .missing, detail: "notification \(i + 1) has no clientState")
            }
            if Verdict.firstMatch(received: [bytes(state)], keys: keys, compute: { $0 }) == nil {
                return Verdict.invalid(name, "clientState of notification \(i + 1) does not match the configured value")
            }
        }
        return Verdict.valid(name, "clientState matches on \(items.count) notification\(items.count == 1 ? "" : "s")")
    }
}

/// `{"value": [{"clientState": "…"}, …]}`: what Graph's change notifications carry.
private struct Notifications: Decodable {
    struct Item: Decodable { var clientState: String? }
    var value: [Item]
}
