import CSQLite

/// A single SQLite connection. Used from one thread at a time: the writer
/// thread owns one, each reader another.
final class SQLiteConnection {
    let path: String
    private(set) var handle: OpaquePointer?

    init(path: String, readOnly: Bool) throws(StoreError) {
        self.path = path
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let reason = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw .cannotOpen(path, reason)
        }
        handle = db
        // Readers wait briefly rather than failing while the writer checkpoints.
        sqlite3_busy_timeout(db, 5_000)
    }

    deinit { close() }

    func close() {
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    var lastErrorMessage: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed" }

    func execute(_ sql: String, context: String? = nil) throws(StoreError) {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(err)
            throw .sqlite(rc, message, context ?? sql)
        }
    }

    func prepare(_ sql: String) throws(StoreError) -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw .sqlite(rc, lastErrorMessage, "prepare") }
        return Statement(stmt, connection: self)
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Rows of a one-column integer query.
    func scalarInt(_ sql: String) throws(StoreError) -> Int64? {
        let stmt = try prepare(sql)
        return try stmt.step() ? stmt.int(0) : nil
    }
}

/// A prepared statement. Bound text and blobs are copied by SQLite.
final class Statement {
    private let stmt: OpaquePointer
    private unowned let connection: SQLiteConnection

    init(_ stmt: OpaquePointer, connection: SQLiteConnection) {
        self.stmt = stmt
        self.connection = connection
    }

    /// The first bind that SQLite refused since the last reset (a value over
    /// its size limit): `step` fails with it instead of storing NULL.
    private var bindFailure: Int32 = SQLITE_OK

    deinit { sqlite3_finalize(stmt) }

    func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
        bindFailure = SQLITE_OK
    }

    private func check(_ rc: Int32) {
        if rc != SQLITE_OK && bindFailure == SQLITE_OK { bindFailure = rc }
    }

    func bind(_ index: Int32, _ value: Int64) { sqlite3_bind_int64(stmt, index, value) }
    func bind(_ index: Int32, _ value: Int) { sqlite3_bind_int64(stmt, index, Int64(value)) }
    func bind(_ index: Int32, _ value: Bool) { sqlite3_bind_int(stmt, index, value ? 1 : 0) }
    func bindNull(_ index: Int32) { sqlite3_bind_null(stmt, index) }

    func bind(_ index: Int32, _ value: String?) {
        guard let value else { return bindNull(index) }
        guard !value.isEmpty else {
            sqlite3_bind_text(stmt, index, "", 0, csqlite_transient())
            return
        }
        var copy = value
        let rc = copy.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                sqlite3_bind_text64(stmt, index, chars.baseAddress, UInt64(chars.count), csqlite_transient(), UInt8(SQLITE_UTF8))
            }
        }
        check(rc)
    }

    func bind(_ index: Int32, blob: [UInt8]) {
        let rc = blob.withUnsafeBytes { raw in
            // A zero-length blob must still be a blob, not NULL.
            sqlite3_bind_blob64(stmt, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(raw.count), csqlite_transient())
        }
        check(rc)
    }

    /// Steps once: true while rows come, false when done.
    @discardableResult
    func step() throws(StoreError) -> Bool {
        guard bindFailure == SQLITE_OK else { throw .sqlite(bindFailure, "a value is larger than SQLite keeps", "bind") }
        let rc = sqlite3_step(stmt)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw .sqlite(rc, connection.lastErrorMessage, "step")
        }
    }

    func isNull(_ col: Int32) -> Bool { sqlite3_column_type(stmt, col) == SQLITE_NULL }
    func int(_ col: Int32) -> Int64 { sqlite3_column_int64(stmt, col) }

    func text(_ col: Int32) -> String? {
        guard let ptr = sqlite3_column_text(stmt, col) else { return nil }
        let count = Int(sqlite3_column_bytes(stmt, col))
        return String(decoding: UnsafeBufferPointer(start: ptr, count: count), as: UTF8.self)
    }

    func blob(_ col: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(stmt, col))
        guard count > 0, let ptr = sqlite3_column_blob(stmt, col) else { return [] }
        return Array(UnsafeRawBufferPointer(start: ptr, count: count))
    }
}
