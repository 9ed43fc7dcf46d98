import HooktopCore

/// Every scheme hooktop knows, registered in one place. Detection tries them
/// in this order, so the more specific headers come first.
public struct SchemeRegistry: Sendable {
    public let schemes: [any SignatureScheme]

    public init() {
        schemes = [
            StandardWebhooksScheme(name: "standard", brandedPrefix: "webhook"),
            StandardWebhooksScheme(name: "svix", brandedPrefix: "svix", alsoPrefix: "webhook"),
            stripeScheme,
            MetaScheme(),
            GitHubScheme(),
            slackScheme,
            shopifyScheme,
            TwilioScheme(),
            paddleScheme,
            SquareScheme(),
            zoomScheme,
            DiscordScheme(),
            GitLabScheme(),
            twitchScheme,
            LinearScheme(),
            intercomScheme,
            typeformScheme,
            calendlyScheme,
            pagerdutyScheme,
            boxScheme,
            dropboxScheme,
            asanaScheme,
            MailgunScheme(),
            xScheme,
            SendGridScheme(),
            MicrosoftGraphScheme(),
            PayPalIPNScheme(),
            GenericHMACScheme(),
        ]
    }

    public var names: [String] { schemes.map(\.name) }

    public func scheme(named name: String) -> (any SignatureScheme)? {
        schemes.first { $0.name == name }
    }

    public func detect(_ request: SignedRequest) -> (any SignatureScheme)? {
        schemes.first { $0.detect(request) }
    }

    /// The verdict for a request: with the named scheme, or the one detected
    /// from its headers. A source that names a scheme expects a signature, so
    /// an unsigned request is `missing` there and `none` elsewhere.
    public func check(_ request: SignedRequest, scheme name: String?, settings: SignatureSettings,
                      sourceName: String? = nil) -> SignatureResult {
        let scheme: any SignatureScheme
        if let name {
            guard let named = self.scheme(named: name) else {
                return SignatureResult(scheme: name, status: .invalid, detail: "unknown scheme \(name)")
            }
            scheme = named
        } else if let detected = detect(request) {
            scheme = detected
        } else {
            return .none
        }
        let header = scheme.signatureHeader ?? settings.hmac?.header
        if scheme.carriesSignature(request, settings) == false {
            if name == nil && settings.secrets.isEmpty { return .none }
            return Verdict.missing(scheme.name, header ?? "signature")
        }
        if settings.secrets.isEmpty && scheme.needsSecret {
            let whereTo = sourceName.map { "source '\($0)'" } ?? "a [[source]] matching this path"
            return SignatureResult(scheme: scheme.name, status: .noSecret,
                                   detail: "\(header ?? "a signature") came, but no secret is configured; set secret or secret_env in \(whereTo)")
        }
        return scheme.verify(request, settings)
    }
}

// MARK: - Re-signing

extension SchemeRegistry {
    static let shared = SchemeRegistry()

    /// The schemes `resign` can sign, by name.
    public var resignable: [String] { schemes.filter(\.canResign).map(\.name).sorted() }

    /// The request's headers with its signature (and timestamp) made afresh
    /// with `secret` at `now`, for `replay --resign`: targets that check
    /// timestamps reject old requests.
    public func resign(headers: HeaderList, body: [UInt8], scheme name: String, secret: Secret,
                       now: Int64) throws(ResignError) -> HeaderList {
        guard let scheme = scheme(named: name) else { throw .unknownScheme(name) }
        return try scheme.resign(headers, body: body, secret: secret, now: now)
    }
}
