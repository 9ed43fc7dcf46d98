import HooktopCore
#if canImport(Glibc)
import Glibc
#endif

/// Where a request stands in arrival order: when it was received, then its
/// id (requests received in the same microsecond, or the same millisecond
/// of a HAR file, are told apart by it). The arrival index keeps this order.
public struct ArrivalPosition: Sendable, Hashable, Comparable {
    public var receivedAt: Timestamp
    public var id: Int64

    public init(receivedAt: Timestamp, id: Int64) {
        self.receivedAt = receivedAt
        self.id = id
    }

    /// Before every request received at `time` or later.
    public static func before(_ time: Timestamp) -> ArrivalPosition { ArrivalPosition(receivedAt: time, id: .min) }

    public static func < (a: ArrivalPosition, b: ArrivalPosition) -> Bool { (a.receivedAt, a.id) < (b.receivedAt, b.id) }
}

/// A change to stored requests other than capturing one. Goes through the
/// writer's queue, so it is committed with the next group of captures.
public enum StoreMutation: Sendable {
    /// Records an attempt and the request's new delivery state. `scheduled`
    /// counts it against the retry schedule (forward and retry, not replay).
    case recordAttempt(requestID: Int64, attempt: DeliveryAttempt, state: DeliveryState, nextAttemptAt: Timestamp?,
                       scheduled: Bool, note: String?)
    /// Takes a due delivery for this process, only if its due time is still
    /// `expected` (no other process took it): 1 row changed means taken.
    case claim(requestID: Int64, expected: Timestamp?, leaseUntil: Timestamp, pid: Int32)
    /// Brings a retrying or failed delivery's next attempt forward to `at`.
    case reschedule(requestID: Int64, at: Timestamp)
    /// What the sender was finally answered (proxy mode).
    case setResponse(requestID: Int64, response: RecordedResponse)
    case alert(kind: String, requestID: Int64?, source: String?, message: String, at: Timestamp)
    /// A verdict reached after the request was stored (PayPal IPN's postback).
    case setSignature(requestID: Int64, SignatureResult)
    /// Deletes up to `limit` of the oldest requests that arrived before
    /// `before`, or (`oldest`) simply the oldest; never one whose delivery
    /// is still pending or retrying. Each is a seek, never a walk through
    /// the table: with nothing to delete, a statement that put age and
    /// count in one `WHERE` read every stored request (1.1 s on 1M, warm)
    /// inside the writer's transaction, once a minute.
    case prune(before: ArrivalPosition?, oldest: Bool, limit: Int)
    /// Gives up to `pages` free pages back to the file system (incremental
    /// vacuum); its count is the free pages left (none on PostgreSQL).
    case giveBackSpace(pages: Int)
    /// Remembers a fact about the database's daemon (`listen`: the address it bound).
    case setMeta(key: String, value: String)
    /// Records a callback to expect (`hooktop expect`).
    case expect(Expectation)
    /// The overdue alert for this expectation was raised: raise it once.
    case expectationAlerted(token: String)
    /// Makes deliveries leased by processes that died due now.
    case releaseLeases(deadPIDs: [Int32], now: Timestamp)
}

/// Runs mutations on the writer's connection, through its statement cache.
struct MutationRunner {
    let db: SQLiteConnection

    init(_ db: SQLiteConnection) { self.db = db }

    /// Runs one statement with its bindings; returns how many rows changed.
    private func run(_ sql: String, _ bind: (Statement) -> Void) throws(StoreError) -> Int {
        try db.with(sql) { stmt throws(StoreError) in
            bind(stmt)
            try stmt.step()
            return db.changes
        }
    }

