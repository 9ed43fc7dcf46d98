/// A path glob as used by `match =` and `~p`: `*` matches any run of
/// characters, `/` included; `?` one character; the glob covers the whole path.
public struct Glob: Sendable, Equatable, CustomStringConvertible {
    public let pattern: String
    private let parts: [UInt8]

    public init(_ pattern: String) {
        self.pattern = pattern
        self.parts = Array(pattern.utf8)
    }

    public var description: String { pattern }

    public func matches(_ text: String) -> Bool {
        let t = Array(text.utf8)
        var p = 0, s = 0
        var star = -1, mark = 0
        while s < t.count {
            if p < parts.count, parts[p] == UInt8(ascii: "?") || parts[p] == t[s] && parts[p] != UInt8(ascii: "*") {
                p += 1; s += 1
            } else if p < parts.count, parts[p] == UInt8(ascii: "*") {
                star = p; mark = s; p += 1
            } else if star >= 0 {
                p = star + 1; mark += 1; s = mark
            } else {
                return false
            }
        }
        while p < parts.count, parts[p] == UInt8(ascii: "*") { p += 1 }
        return p == parts.count
    }

    /// The literal part before the first wildcard: `/stripe/*` -> `/stripe/`.
    public var literalPrefix: String {
        String(pattern.prefix { $0 != "*" && $0 != "?" })
    }
}
