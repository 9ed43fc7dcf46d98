import HooktopCore
#if canImport(Glibc)
import Glibc
#endif

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
    /// Makes deliveries leased by processes that died due now.
    case releaseLeases(deadPIDs: [Int32], now: Timestamp)
}

/// Runs mutations on the writer's connection, with statements prepared once.
final class MutationRunner {
    private let db: SQLiteConnection
    private var statements: [String: Statement] = [:]

    init(_ db: SQLiteConnection) { self.db = db }

    private func statement(_ sql: String) throws(StoreError) -> Statement {
        if let s = statements[sql] { s.reset(); return s }
        let s = try db.prepare(sql)
        statements[sql] = s
        return s
    }

    /// Returns how many rows changed.
    func run(_ m: StoreMutation) throws(StoreError) -> Int {
        switch m {
        case .recordAttempt(let id, let attempt, let state, let next, let scheduled, let note):
            let insert = try statement(RequestRows.appendAttemptSQL)
            RequestRows.bindAttempt(insert, attempt, requestID: id)
            try insert.step()
            insert.reset()
            let update = try statement("""
                UPDATE requests SET delivery_state = ?2, next_attempt_at = ?3, leased_by = NULL,
                    scheduled_attempts = scheduled_attempts + ?4, delivery_note = ?5 WHERE id = ?1
                """)
            update.bind(1, id)
            update.bind(2, state.rawValue)
            if let next { update.bind(3, next.microseconds) } else { update.bindNull(3) }
            update.bind(4, scheduled ? 1 : 0)
            update.bind(5, note)
            try update.step()
            update.reset()
            return db.changes
        case .claim(let id, let expected, let lease, let pid):
            let s = try statement("""
                UPDATE requests SET next_attempt_at = ?2, leased_by = ?3,
                    delivery_state = CASE delivery_state WHEN 'failed' THEN 'retrying' ELSE delivery_state END
                WHERE id = ?1 AND delivery_state IN ('pending', 'retrying', 'failed') AND next_attempt_at IS ?4
                """)
            s.bind(1, id)
            s.bind(2, lease.microseconds)
            s.bind(3, Int64(pid))
            if let expected { s.bind(4, expected.microseconds) } else { s.bindNull(4) }
            try s.step()
            s.reset()
            return db.changes
        case .reschedule(let id, let at):
            let s = try statement("""
                UPDATE requests SET next_attempt_at = ?2, delivery_state = 'retrying', leased_by = NULL, delivery_note = NULL
                WHERE id = ?1 AND target_url IS NOT NULL AND delivery_state IN ('retrying', 'failed', 'pending')
                """)
            s.bind(1, id)
            s.bind(2, at.microseconds)
            try s.step()
            s.reset()
            return db.changes
        case .setResponse(let id, let response):
            let s = try statement("""
                UPDATE requests SET response_status = ?2, response_headers = ?3, response_body = ?4, response_duration_us = ?5 WHERE id = ?1
                """)
            s.bind(1, id)
            s.bind(2, response.status)
            s.bind(3, response.headers.wireEncoded)
            s.bind(4, blob: response.body)
            s.bind(5, response.durationMicros)
            try s.step()
            s.reset()
            return db.changes
        case .alert(let kind, let requestID, let source, let message, let at):
            let s = try statement("INSERT INTO alerts (at, kind, request_id, source, message) VALUES (?, ?, ?, ?, ?)")
            s.bind(1, at.microseconds)
            s.bind(2, kind)
            if let requestID { s.bind(3, requestID) } else { s.bindNull(3) }
            s.bind(4, source)
            s.bind(5, message)
            try s.step()
            s.reset()
            return db.changes
        case .releaseLeases(let pids, let now):
            var changed = 0
            for pid in pids {
                let s = try statement("""
                    UPDATE requests SET next_attempt_at = ?2, leased_by = NULL
                    WHERE leased_by = ?1 AND delivery_state IN ('pending', 'retrying')
                    """)
                s.bind(1, Int64(pid))
                s.bind(2, now.microseconds)
                try s.step()
                s.reset()
                changed += db.changes
            }
            return changed
        }
    }
}
