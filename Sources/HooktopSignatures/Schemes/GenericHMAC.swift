import HooktopCore

/// `scheme = "hmac"`: the header, algorithm, encoding, prefix and signed
/// content come from the source's config.
struct GenericHMACScheme: SignatureScheme {
    let name = "hmac"
    let signatureHeader: String? = nil

    func detect(_ request: SignedRequest) -> Bool { false }

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        guard let spec = settings.hmac else {
            return Verdict.invalid(name, "the hmac scheme needs header, algorithm, encoding and signed in the source's config")
        }
        let scheme = HMACScheme(name: name, header: spec.header, algorithm: spec.algorithm, encoding: spec.encoding,
                                recipe: spec.signed, defaultTolerance: spec.timestampHeader == nil ? nil : 300, detectWith: []) { r in
            HeaderParse.stripping(spec.prefix, from: r.headers.first(spec.header) ?? "", header: spec.header).flatMap { sig in
                var ts: Int64?
                if let th = spec.timestampHeader {
                    switch HeaderParse.timestamp(r.headers.first(th), header: th) {
                    case .success(let t): ts = t
                    case .failure(let p): return .failure(p)
                    }
                }
                return .success(.init(signatures: [sig], timestamp: ts, message: Self.render(spec.signed, r, timestamp: ts)))
            }
        }
        return scheme.verify(request, settings)
    }

    /// Fills `{body}`, `{timestamp}`, `{url}`, `{method}`, `{path}` and `{header:Name}`.
    static func render(_ template: String, _ r: SignedRequest, timestamp: Int64?) -> [UInt8] {
        var out = [UInt8]()
        var rest = Substring(template)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += Array(rest[..<open].utf8)
            let token = rest[rest.index(after: open)..<close]
            switch token {
            case "body": out += r.body
            case "timestamp": out += Array((timestamp.map(String.init) ?? "").utf8)
            case "url": out += Array((r.url ?? "").utf8)
            case "method": out += Array(r.method.utf8)
            case "path": out += Array((r.target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? r.target).utf8)
            case _ where token.hasPrefix("header:"): out += Array((r.headers.first(String(token.dropFirst(7))) ?? "").utf8)
            default: out += Array(rest[open...close].utf8)
            }
            rest = rest[rest.index(after: close)...]
        }
        out += Array(rest.utf8)
        return out
    }
}
