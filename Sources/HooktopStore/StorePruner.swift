#if canImport(Glibc)
import Glibc
#endif
import HooktopCore

/// `hooktop prune`: removes old requests and their attempts, beside a live
/// daemon. One transaction for a million requests held the daemon's commits
/// for 15 s (its senders got 503 after 5), so the requests go in steps of
/// `rowsPerStep`, each its own transaction with a pause after it in which
/// the daemon's writer (which tries every millisecond) stores what came
/// meanwhile; then the freed pages go back to the file system, in steps too.
/// The daemon's own retention takes the same steps, as commits of its writer.
public enum StorePruner {
    /// Requests deleted in one transaction (about 8 ms of the write lock).
    public static let rowsPerStep = 500
    /// Free pages given back in one transaction (about 20 ms; 100,000 at once took 4.6 s).
    public static let pagesPerStep = 500
    /// After each step: room for a waiting writer's next try.
    static let pauseMicros: useconds_t = 3_000

    /// Deletes requests received before `cutoff`. Returns how many went.
    public static func prune(path: String, receivedBefore cutoff: Timestamp) throws(StoreError) -> Int {
        let db = try Store.openExisting(path)
        let removed = try inSteps(db, "DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE received_at < :cutoff LIMIT :step)") {
            $0.bind(":cutoff", cutoff.microseconds)
        }
        try giveBackSpace(db)
        return removed
    }

    /// Keeps the newest `keep` requests (as the prune began; what comes meanwhile stays too), deletes the rest.
    public static func prune(path: String, keep: Int) throws(StoreError) -> Int {
        let db = try Store.openExisting(path)
        let last = try db.with("SELECT id FROM requests ORDER BY id DESC LIMIT 1 OFFSET :keep") { s throws(StoreError) -> Int64? in
            s.bind(":keep", max(keep, 0))
            return try s.step() ? s.int(Only.value) : nil
        }
        guard let last else { return 0 }
        let removed = try inSteps(db, "DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE id <= :last ORDER BY id LIMIT :step)") {
            $0.bind(":last", last)
        }
        try giveBackSpace(db)
        return removed
    }

    /// Runs `sql` (a DELETE of at most `:step` requests) until it deletes fewer.
    private static func inSteps(_ db: SQLiteConnection, _ sql: String, _ bind: (Statement) -> Void) throws(StoreError) -> Int {
        var removed = 0
        while true {
            let n = try db.deletingRequests { () throws(StoreError) in
                try db.with(sql) { s throws(StoreError) in
                    bind(s)
                    s.bind(":step", rowsPerStep)
                    try s.step()
                    return db.changes
                }
            }
            removed += n  // at most the rows the file held
            if n < rowsPerStep { return removed }
            usleep(pauseMicros)
        }
    }

    /// The pages that deleting freed go back to the file system (SQLite's
    /// incremental vacuum), `pagesPerStep` a transaction. A file made without
    /// incremental vacuum keeps them for new requests instead. The file is
    /// cut once the WAL is copied back: a passive checkpoint at the end does
    /// that now when it can (it never waits for the daemon).
    static func giveBackSpace(_ db: SQLiteConnection) throws(StoreError) {
        var free = try db.scalarInt("PRAGMA freelist_count") ?? 0
        defer { try? db.execute("PRAGMA wal_checkpoint(PASSIVE)") }
        while free > 0 {
            try db.transaction { () throws(StoreError) in try db.execute("PRAGMA incremental_vacuum(\(pagesPerStep))") }
            let left = try db.scalarInt("PRAGMA freelist_count") ?? 0
            if left >= free { return }
            free = left
            usleep(pauseMicros)
        }
    }
}