    /// Returns how many rows changed.
    func run(_ m: StoreMutation) throws(StoreError) -> Int {
        switch m {
        case .recordAttempt(let id, let attempt, let state, let next, let scheduled, let note):
            _ = try run(RequestRows.appendAttemptSQL) { RequestRows.bindAttempt($0, attempt, requestID: id, numbered: false) }
            return try run("""
                UPDATE requests SET delivery_state = :state, next_attempt_at = :next, leased_by = NULL,
                    scheduled_attempts = scheduled_attempts + :counted, delivery_note = :note WHERE id = :id
                """) { s in
                s.bind(":id", id)
                s.bind(":state", state.rawValue)
                s.bind(":next", next?.microseconds)
                s.bind(":counted", scheduled ? 1 : 0)
                s.bind(":note", note)
            }
        case .claim(let id, let expected, let lease, let pid):
            return try run("""
                UPDATE requests SET next_attempt_at = :lease, leased_by = :pid,
                    delivery_state = CASE delivery_state WHEN 'failed' THEN 'retrying' ELSE delivery_state END
                WHERE id = :id AND delivery_state IN ('pending', 'retrying', 'failed') AND next_attempt_at IS :expected
                """) { s in
                s.bind(":id", id)
                s.bind(":lease", lease.microseconds)
                s.bind(":pid", Int64(pid))
                s.bind(":expected", expected?.microseconds)
            }
        case .reschedule(let id, let at):
            return try run("""
                UPDATE requests SET next_attempt_at = :at, delivery_state = 'retrying', leased_by = NULL, delivery_note = NULL
                WHERE id = :id AND target_url IS NOT NULL AND delivery_state IN ('retrying', 'failed', 'pending')
                """) { s in
                s.bind(":id", id)
                s.bind(":at", at.microseconds)
            }
        case .setResponse(let id, let response):
            return try run("""
                UPDATE requests SET response_status = :status, response_headers = :headers, response_body = :body,
                    response_duration_us = :duration WHERE id = :id
                """) { s in
                s.bind(":id", id)
                s.bind(":status", response.status)
                s.bind(":headers", response.headers.wireEncoded)
                s.bind(":body", blob: response.body)
                s.bind(":duration", response.durationMicros)
            }
        case .alert(let kind, let requestID, let source, let message, let at):
            return try run("INSERT INTO alerts (at, kind, request_id, source, message) VALUES (:at, :kind, :request_id, :source, :message)") { s in
                s.bind(":at", at.microseconds)
                s.bind(":kind", kind)
                s.bind(":request_id", requestID)
                s.bind(":source", source)
                s.bind(":message", message)
            }
        case .setSignature(let id, let result):
            return try run("UPDATE requests SET sig_scheme = :scheme, sig_status = :status, sig_detail = :detail WHERE id = :id") { s in
                s.bind(":id", id)
                s.bind(":scheme", result.scheme)
                s.bind(":status", result.status.rawValue)
                s.bind(":detail", result.detail)
            }
        case .prune(let before, let oldest, let limit):
            let sql: String
            if oldest {
                sql = """
                    DELETE FROM requests WHERE id IN (
                        SELECT id FROM requests WHERE delivery_state NOT IN ('pending', 'retrying') ORDER BY id LIMIT :limit)
                    """
            } else if before != nil {
                sql = """
                    DELETE FROM requests WHERE id IN (
                        SELECT id FROM requests WHERE (received_at, id) < (:before, :before_id) AND delivery_state NOT IN ('pending', 'retrying')
                        ORDER BY received_at, id LIMIT :limit)
                    """
            } else {
                return 0
            }
            try RequestIDs.keepHighWater(db)
            return try run(sql) { s in
                if !oldest, let before {
                    s.bind(":before", before.receivedAt.microseconds)
                    s.bind(":before_id", before.id)
                }
                s.bind(":limit", max(0, limit))
            }
        case .giveBackSpace(let pages):
            try db.execute("PRAGMA incremental_vacuum(\(max(0, pages)))")
            return Int(clamping: try db.scalarInt("PRAGMA freelist_count") ?? 0)
        case .setMeta(let key, let value):
            return try run("INSERT INTO meta (key, value) VALUES (:key, :value) ON CONFLICT(key) DO UPDATE SET value = excluded.value") { s in
                s.bind(":key", key)
                s.bind(":value", value)
            }
        case .expect(let e):
            return try run("""
                INSERT INTO expectations (token, label, created_at, deadline, url) VALUES (:token, :label, :created_at, :deadline, :url)
                """) { s in
                s.bind(":token", e.token)
                s.bind(":label", e.label)
                s.bind(":created_at", e.createdAt.microseconds)
                s.bind(":deadline", e.deadline?.microseconds)
                s.bind(":url", e.url)
            }
        case .expectationAlerted(let token):
            return try run("UPDATE expectations SET overdue_alerted = 1 WHERE token = :token") { $0.bind(":token", token) }
        case .releaseLeases(let pids, let now):
            var changed = 0
            for pid in pids {
                changed += try run("""
                    UPDATE requests SET next_attempt_at = :now, leased_by = NULL
                    WHERE leased_by = :pid AND delivery_state IN ('pending', 'retrying')
                    """) { s in
                    s.bind(":pid", Int64(pid))
                    s.bind(":now", now.microseconds)
                }
            }
            return changed
        }
    }
}
