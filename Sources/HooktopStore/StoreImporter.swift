import HooktopCore

/// Inserts many requests (with their delivery attempts) outside the capture
/// path, for `hooktop import`: one transaction per thousand rows.
public final class StoreImporter {
    private let db: SQLiteConnection
    private let insert: Statement
    private let insertAttempt: Statement
    private let sameRequest: Statement
    private var inTransaction = 0
    public private(set) var imported = 0

    public init(_ config: StoreConfiguration) throws(StoreError) {
        db = try Store.openForWriting(config)
        insert = try db.prepare(RequestRows.insertSQL)
        insertAttempt = try db.prepare(RequestRows.insertAttemptSQL)
        sameRequest = try db.prepare("""
            SELECT count(*) FROM requests WHERE received_at = ? AND method = ? AND target = ? AND headers = ? AND body = ?
            """)
    }

    /// Whether this very request (same time to the microsecond, method,
    /// target, headers and body) is stored already: importing a file twice
    /// adds nothing the second time.
    public func contains(_ r: CapturedRequest) throws(StoreError) -> Bool {
        sameRequest.reset()
        sameRequest.bind(1, r.receivedAt.microseconds)
        sameRequest.bind(2, r.method)
        sameRequest.bind(3, r.target)
        sameRequest.bind(4, r.headers.wireEncoded)
        sameRequest.bind(5, blob: r.body)
        defer { sameRequest.reset() }
        return try sameRequest.step() && sameRequest.int(0) > 0
    }

    /// Adds one request; returns its new id. A duplicate delivery id is
    /// recomputed from the headers and body, as the daemon would.
    @discardableResult
    public func add(_ request: CapturedRequest) throws(StoreError) -> Int64 {
        if inTransaction == 0 { try db.execute("BEGIN IMMEDIATE") }
        var r = request
        r.deliveryID = r.deliveryID ?? DeliveryID.extract(headers: r.headers, body: r.body)
        insert.reset()
        RequestRows.bindInsert(insert, r)
        try insert.step()
        let id = db.lastInsertRowID
        for attempt in r.deliveries {
            insertAttempt.reset()
            RequestRows.bindAttempt(insertAttempt, attempt, requestID: id)
            try insertAttempt.step()
        }
        inTransaction += 1
        imported += 1
        if inTransaction >= 1000 { try commit() }
        return id
    }

    /// Commits what is pending. Call once at the end.
    public func finish() throws(StoreError) {
        if inTransaction > 0 { try commit() }
        db.close()
    }

    private func commit() throws(StoreError) {
        insert.reset()
        insertAttempt.reset()
        try db.execute("COMMIT")
        inTransaction = 0
    }
}
