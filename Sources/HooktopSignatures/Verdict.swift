import Crypto
import Foundation
import HooktopCore

/// Building blocks shared by the schemes: decoding, HMAC, constant-time
/// comparison, timestamp tolerance, and the doctor's wording.
enum Verdict {
    static func valid(_ scheme: String, _ detail: String) -> SignatureResult {
        SignatureResult(scheme: scheme, status: .valid, detail: detail)
    }

    static func invalid(_ scheme: String, _ detail: String) -> SignatureResult {
        SignatureResult(scheme: scheme, status: .invalid, detail: detail)
    }

    static func malformed(_ scheme: String, _ header: String, _ how: String) -> SignatureResult {
        SignatureResult(scheme: scheme, status: .invalid, detail: "\(header) header is malformed: \(how)")
    }

    static func missing(_ scheme: String, _ header: String) -> SignatureResult {
        SignatureResult(scheme: scheme, status: .missing, detail: "expected a \(header) header, none came")
    }

    /// Which secret matched, in words: "secret 2 of 3" or nothing for a lone secret.
    static func which(_ index: Int, of count: Int) -> String {
        count > 1 ? " (secret \(index + 1) of \(count))" : ""
    }

    static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool { ConstantTime.equals(a, b) }

    static func hmac(_ algorithm: HMACSpec.Algorithm, key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: key)
        switch algorithm {
        case .sha1: return Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: key))
        case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
        case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    static func unhex(_ text: some StringProtocol) -> [UInt8]? {
        let u = Array(text.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(u.count / 2)
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 65...70: c - 55
            case 97...102: c - 87
            default: nil
            }
        }
        var i = 0
        while i < u.count {
            guard let hi = nibble(u[i]), let lo = nibble(u[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    static func base64(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

    static func unbase64(_ text: some StringProtocol) -> [UInt8]? {
        var s = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }

    /// `abcdef12…9f3e` — enough to compare by eye, not enough to matter.
    static func shorten(_ text: String) -> String {
        text.count <= 16 ? text : "\(text.prefix(8))…\(text.suffix(4))"
    }

    /// nil when inside the tolerance; otherwise why not, in words. A
    /// timestamp so far off that the age does not fit in an Int64 (or a
    /// negative tolerance) is answered too, never trapped on.
    static func timestampProblem(_ timestamp: Int64, now: Int64, tolerance: Int64) -> String? {
        let (age, overflow) = now.subtractingReportingOverflow(timestamp)
        if overflow || age == .min || !plausibleSeconds.contains(timestamp) {
            return "timestamp \(timestamp) is out of range (not a Unix time in seconds between the years 1 and 9999)"
        }
        let limit = max(tolerance, 0)
        if age > limit { return "timestamp is \(age)s old; tolerance is \(limit)s (a replay, or a delayed retry)" }
        if -age > limit { return "timestamp is \(-age)s in the future; tolerance is \(limit)s (check this machine's clock)" }
        return nil
    }

    /// Unix seconds of the years 1 to 9999, as `Timestamp.representable`.
    static let plausibleSeconds = Timestamp.representable.lowerBound.seconds...Timestamp.representable.upperBound.seconds

    static func age(_ timestamp: Int64, now: Int64) -> String {
        let (age, overflow) = now.subtractingReportingOverflow(timestamp)
        if overflow || age == .min { return "timestamp out of range" }
        return age >= 0 ? "age \(age)s" : "\(-age)s ahead"
    }

    /// Tries every received signature against every key. Returns the index of
    /// the key that matched, or nil.
    static func firstMatch(received: [[UInt8]], keys: [[UInt8]], compute: ([UInt8]) -> [UInt8]) -> Int? {
        for (k, key) in keys.enumerated() {
            let expected = compute(key)
            // Check all candidates so the time does not depend on which one matched.
            var matched = false
            for candidate in received where constantTimeEquals(candidate, expected) { matched = true }
            if matched { return k }
        }
        return nil
    }

    /// The doctor's words for "nothing matched".
    static func mismatch(recipe: String, received: String, expected: String?, keyCount: Int, extra: String? = nil) -> String {
        var parts = ["no signature matches \(keyCount == 1 ? "the secret" : "any of \(keyCount) secrets")",
                     "signed content is \(recipe)",
                     "received \(shorten(received))"]
        if let expected { parts.append("expected \(shorten(expected))\(keyCount > 1 ? " with secret 1" : "")") }
        if let extra { parts.append(extra) }
        parts.append("check the secret, or whether something changed the body on the way")
        return parts.joined(separator: "; ")
    }
}
