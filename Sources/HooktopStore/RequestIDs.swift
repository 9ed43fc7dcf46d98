/// An id names one request for good: `hooktop show 1234` in a ticket must
/// never come to mean another request, and the delivery index (which finds
/// a provider's retries) takes every new id to be larger than the last.
///
/// SQLite gives a new row one more than the largest id in the table, so once
/// the newest requests are deleted (a prune of everything, or of everything
/// older than a quiet week) their ids would be given again. Whatever deletes
/// requests first records the largest id given so far in `meta`; a writer
/// that finds that mark above every stored id gives its next request the id
/// after the mark, and SQLite counts on from there. (PostgreSQL's sequence
/// never goes back by itself.) An `AUTOINCREMENT` table would do the same
/// by rewriting its counter in every commit, and would have meant copying
/// every stored request into a new table.
enum RequestIDs {
    static let highWaterKey = "requests_high_water"

    /// Before deleting requests, in the same transaction: the largest id
    /// given so far is remembered (the mark only ever goes up). `max(id)`
    /// alone in its query is a seek to the table's last row; with a HAVING
    /// clause, or in a FROM, SQLite read every row for it.
    static func keepHighWater(_ db: SQLiteConnection) throws(StoreError) {
        try db.execute("""
            INSERT INTO meta (key, value) SELECT '\(highWaterKey)', (SELECT max(id) FROM requests) WHERE EXISTS (SELECT 1 FROM requests)
            ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))
            """, context: "keeping the largest request id")
    }

    /// The id the next request must take, inside a write transaction: nil
    /// when SQLite's own choice is new (no mark, or a stored id as large),
    /// or when the mark is the largest id there can be (SQLite then finds
    /// an unused one itself).
    static func next(_ db: SQLiteConnection) throws(StoreError) -> Int64? {
        let mark = try db.scalarInt("""
            SELECT CAST(value AS INTEGER) FROM meta WHERE key = '\(highWaterKey)'
              AND CAST(value AS INTEGER) > coalesce((SELECT max(id) FROM requests), 0)
            """)
        guard let mark, mark >= 0 else { return nil }
        let (next, overflow) = mark.addingReportingOverflow(1)
        return overflow ? nil : next
    }
}

/// Deleting requests, the one way every SQLite path does it: the largest id
/// is remembered first, in the same transaction (`RequestIDs`).
extension SQLiteConnection {
    /// Runs `delete` (which deletes requests and returns how many went) in a
    /// transaction of its own that first keeps the largest id given.
    func deletingRequests(_ delete: () throws(StoreError) -> Int) throws(StoreError) -> Int {
        try transaction { () throws(StoreError) in
            try RequestIDs.keepHighWater(self)
            return try delete()
        }
    }
}
