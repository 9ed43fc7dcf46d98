import Crypto
import Foundation
import HooktopCore

/// Twilio: `X-Twilio-Signature: BASE64` HMAC-SHA1 of the full public URL
/// followed, for form posts, by every POST parameter as name+value sorted by
/// name. JSON bodies are signed through a `bodySHA256` query parameter.
/// A request carrying `X-Twilio-Webhooks-Signature-Settings` with
/// `algorithm=HMAC_SHA256` is signed with HMAC-SHA256 instead.
struct TwilioScheme: SignatureScheme {
    let name = "twilio"
    let signatureHeader: String? = "X-Twilio-Signature"

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        guard let header = request.headers.first("X-Twilio-Signature") else { return Verdict.missing(name, "X-Twilio-Signature") }
        guard let url = request.url else {
            return Verdict.invalid(name, "Twilio signs the public URL it called: set public_url in the source (or --url)")
        }
        guard let received = Verdict.unbase64(header) else { return Verdict.malformed(name, "X-Twilio-Signature", "not base64") }
        let algorithm = Self.algorithm(request.headers)
        var recipe = "{url}"
        var content = url
        var extra: String?
        let isForm = request.headers.first("Content-Type")?.lowercased().hasPrefix("application/x-www-form-urlencoded") ?? false
        if isForm {
            recipe = "{url}{name}{value}… (POST parameters sorted by name)"
            for (key, value) in FormDecoding.pairs(request.body).sorted(by: { $0.0 < $1.0 }) { content += key + value }
        } else if let bodyHash = URLComponents(string: url)?.queryItems?.first(where: { $0.name == "bodySHA256" })?.value {
            let actual = Verdict.hex(Array(SHA256.hash(data: request.body)))
            if !Verdict.constantTimeEquals(bytes(actual), bytes(bodyHash.lowercased())) {
                return Verdict.invalid(name, "bodySHA256 in the URL (\(Verdict.shorten(bodyHash))) does not match the body (\(Verdict.shorten(actual))): the body was changed")
            }
        }
        // Twilio's SDKs accept the URL with and without the default port.
        let variants = [content] + Self.portVariants(url).map { content.replacingOccurrences(of: url, with: $0) }
        let keys = settings.secrets.map { Array($0.value.utf8) }
        for variant in variants {
            if let k = Verdict.firstMatch(received: [received], keys: keys, compute: { Verdict.hmac(algorithm, key: $0, bytes(variant)) }) {
                let how = algorithm == .sha256 ? " (HMAC-SHA256)" : ""
                return Verdict.valid(name, "signature matches\(Verdict.which(k, of: keys.count))\(how) for URL \(url)")
            }
        }
        extra = "URL assumed: \(url)"
        let expected = keys.first.map { Verdict.base64(Verdict.hmac(algorithm, key: $0, bytes(content))) }
        if algorithm == .sha256 { recipe = "HMAC-SHA256 of " + recipe }
        return Verdict.invalid(name, Verdict.mismatch(recipe: recipe, received: header, expected: expected,
                                                      keyCount: keys.count, extra: extra))
    }

    /// SHA-256 when the signature settings header says `algorithm=HMAC_SHA256`, else SHA-1.
    static func algorithm(_ headers: HeaderList) -> HMACSpec.Algorithm {
        guard let settings = headers.first("X-Twilio-Webhooks-Signature-Settings") else { return .sha1 }
        let pairs = HeaderParse.pairs(settings.replacingOccurrences(of: ";", with: ","))
        return pairs.contains { $0.0.lowercased() == "algorithm" && $0.1.uppercased() == "HMAC_SHA256" } ? .sha256 : .sha1
    }

    static func portVariants(_ url: String) -> [String] {
        guard var c = URLComponents(string: url) else { return [] }
        if c.port == nil {
            c.port = c.scheme == "https" ? 443 : 80
        } else if (c.scheme == "https" && c.port == 443) || (c.scheme == "http" && c.port == 80) {
            c.port = nil
        } else {
            return []
        }
        return c.string.map { [$0] } ?? []
    }
}

