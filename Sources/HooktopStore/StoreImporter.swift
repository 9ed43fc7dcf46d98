import HooktopCore

/// Inserts many requests (with their delivery attempts) outside the capture
/// path, for `hooktop import`: one transaction per thousand rows.
public final class StoreImporter: StoreImporting {
    private let db: SQLiteConnection
    private let duplicates: DeliveryIndex
    /// Requests added since the last commit.
    private var inTransaction = 0
    /// The id the next request must take after the newest were deleted (`RequestIDs`).
    private var nextID: Int64?
    /// Requests committed: a request counts once its transaction has.
    public private(set) var imported = 0

    public init(_ config: StoreConfiguration) throws(StoreError) {
        db = try Store.openForWriting(config)
        duplicates = try DeliveryIndex(db)
    }

    /// Whether this very request (same time to the microsecond, method,
    /// target, headers and body) is stored already: importing a file twice
    /// adds nothing the second time.
    public func contains(_ r: CapturedRequest) throws(StoreError) -> Bool {
        try db.with("""
            SELECT count(*) FROM requests
            WHERE received_at = :received_at AND method = :method AND target = :target AND headers = :headers AND body = :body
            """) { s throws(StoreError) in
            s.bind(":received_at", r.receivedAt.microseconds)
            s.bind(":method", r.method)
            s.bind(":target", r.target)
            s.bind(":headers", r.headers.wireEncoded)
            s.bind(":body", blob: r.body)
            return try s.step() && s.int(Only.value) > 0
        }
    }

    /// Adds one request; returns its new id. A duplicate delivery id is
    /// recomputed from the headers and body, as the daemon would.
    @discardableResult
    public func add(_ request: CapturedRequest) throws(StoreError) -> Int64 {
        if inTransaction == 0 {
            try db.execute("BEGIN IMMEDIATE")
            try duplicates.began(db)
            nextID = try RequestIDs.next(db)
        }
        var r = request
        r.deliveryID = r.deliveryID ?? DeliveryID.extract(headers: r.headers, body: r.body)
        let id = try RequestRows.insert(r, into: db, duplicates: duplicates, id: nextID)
        nextID = nil
        for attempt in r.deliveries {
            try db.with(RequestRows.insertAttemptSQL) { s throws(StoreError) in
                RequestRows.bindAttempt(s, attempt, requestID: id, numbered: true)
                try s.step()
            }
        }
        inTransaction += 1
        if inTransaction >= 1000 { try commit() }
        return id
    }

    /// Commits what is pending, with every delivery key it holds. Call once
    /// at the end, also after an error (what was added before it stays).
    public func finish() throws(StoreError) {
        defer { db.close() }
        // SQLite rolled the open transaction back by itself: the keys held
        // name rows that are not there, and folding them would mark ids as
        // covered that the next rows will take. Nothing is left to commit,
        // and its rows were never imported.
        if inTransaction > 0 && !db.inTransaction { return }
        if inTransaction == 0 {
            try db.execute("BEGIN IMMEDIATE")
            try duplicates.began(db)
        }
        try duplicates.foldAll(db)
        try committed()
    }

    private func commit() throws(StoreError) {
        try duplicates.foldSlice(db)
        try committed()
    }

    private func committed() throws(StoreError) {
        try db.execute("COMMIT")
        imported += inTransaction
        inTransaction = 0
    }
}
