import HooktopCore

/// The common shape: an HMAC of some content, in one header, with optional
/// prefix, several signatures allowed, and an optional timestamp. Most
/// providers are one of these with their own parameters.
struct HMACScheme: SignatureScheme {
    struct Parsed {
        var signatures: [String]
        var timestamp: Int64?
        /// What was signed, given the timestamp.
        var message: [UInt8]
    }

    let name: String
    let header: String
    let algorithm: HMACSpec.Algorithm
    let encoding: HMACSpec.Encoding
    /// Human recipe of the signed content, for the doctor.
    let recipe: String
    let defaultTolerance: Int64?
    let detectWith: [String]
    /// Pulls signatures, timestamp and the signed message out of the request;
    /// returns a reason when the headers are malformed.
    /// How a fresh signature (and its timestamp) is written, for `replay
    /// --resign`: the headers for `signature` made at `now`. What is signed
    /// comes from `parse`, so each provider's recipe is written once.
    var write: (@Sendable (_ headers: HeaderList, _ signature: String, _ now: Int64) -> [(String, String)])? = nil
    let parse: @Sendable (SignedRequest) -> Result<Parsed, SchemeProblem>

    var signatureHeader: String? { header }
    var canResign: Bool { write != nil }

    func resign(_ headers: HeaderList, body: [UInt8], secret: Secret, now: Int64) throws(ResignError) -> HeaderList {
        guard let write else { throw .notSupported(name) }
        // Stamp the time with a stand-in signature, read back what that request signs, then sign it.
        let stamped = headers.replacing(write(headers, encode([0]), now))
        guard case .success(let parsed) = parse(SignedRequest(method: "POST", target: "/", headers: stamped, body: body, now: now)) else {
            throw .notSupported(name)
        }
        return stamped.replacing(write(stamped, encode(Verdict.hmac(algorithm, key: bytes(secret.value), parsed.message)), now))
    }

    func detect(_ request: SignedRequest) -> Bool {
        (detectWith.isEmpty ? [header] : detectWith).contains { request.headers.contains($0) }
    }

    func verify(_ request: SignedRequest, _ settings: SignatureSettings) -> SignatureResult {
        guard request.headers.contains(header) else { return Verdict.missing(name, header) }
        let parsed: Parsed
        switch parse(request) {
        case .success(let p): parsed = p
        case .failure(let problem): return SignatureResult(scheme: name, status: problem.status, detail: problem.detail)
        }
        let received = parsed.signatures.compactMap { decode($0) }
        guard !received.isEmpty else {
            return Verdict.malformed(name, header, "no \(encoding.rawValue) signature found in it")
        }
        let keys = settings.secrets.map { Array($0.value.utf8) }
        let tolerance = settings.toleranceSeconds ?? defaultTolerance
        let timeProblem = parsed.timestamp.flatMap { ts in tolerance.flatMap { Verdict.timestampProblem(ts, now: request.now, tolerance: $0) } }
        if let k = Verdict.firstMatch(received: received, keys: keys, compute: { Verdict.hmac(algorithm, key: $0, parsed.message) }) {
            if let timeProblem { return SignatureResult(scheme: name, status: .expired, detail: "signature matches, but \(timeProblem)") }
            let age = parsed.timestamp.map { "; " + Verdict.age($0, now: request.now) } ?? ""
            return Verdict.valid(name, "signature matches\(Verdict.which(k, of: keys.count))\(age)")
        }
        let expected = keys.first.map { encode(Verdict.hmac(algorithm, key: $0, parsed.message)) }
        return Verdict.invalid(name, Verdict.mismatch(recipe: recipe, received: parsed.signatures[0], expected: expected,
                                                      keyCount: keys.count, extra: timeProblem))
    }

    func decode(_ text: String) -> [UInt8]? {
        encoding == .hex ? Verdict.unhex(text) : Verdict.unbase64(text)
    }

    func encode(_ bytes: [UInt8]) -> String {
        encoding == .hex ? Verdict.hex(bytes) : Verdict.base64(bytes)
    }
}

/// A request the scheme cannot even check, with the status to give it.
struct SchemeProblem: Error {
    var status: SignatureStatus = .invalid
    var detail: String

    static func malformed(_ header: String, _ how: String) -> SchemeProblem {
        SchemeProblem(detail: "\(header) header is malformed: \(how)")
    }
}

/// Header parsing helpers shared by schemes.
enum HeaderParse {
    /// `t=1,v1=a,v1=b` (or `;` separated) into ordered pairs.
    static func pairs(_ value: String, separator: Character = ",") -> [(String, String)] {
        value.split(separator: separator).compactMap { part in
            guard let eq = part.firstIndex(of: "=") else { return nil }
            return (part[..<eq].trimmingCharacters(in: .whitespaces), part[part.index(after: eq)...].trimmingCharacters(in: .whitespaces))
        }
    }

    static func timestamp(_ text: String?, header: String) -> Result<Int64, SchemeProblem> {
        guard let text else { return .failure(SchemeProblem(detail: "the \(header) header is missing")) }
        guard let ts = Int64(text.trimmingCharacters(in: .whitespaces)) else {
            return .failure(.malformed(header, "'\(TerminalText.inline(String(text.prefix(40))))' is not a Unix timestamp"))
        }
        return .success(ts)
    }

    /// Strips `prefix` (e.g. `sha256=`) from a signature value.
    static func stripping(_ prefix: String, from value: String, header: String) -> Result<String, SchemeProblem> {
        let v = value.trimmingCharacters(in: .whitespaces)
        guard v.hasPrefix(prefix) else {
            return .failure(.malformed(header, "expected it to start with '\(prefix)'"))
        }
        return .success(String(v.dropFirst(prefix.count)))
    }
}

extension Array where Element == UInt8 {
    static func + (lhs: [UInt8], rhs: String) -> [UInt8] { lhs + Array(rhs.utf8) }
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
