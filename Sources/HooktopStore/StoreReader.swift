import HooktopCore

/// Reads captured requests. Runs beside a writer (in this or another
/// process) without blocking it: WAL readers see the last commit.
/// One reader per thread.
public final class StoreReader {
    private let db: SQLiteConnection
    public var path: String { db.path }

    /// Opens an existing database; a missing file is `StoreError.notFound`.
    public init(path: String) throws(StoreError) {
        db = try Store.openExisting(path)
    }

    /// Newest first. `limit` 0 means all. Bodies are only read when asked for.
    public func list(limit: Int, includeBodies: Bool = false, includeDeliveries: Bool = false) throws(StoreError) -> [CapturedRequest] {
        let sql = RequestRows.selectSQL(withBody: includeBodies) + " ORDER BY id DESC LIMIT ?"
        let stmt = try db.prepare(sql)
        stmt.bind(1, limit > 0 ? Int64(limit) : -1)
        var rows: [CapturedRequest] = []
        while try stmt.step() { rows.append(RequestRows.decode(stmt)) }
        if includeDeliveries {
            for i in rows.indices { rows[i].deliveries = try deliveries(of: rows[i].id) }
        }
        return rows
    }

    /// One request with its body and delivery attempts.
    public func request(id: Int64) throws(StoreError) -> CapturedRequest {
        let stmt = try db.prepare(RequestRows.selectSQL(withBody: true) + " WHERE id = ?")
        stmt.bind(1, id)
        guard try stmt.step() else { throw .noSuchRequest(id) }
        var request = RequestRows.decode(stmt)
        request.deliveries = try deliveries(of: id)
        return request
    }

    public func deliveries(of id: Int64) throws(StoreError) -> [DeliveryAttempt] {
        let stmt = try db.prepare(RequestRows.deliveriesSQL)
        stmt.bind(1, id)
        var attempts: [DeliveryAttempt] = []
        while try stmt.step() { attempts.append(RequestRows.decodeAttempt(stmt)) }
        return attempts
    }

    public func count() throws(StoreError) -> Int {
        Int(try db.scalarInt("SELECT count(*) FROM requests") ?? 0)
    }

    /// The newest id, or 0 for an empty database. Cheap: reads the rowid b-tree's end.
    public func maxID() throws(StoreError) -> Int64 {
        try db.scalarInt("SELECT coalesce(max(id), 0) FROM requests") ?? 0
    }
}

/// Removes old requests and their attempts. Runs beside a live writer: SQLite's
/// lock and the busy timeout make it wait for the writer's current batch.
public enum StorePruner {
    /// Deletes requests received before `cutoff`. Returns how many went.
    public static func prune(path: String, receivedBefore cutoff: Timestamp) throws(StoreError) -> Int {
        let db = try Store.openExisting(path)
        let stmt = try db.prepare("DELETE FROM requests WHERE received_at < ?")
        stmt.bind(1, cutoff.microseconds)
        try stmt.step()
        return db.changes
    }

    /// Keeps the newest `keep` requests, deletes the rest.
    public static func prune(path: String, keep: Int) throws(StoreError) -> Int {
        let db = try Store.openExisting(path)
        let stmt = try db.prepare("DELETE FROM requests WHERE id <= (SELECT id FROM requests ORDER BY id DESC LIMIT 1 OFFSET ?)")
        stmt.bind(1, Int64(max(keep, 0)))
        try stmt.step()
        return db.changes
    }
}
