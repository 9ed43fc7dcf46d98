/// Runs a `Filter` on a request in memory, with the same rules as the SQL the
/// store generates: methods and header names ignore case, header values and
/// bare words match ignoring ASCII case, `~b` matches body bytes exactly.
public struct FilterEvaluator: Sendable {
    public var now: Timestamp
    /// Whether an earlier request carried the same provider delivery id.
    public var isDuplicate: @Sendable (CapturedRequest) -> Bool

    public init(now: Timestamp = .now(), isDuplicate: @escaping @Sendable (CapturedRequest) -> Bool = { _ in false }) {
        self.now = now
        self.isDuplicate = isDuplicate
    }

    public func matches(_ filter: Filter, _ r: CapturedRequest) -> Bool {
        switch filter {
        case .method(let m): return r.method.caseInsensitiveEquals(m)
        case .path(let glob): return glob.matches(r.path)
        case .header(let name, let value):
            return r.headers.contains { field in
                field.name.caseInsensitiveEquals(name) && (value.map { Self.containsIgnoringCase(field.value, $0) } ?? true)
            }
        case .body(let text): return Self.contains(r.body, Array(text.utf8))
        case .source(let s): return r.source == s
        case .signature(let status): return r.signature.status == status
        case .delivery(let state): return r.deliveryState == state
        case .code(let range):
            return range.contains(r.response.status) || (r.deliveries.last?.status.map(range.contains) ?? false)
        case .age(let older, let micros):
            let cutoff = now.microseconds.saturatingSubtracting(micros)
            return older ? r.receivedAt.microseconds < cutoff : r.receivedAt.microseconds >= cutoff
        case .duplicate: return isDuplicate(r)
        case .label(let l): return r.label == l
        case .expect(let state): return r.arrival == state
        case .word(let w):
            return Self.containsIgnoringCase(r.target, w)
                || r.headers.contains { Self.containsIgnoringCase($0.name + ": " + $0.value, w) }
                || Self.contains(r.body.map(Self.asciiLower), Array(w.utf8).map(Self.asciiLower))
        case .not(let f): return !matches(f, r)
        case .and(let a, let b): return matches(a, r) && matches(b, r)
        case .or(let a, let b): return matches(a, r) || matches(b, r)
        }
    }

    /// ASCII case-insensitive substring test (as SQLite's LIKE and lower()).
    public static func containsIgnoringCase(_ haystack: String, _ needle: String) -> Bool {
        contains(Array(haystack.utf8).map(asciiLower), Array(needle.utf8).map(asciiLower))
    }

    static func asciiLower(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b + 32 : b }

    public static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        let first = needle[0]
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first && haystack[i..<i + needle.count].elementsEqual(needle) { return true }
            i += 1
        }
        return false
    }
}
