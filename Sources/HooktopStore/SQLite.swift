import CSQLite
import CWALBuffer

/// A single SQLite connection. Used from one thread at a time: the writer
/// thread owns one, each reader another.
final class SQLiteConnection {
    let path: String
    private(set) var handle: OpaquePointer?

    /// SQLite's process-wide settings, applied once before its first connection.
    private static let configured: Void = {
        _ = hooktop_walbuf_register()
    }()

    /// How long a connection waits for a lock another process holds before the statement fails.
    static let busyMillis: Int32 = 5_000

    /// - bufferedWAL: the writer's connection: a commit's WAL frames go out in one write.
    init(path: String, readOnly: Bool, bufferedWAL: Bool = false) throws(StoreError) {
        Self.configured
        self.path = path
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
            | SQLITE_OPEN_NOMUTEX
        var db: OpaquePointer?
        let rc = sqlite3_open_v2(path, &db, flags, bufferedWAL ? "hooktop-walbuf" : nil)
        guard rc == SQLITE_OK, let db else {
            let reason = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close_v2(db)
            throw .cannotOpen(path, reason)
        }
        handle = db
        // A locked database is tried again every millisecond for up to 5 s:
        // readers while the writer checkpoints, the daemon's writer between
        // the steps of a prune (`StorePruner`).
        csqlite_wait_when_busy(db, Self.busyMillis)
    }

    deinit { close() }

    func close() {
        statements.removeAll()
        recent.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Whether a transaction is open: false once SQLite has rolled one back
    /// by itself (a full disk, an I/O error), whatever the caller began.
    var inTransaction: Bool { handle.map { sqlite3_get_autocommit($0) == 0 } ?? false }

    /// Pages this connection fetched (from its cache or the file) since the
    /// last call, which starts the count over: how much a statement read.
    func takePagesRead() -> Int {
        var hits: Int32 = 0, misses: Int32 = 0, highwater: Int32 = 0
        sqlite3_db_status(handle, SQLITE_DBSTATUS_CACHE_HIT, &hits, &highwater, 1)
        sqlite3_db_status(handle, SQLITE_DBSTATUS_CACHE_MISS, &misses, &highwater, 1)
        return Int(hits) + Int(misses)
    }

    var lastErrorMessage: String { handle.map { String(cString: sqlite3_errmsg($0)) } ?? "closed" }

    /// Runs `body` in a read transaction: every statement in it sees the same commits.
    func snapshot<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN")
        defer { try? execute("COMMIT") }  // a read: nothing to keep or lose
        return try body()
    }

    /// Runs `body` in a write transaction of its own (`BEGIN IMMEDIATE`):
    /// committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try execute("BEGIN IMMEDIATE")
        do throws(StoreError) {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    func execute(_ sql: String, context: String? = nil) throws(StoreError) {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? lastErrorMessage
            sqlite3_free(err)
            throw .sqlite(rc, message, context ?? sql)
        }
    }

    /// Statements this connection has prepared, by their SQL: the one cache
    /// every query and change goes through. Handed out reset.
    private var statements: [String: Statement] = [:]
    /// The last few asked for, searched first: the writer asks for the same
    /// INSERT for every request, and comparing a `static let` String with
    /// itself is a pointer check where hashing it reads its kilobyte
    /// (2.3 % of the writer thread's samples).
    private var recent: [(sql: String, statement: Statement)] = []

    func statement(_ sql: String) throws(StoreError) -> Statement {
        if let hit = recent.first(where: { $0.sql == sql })?.statement {
            hit.reset()
            return hit
        }
        let found: Statement
        if let cached = statements[sql] {
            cached.reset()
            found = cached
        } else {
            // Filters make new SQL; a long session's many filters must not grow the cache without bound.
            if statements.count >= 64 { statements.removeAll() }
            found = try prepare(sql)
            statements[sql] = found
        }
        recent.insert((sql, found), at: 0)
        if recent.count > 4 { recent.removeLast() }
        return found
    }

    /// Runs `body` on the cached statement for `sql` and resets it after, so
    /// no statement holds a read snapshot open between uses.
    func with<T>(_ sql: String, _ body: (Statement) throws(StoreError) -> T) throws(StoreError) -> T {
        let stmt = try statement(sql)
        defer { stmt.reset() }
        return try body(stmt)
    }

