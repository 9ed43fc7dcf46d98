import HooktopCore
import HooktopStore
import PostgresNIO

/// Turns a `Filter` into a PostgreSQL condition on `requests`, with its
/// bindings: the same results as the SQLite compiler (`FilterSQL`) and the
/// in-memory evaluator, which the agreement test checks on both stores.
struct PostgresFilterSQL {
    private(set) var bindings = PostgresBindings()
    private var count = 0
    let now: Timestamp

    static let pathExpression = "split_part(target, '?', 1)"
    static let lastDeliveryStatus = "(SELECT d.status FROM deliveries d WHERE d.request_id = requests.id ORDER BY d.attempt DESC, d.id DESC LIMIT 1)"

    init(now: Timestamp) { self.now = now }

    mutating func condition(_ filter: Filter) -> String {
        switch filter {
        case .method(let m):
            return "lower(method COLLATE \"C\") = lower(\(text(m)) COLLATE \"C\")"
        case .path(let glob):
            return "\(Self.pathExpression) LIKE \(text(Self.likePattern(glob.pattern))) COLLATE \"C\""
        case .header(let name, let value):
            // The wire form holds "Name:" for each field: a cheap test on the whole text first,
            // so only rows that may have the field are split into lines.
            let n = text(name)
            return "(strpos(lower(headers COLLATE \"C\"), lower(\(n) COLLATE \"C\") || ':') > 0"
                + " AND hooktop_header(headers, \(n), \(value.map { text($0) } ?? "NULL::text")))"
        case .body(let needle):
            // The trigram index narrows the rows (its LIKE over the head), bodies
            // longer than the head come from their own index; the byte search decides.
            let raw = Array(needle.utf8)
            let head = PostgresSchema.bodyIndexHead
            return "((hooktop_body_text(body) LIKE \(text("%" + Self.likeEscaped(Self.escapeEncoded(raw)) + "%"))"
                + " OR octet_length(body) > \(head)) AND position(\(bytes(raw)) IN body) > 0)"
        case .source(let s):
            return "source IS NOT DISTINCT FROM \(text(s))"
        case .signature(let status):
            return "sig_status = \(text(status.rawValue))"
        case .delivery(let state):
            return "delivery_state = \(text(state.rawValue))"
        case .code(let range):
            let lo = int(Int64(range.lowerBound)), hi = int(Int64(range.upperBound))
            return "(response_status BETWEEN \(lo) AND \(hi) OR coalesce(\(Self.lastDeliveryStatus), 0) BETWEEN \(lo) AND \(hi))"
        case .age(let older, let micros):
            let cutoff = int(now.microseconds.saturatingSubtracting(micros))
            return older ? "received_at < \(cutoff)" : "received_at >= \(cutoff)"
        case .label(let l):
            return "label = \(text(l))"
        case .expect(let state):
            return "expect_arrival = \(text(state.rawValue))"
        case .duplicate:
            return "(delivery_id IS NOT NULL AND EXISTS (SELECT 1 FROM requests o WHERE o.delivery_id = requests.delivery_id AND o.id < requests.id))"
        case .word(let w):
            let needle = bytes(Array(w.lowercased().utf8))
            return "(hooktop_icontains(convert_to(target, 'UTF8'), \(needle)) OR hooktop_icontains(convert_to(headers, 'UTF8'), \(needle))"
                + " OR hooktop_icontains(body, \(needle)))"
        case .not(let f):
            return "NOT coalesce(\(condition(f)), false)"
        case .and(let a, let b):
            return "(\(condition(a)) AND \(condition(b)))"
        case .or(let a, let b):
            return "(\(condition(a)) OR \(condition(b)))"
        }
    }

    /// Bytes as PostgreSQL's `encode(b, 'escape')` writes them: NUL and
    /// bytes with the high bit set as `\ooo`, a backslash doubled, the rest as is.
    static func escapeEncoded(_ bytes: [UInt8]) -> String {
        var out = ""
        for b in bytes {
            if b == 0 || b >= 0x80 {
                out += "\\" + String(b, radix: 8).leftPadded(to: 3)
            } else if b == 0x5C {
                out += "\\\\"
            } else {
                out.unicodeScalars.append(Unicode.Scalar(b))
            }
        }
        return out
    }

    /// Text matched literally by LIKE: its wildcards and escape character escaped.
    static func likeEscaped(_ text: String) -> String {
        var out = ""
        for c in text {
            if c == "%" || c == "_" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out
    }

    /// Our glob (`*` any run, `?` one character, the rest literal) as a LIKE pattern.
    static func likePattern(_ glob: String) -> String {
        var out = ""
        for c in glob {
            switch c {
            case "*": out += "%"
            case "?": out += "_"
            case "%", "_", "\\": out += "\\" + String(c)
            default: out.append(c)
            }
        }
        return out
    }

    private mutating func next() -> String {
        count += 1
        return "$\(count)"
    }

    private mutating func text(_ s: String) -> String {
        bindings.text(s)
        return next()
    }

    private mutating func int(_ v: Int64) -> String {
        bindings.int(v)
        return next()
    }

    private mutating func bytes(_ v: [UInt8]) -> String {
        bindings.bytes(v)
        return next()
    }

    /// The next free parameter number, for conditions added after the filter's.
    var nextParameter: Int { count + 1 }
}

private extension String {
    func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
