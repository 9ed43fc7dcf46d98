import HooktopCore

/// Turns a `Filter` into a SQL condition on `requests`, with its bindings.
/// Indexed columns are compared directly; `~b` is a byte search in C
/// (`instr` on the BLOB); header tests use `hooktop_header`, a function
/// registered on every connection (`SQLFunctions`).
struct FilterSQL {
    typealias Binding = SQLValue

    private(set) var bindings: [Binding] = []
    let now: Timestamp

    static let pathExpression = "(CASE WHEN instr(target, '?') > 0 THEN substr(target, 1, instr(target, '?') - 1) ELSE target END)"
    static let lastDeliveryStatus = "(SELECT d.status FROM deliveries d WHERE d.request_id = requests.id ORDER BY d.attempt DESC, d.id DESC LIMIT 1)"

    init(now: Timestamp) { self.now = now }

    mutating func condition(_ filter: Filter) -> String {
        switch filter {
        case .method(let m):
            return "method = \(bind(.text(m))) COLLATE NOCASE"
        case .path(let glob):
            // SQLite's GLOB: * and ? as ours; '[' would start a class, so escape it.
            return "\(Self.pathExpression) GLOB \(bind(.text(glob.pattern.replacingOccurrences(of: "[", with: "[[]"))))"
        case .header(let name, let value):
            return "hooktop_header(headers, \(bind(.text(name))), \(value.map { bind(.text($0)) } ?? "NULL"))"
        case .body(let text):
            return "hooktop_contains(body, \(bind(.blob(Array(text.utf8)))))"
        case .source(let s):
            return "source IS \(bind(.text(s)))"  // IS: a missing source is "not this one", not NULL
        // Values of a closed set, written into the SQL: a partial index on them can be used
        // (SQLite cannot prove `sig_status = ?1` lies in the index's set), and its own set is
        // repeated, because SQLite cannot prove `= 'invalid'` lies in `IN ('invalid', 'expired')` either.
        case .signature(let status):
            return CountedSets.badSignatureStatuses.contains(status) ? "(\(CountedSets.badSignatures) AND sig_status = '\(status.rawValue)')"
                : "sig_status = '\(status.rawValue)'"
        case .delivery(let state):
            return CountedSets.failingDeliveryStates.contains(state) ? "(\(CountedSets.failingDeliveries) AND delivery_state = '\(state.rawValue)')"
                : "delivery_state = '\(state.rawValue)'"
        case .code(let range):
            let lo = bind(.int(Int64(range.lowerBound))), hi = bind(.int(Int64(range.upperBound)))
            return "(response_status BETWEEN \(lo) AND \(hi) OR coalesce(\(Self.lastDeliveryStatus), 0) BETWEEN \(lo) AND \(hi))"
        case .age(let older, let micros):
            let cutoff = bind(.int(now.microseconds.saturatingSubtracting(micros)))
            return older ? "received_at < \(cutoff)" : "received_at >= \(cutoff)"
        case .label(let l):
            return "label = \(bind(.text(l)))"
        case .expect(let state):
            return "expect_arrival = \(bind(.text(state.rawValue)))"
        case .duplicate:
            return "duplicate_of IS NOT NULL"
        case .word(let w):
            let needle = bind(.blob(Array(w.lowercased().utf8)))
            return "(hooktop_icontains(target, \(needle)) OR hooktop_icontains(headers, \(needle)) OR hooktop_icontains(body, \(needle)))"
        case .not(let f):
            // A test on a missing value (no label) is false, so its negation holds, as in the evaluator.
            return "NOT coalesce(\(condition(f)), 0)"
        case .and(let a, let b):
            return "(\(condition(a)) AND \(condition(b)))"
        case .or(let a, let b):
            return "(\(condition(a)) OR \(condition(b)))"
        }
    }

    private mutating func bind(_ b: Binding) -> String {
        bindings.append(b)
        return "?\(bindings.count)"
    }

    func apply(to statement: Statement, startingAt offset: Int32 = 0) {
        for (i, b) in bindings.enumerated() { statement.bind(at: Int32(i + 1) + offset, b) }
    }
}

/// An index that holds every request a filter can match, when one of the terms every match
/// must satisfy (`Filter.conjuncts`) is what the index is on. For `ORDER BY id … LIMIT n`
/// SQLite walks the rows by id and tests each: when fewer than `n` match, that reads the
/// whole table. When the index holds few rows, reading them through it and sorting is cheap.
enum Narrowing: Equatable {
    /// `~t <X`: requests received at or after this time.
    case receivedSince(Timestamp)
    /// `~sig invalid`, `~sig expired`: the partial index on bad signatures.
    case badSignatures
    /// `~d failed`, `~d retrying`: the partial index on failing deliveries.
    case failingDeliveries

    /// The narrowings a filter allows.
    static func of(_ filter: Filter, now: Timestamp) -> [Narrowing] {
        filter.conjuncts.compactMap { term in
            switch term {
            case .age(olderThan: false, let micros): .receivedSince(Timestamp(microseconds: now.microseconds.saturatingSubtracting(micros)))
            case .signature(let s) where CountedSets.badSignatureStatuses.contains(s): .badSignatures
            case .delivery(let d) where CountedSets.failingDeliveryStates.contains(d): .failingDeliveries
            default: nil
            }
        }
    }

    var index: String {
        switch self {
        case .receivedSince: "requests_received_at"
        case .badSignatures: "requests_bad_signatures"
        case .failingDeliveries: "requests_failing"
        }
    }

    /// What the index holds, as a condition on `requests` (`?1`: the time, for `receivedSince`).
    var condition: String {
        switch self {
        case .receivedSince: "received_at >= ?1"
        case .badSignatures: CountedSets.badSignatures
        case .failingDeliveries: CountedSets.failingDeliveries
        }
    }
}

/// The requests the dashboard counts as bad signatures and as failing deliveries, as values and
/// as SQL for both stores: the one place that says so. The partial indexes of migration 0004
/// (SQLite) and of the PostgreSQL schema hold exactly these, word for word.
public enum CountedSets {
    public static let badSignatureStatuses: [SignatureStatus] = [.invalid, .expired]
    public static let failingDeliveryStates: [DeliveryState] = [.failed, .retrying]
    public static let badSignatures = "sig_status IN ('invalid', 'expired')"
    public static let failingDeliveries = "delivery_state IN ('failed', 'retrying')"
}