    func prepare(_ sql: String) throws(StoreError) -> Statement {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw .sqlite(rc, lastErrorMessage, "prepare") }
        return Statement(stmt, connection: self)
    }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// The first column of the first row; nil for no row or NULL (`min` over no rows).
    func scalarInt(_ sql: String) throws(StoreError) -> Int64? {
        try with(sql) { stmt throws(StoreError) in try stmt.step() ? stmt.optionalInt(Only.value) : nil }
    }
}

/// A prepared statement. Text and blobs are lent to SQLite (read where they
/// are until the next reset) or, past the arena, copied by it.
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

    /// Where bound text is copied for SQLite to read in place until the
    /// next reset (`SQLITE_STATIC`): SQLite's own copy of each value
    /// allocated and freed it again for every row the writer inserts.
    /// Text that does not fit is copied by SQLite as before.
    private static let arenaSize = 4096
    private var arena: UnsafeMutableRawPointer?
    private var arenaUsed = 0

    deinit {
        sqlite3_finalize(stmt)
        arena?.deallocate()
    }

    /// How often SQLite prepared this statement again since it was made (for tests).
    var reprepares: Int { Int(sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_REPREPARE, 0)) }

    /// The parameters bound to bytes in the arena or a caller's (`lentText`, `lentBlob`).
    private var lentSlots: [Int32] = []

    func reset() {
        sqlite3_reset(stmt)
        // Nothing bound may point into the arena or a caller's bytes any
        // more: those parameters are set to NULL, and only those.
        // `sqlite3_clear_bindings` marks any statement whose plan read a
        // bound value as expired, and SQLite prepares it again at its next
        // step: 3.54 did so for the export's query of each request's
        // deliveries, a third of the export's time.
        for slot in lentSlots { sqlite3_bind_null(stmt, slot) }
        lentSlots.removeAll(keepingCapacity: true)
        arenaUsed = 0
        bindFailure = SQLITE_OK
        cursor = 0
    }

    private func check(_ rc: Int32) {
        if rc != SQLITE_OK && bindFailure == SQLITE_OK { bindFailure = rc }
    }

    // Parameters are bound by name (`:received_at` in the SQL); SQLite
    // finds the slot. A name the statement does not have fails its `step`.
    /// Slots found so far, by the address of the name's literal: the insert
    /// runs for every captured request, and SQLite finds a name by comparing strings.
    private var slots: [UnsafeRawPointer: Int32] = [:]
    /// The names in the order the last use bound them: a statement is bound
    /// the same way each time, so the next name is usually the one at `cursor`
    /// and found without hashing.
    private var order: [(name: UnsafeRawPointer, slot: Int32)] = []
    private var cursor = 0

    private func slot(_ name: StaticString) -> Int32 {
        let key = UnsafeRawPointer(name.utf8Start)
        defer { cursor += 1 }
        if cursor < order.count, order[cursor].name == key { return order[cursor].slot }
        if let index = slots[key] { return index }
        let index = name.withUTF8Buffer { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { sqlite3_bind_parameter_index(stmt, $0.baseAddress) }
        }
        if index == 0 { check(SQLITE_RANGE) } else { slots[key] = index }
        if cursor == order.count, index != 0 { order.append((key, index)) }
        return index
    }

    func bind(_ name: StaticString, _ value: Int64) { sqlite3_bind_int64(stmt, slot(name), value) }
    func bind(_ name: StaticString, _ value: Int) { sqlite3_bind_int64(stmt, slot(name), Int64(value)) }
    func bind(_ name: StaticString, _ value: Bool) { sqlite3_bind_int64(stmt, slot(name), value ? 1 : 0) }

    func bind(_ name: StaticString, _ value: Int64?) {
        let index = slot(name)
        if let value { sqlite3_bind_int64(stmt, index, value) } else { sqlite3_bind_null(stmt, index) }
    }

    func bind(_ name: StaticString, _ value: String?) {
        let index = slot(name)
        guard let value else { return _ = sqlite3_bind_null(stmt, index) }
        let lent: Bool? = value.utf8.withContiguousStorageIfAvailable { utf8 in
            guard let base = utf8.baseAddress, utf8.count <= Self.arenaSize - arenaUsed else { return false }
            let arena = self.arena ?? UnsafeMutableRawPointer.allocate(byteCount: Self.arenaSize, alignment: 8)
            self.arena = arena
            let copy = arena + arenaUsed
            copy.copyMemory(from: base, byteCount: utf8.count)
            arenaUsed += utf8.count
            lentSlots.append(index)
            check(sqlite3_bind_text64(stmt, index, copy.assumingMemoryBound(to: CChar.self), UInt64(utf8.count), nil, UInt8(SQLITE_UTF8)))
            return true
        }
        if lent != true { bind(at: index, .text(value)) }
    }
    func bind(_ name: StaticString, blob: [UInt8]) { bind(at: slot(name), .blob(blob)) }

    /// Binds bytes SQLite reads where they are, without its copy: only
    /// while they stay valid, so the caller steps inside the closure that
    /// lent them (the statement's next `reset` forgets them).
    func bind(_ name: StaticString, lentText bytes: UnsafeRawBufferPointer) {
        let index = slot(name)
        lentSlots.append(index)
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            return check(sqlite3_bind_text(stmt, index, "", 0, nil))
        }
        check(sqlite3_bind_text64(stmt, index, base.assumingMemoryBound(to: CChar.self), UInt64(bytes.count), nil, UInt8(SQLITE_UTF8)))
    }

    /// The same for a blob (an empty one is still a blob, not NULL).
    func bind(_ name: StaticString, lentBlob bytes: UnsafeRawBufferPointer) {
        let index = slot(name)
        lentSlots.append(index)
        check(sqlite3_bind_blob64(stmt, index, bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(bytes.count), nil))
    }

    /// Binds the parameter numbered `index` (`?3`): only for SQL whose
    /// parameters are generated with their values (`FilterSQL`).
    func bind(at index: Int32, _ value: SQLValue) {
        switch value {
        case .null:
            sqlite3_bind_null(stmt, index)
        case .int(let v):
            sqlite3_bind_int64(stmt, index, v)
        case .text(let v) where v.isEmpty:
            sqlite3_bind_text(stmt, index, "", 0, csqlite_transient())
        case .text(let v):
            var copy = v
            let rc = copy.withUTF8 { utf8 in
                utf8.withMemoryRebound(to: CChar.self) { chars in
                    sqlite3_bind_text64(stmt, index, chars.baseAddress, UInt64(chars.count), csqlite_transient(), UInt8(SQLITE_UTF8))
                }
            }
            check(rc)
        case .blob(let v):
            let rc = v.withUnsafeBytes { raw in
                // A zero-length blob must still be a blob, not NULL.
                sqlite3_bind_blob64(stmt, index, raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1), UInt64(raw.count), csqlite_transient())
            }
            check(rc)
        }
    }

    /// Steps once: true while rows come, false when done.
    @discardableResult
    func step() throws(StoreError) -> Bool {
        guard bindFailure == SQLITE_OK else {
            throw .sqlite(bindFailure, bindFailure == SQLITE_RANGE ? "no such parameter" : "a value is larger than SQLite keeps", "bind")
        }
        let rc = sqlite3_step(stmt)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw .sqlite(rc, connection.lastErrorMessage, "step")
        }
    }

    // Columns are read by a field of the query's own column list (see
    // `RequestField`), or by 0 for one-column queries.
    func isNull(_ col: some ResultColumn) -> Bool { sqlite3_column_type(stmt, col.rawValue) == SQLITE_NULL }
    func int(_ col: some ResultColumn) -> Int64 { sqlite3_column_int64(stmt, col.rawValue) }
    func optionalInt(_ col: some ResultColumn) -> Int64? { isNull(col) ? nil : int(col) }

    func text(_ col: some ResultColumn) -> String? {
        guard let ptr = sqlite3_column_text(stmt, col.rawValue) else { return nil }
        let count = Int(sqlite3_column_bytes(stmt, col.rawValue))
        return String(decoding: UnsafeBufferPointer(start: ptr, count: count), as: UTF8.self)
    }

    func blob(_ col: some ResultColumn) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(stmt, col.rawValue))
        guard count > 0, let ptr = sqlite3_column_blob(stmt, col.rawValue) else { return [] }
        return Array(UnsafeRawBufferPointer(start: ptr, count: count))
    }
}

/// A value to bind.
enum SQLValue {
    case null
    case int(Int64)
    case text(String)
    case blob([UInt8])
}

/// A column of a query's result, named by the query's own list of fields.
protocol ResultColumn {
    var rawValue: Int32 { get }
}

/// The only column of a one-column query (`count(*)`, `max(id)`).
enum Only: Int32, ResultColumn { case value = 0 }
