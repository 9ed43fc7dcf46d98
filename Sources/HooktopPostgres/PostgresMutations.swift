import HooktopCore
import HooktopStore
import PostgresNIO

/// `StoreMutation`s in PostgreSQL's SQL, run inside the writer's batch
/// transaction: each is the statements to send; how many rows the last one
/// changed is its result.
enum PostgresMutations {
    typealias Statement = (sql: String, binds: PostgresBindings)

    static func statements(_ m: StoreMutation, node: String?) -> [Statement] {
        var b = PostgresBindings()
        switch m {
        case .recordAttempt(let id, let attempt, let state, let next, let scheduled, let note):
            let append = PostgresRows.insertAttempt(attempt, requestID: id, numbered: false)
            b.int(id)
            b.text(state.rawValue)
            b.int(next?.microseconds)
            b.int(scheduled ? 1 : 0)
            b.text(note)
            return [append, ("""
                UPDATE requests SET delivery_state = $2, next_attempt_at = $3, leased_by = NULL, leased_node = NULL,
                    scheduled_attempts = scheduled_attempts + $4, delivery_note = $5 WHERE id = $1
                """, b)]
        case .claim(let id, let expected, let lease, let pid):
            // Exactly one daemon takes an attempt: the due time must still be the one it read,
            // and a row another daemon is claiming right now is skipped, not waited for.
            b.int(id)
            b.int(lease.microseconds)
            b.int(Int64(pid))
            b.text(node)
            b.int(expected?.microseconds)
            return [("""
                UPDATE requests SET next_attempt_at = $2, leased_by = $3, leased_node = $4,
                    delivery_state = CASE delivery_state WHEN 'failed' THEN 'retrying' ELSE delivery_state END
                WHERE id = (SELECT id FROM requests WHERE id = $1 AND delivery_state IN ('pending', 'retrying', 'failed')
                            AND next_attempt_at IS NOT DISTINCT FROM $5 FOR UPDATE SKIP LOCKED)
                """, b)]
        case .reschedule(let id, let at):
            b.int(id)
            b.int(at.microseconds)
            return [("""
                UPDATE requests SET next_attempt_at = $2, delivery_state = 'retrying', leased_by = NULL, leased_node = NULL,
                    delivery_note = NULL
                WHERE id = $1 AND target_url IS NOT NULL AND delivery_state IN ('retrying', 'failed', 'pending')
                """, b)]
        case .setResponse(let id, let response):
            b.int(id)
            b.int(response.status)
            b.text(response.headers.wireEncoded)
            b.bytes(response.body)
            b.int(response.durationMicros)
            return [("""
                UPDATE requests SET response_status = $2, response_headers = $3, response_body = $4, response_duration_us = $5
                WHERE id = $1
                """, b)]
        case .alert(let kind, let requestID, let source, let message, let at):
            b.int(at.microseconds)
            b.text(kind)
            b.int(requestID)
            b.text(source)
            b.text(message)
            return [("INSERT INTO alerts (at, kind, request_id, source, message) VALUES ($1, $2, $3, $4, $5)", b)]
        case .setSignature(let id, let result):
            b.int(id)
            b.text(result.scheme)
            b.text(result.status.rawValue)
            b.text(result.detail)
            return [("UPDATE requests SET sig_scheme = $2, sig_status = $3, sig_detail = $4 WHERE id = $1", b)]
        case .prune(let before, let oldest, let limit):
            b.int(max(0, limit))
            if oldest {
                return [("""
                    DELETE FROM requests WHERE id IN (
                        SELECT id FROM requests WHERE delivery_state NOT IN ('pending', 'retrying') ORDER BY id LIMIT $1)
                    """, b)]
            }
            guard let before else { return [] }
            b.int(before.receivedAt.microseconds)
            b.int(before.id)
            return [("""
                DELETE FROM requests WHERE id IN (
                    SELECT id FROM requests WHERE (received_at, id) < ($2, $3) AND delivery_state NOT IN ('pending', 'retrying')
                    ORDER BY received_at, id LIMIT $1)
                """, b)]
        case .giveBackSpace:
            return []  // PostgreSQL's autovacuum reuses the space
        case .setMeta(let key, let value):
            b.text(key)
            b.text(value)
            return [("INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", b)]
        case .expect(let e):
            b.text(e.token)
            b.text(e.label)
            b.int(e.createdAt.microseconds)
            b.int(e.deadline?.microseconds)
            b.text(e.url)
            return [("INSERT INTO expectations (token, label, created_at, deadline, url) VALUES ($1, $2, $3, $4, $5)", b)]
        case .expectationAlerted(let token):
            b.text(token)
            return [("UPDATE expectations SET overdue_alerted = true WHERE token = $1", b)]
        case .releaseLeases(let pids, let now):
            // Only this node's processes can be known dead; another node's leases end with their time.
            b.int(now.microseconds)
            b.text(node)
            b.append(pids.map { Int64($0) })
            return [("""
                UPDATE requests SET next_attempt_at = $1, leased_by = NULL, leased_node = NULL
                WHERE leased_node IS NOT DISTINCT FROM $2 AND leased_by = ANY($3) AND delivery_state IN ('pending', 'retrying')
                """, b)]
        }
    }
}
