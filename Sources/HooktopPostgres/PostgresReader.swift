import HooktopCore
import HooktopStore
import NIOConcurrencyHelpers
import PostgresNIO

/// Reads requests from PostgreSQL on its own connection. `dataVersion` is
/// fed by LISTEN/NOTIFY: every writer's commit signals it, so the
/// dashboard learns of another daemon's requests without polling the table.
final class PostgresReader: StoreReading {
    private var connection: PGConnection
    private let reconnect: () throws(StoreError) -> PGConnection
    private let node: String?
    private let changes = NIOLockedValueBox<Int64>(0)
    private var listening = false

    init(_ db: PGConnection, node: String?, reconnect: @escaping () throws(StoreError) -> PGConnection) {
        self.connection = db
        self.node = node
        self.reconnect = reconnect
    }

    deinit { connection.close() }

    /// The connection, opened again if the server dropped it (a restart): a
    /// dashboard left open carries on. Notifications missed meanwhile count
    /// as a change, so it reads again.
    private var db: PGConnection {
        get throws(StoreError) {
            guard connection.isClosed else { return connection }
            connection = try reconnect()
            if listening {
                listening = false
                _ = try dataVersion()
                changes.withLockedValue { $0 += 1 }
            }
            return connection
        }
    }

    /// A page at a time, keyset on the id: memory stays flat however many
    /// match, and the caller's work never runs on the connection's event loop.
    func forEach(_ query: StoreQuery, _ body: (CapturedRequest) throws -> Void) throws(StoreError) {
        let page = query.includeBodies ? 16 : 500  // bodies may be up to 512 MiB each
        var remaining = query.limit > 0 ? query.limit : Int.max
        var beyond = query.beyondID
        while remaining > 0 {
            var sql = PostgresFilterSQL(now: query.now)
            var conditions: [String] = []
            if let filter = query.filter { conditions.append(sql.condition(filter)) }
            if let beyond { conditions.append("id \(query.newestFirst ? "<" : ">") \(beyond)") }
            var text = PostgresRows.selectSQL(withBody: query.includeBodies)
            if !conditions.isEmpty { text += " WHERE " + conditions.joined(separator: " AND ") }
            let asked = min(page, remaining)
            text += " ORDER BY id \(query.newestFirst ? "DESC" : "ASC") LIMIT \(asked)"
            let rows = try db.query(text, sql.bindings, context: "reading requests")
            for row in rows {
                var request = PostgresRows.decode(row)
                if query.includeDeliveries { request.deliveries = try deliveries(of: request.id) }
                do { try body(request) } catch { throw StoreError.aborted("\(error)") }
                beyond = request.id
            }
            remaining -= rows.count
            if rows.count < asked { break }
        }
    }

    func count(filter: Filter?, now: Timestamp) throws(StoreError) -> Int {
        if filter == nil { return try total() }
        var sql = PostgresFilterSQL(now: now)
        let condition = filter.map { " WHERE " + sql.condition($0) } ?? ""
        return Int(try scalar("SELECT count(*) FROM requests" + condition, sql.bindings) ?? 0)
    }

    func request(id: Int64) throws(StoreError) -> CapturedRequest {
        var b = PostgresBindings()
        b.int(id)
        guard let row = try db.query(PostgresRows.selectSQL(withBody: true) + " WHERE id = $1", b, context: "reading a request").first else {
            throw .noSuchRequest(id)
        }
        var request = PostgresRows.decode(row)
        request.deliveries = try deliveries(of: id)
        return request
    }

    func deliveries(of id: Int64) throws(StoreError) -> [DeliveryAttempt] {
        var b = PostgresBindings()
        b.int(id)
        return try db.query(PostgresRows.deliveriesSQL, b, context: "reading attempts").map(PostgresRows.decodeAttempt)
    }

    func count() throws(StoreError) -> Int { Int(try scalar("SELECT count(*) FROM requests") ?? 0) }

    /// The last full count, and the newest id it covered.
    private var counted: (upTo: Int64, total: Int, at: ContinuousClock.Instant)?

    /// How many requests there are, for the dashboard (its count and header).
    /// PostgreSQL counts by reading the whole table (66 ms at a million
    /// rows), too slow for a dashboard that asks after every commit: between full counts, at most 10 s apart, only the
    /// rows past the last counted id are counted (ids are given out in commit
    /// order, `PostgresSchema.insertLock`). Requests pruned meanwhile show at
    /// the next full count.
    private func total() throws(StoreError) -> Int {
        let now = ContinuousClock.now
        // What is carried over from the last full count, if it is recent enough.
        let base = counted.flatMap { now - $0.at < .seconds(10) ? $0 : nil }
        var b = PostgresBindings()
        b.int(base?.upTo ?? 0)
        guard let row = try db.query("SELECT count(*), coalesce(max(id), $1) FROM requests WHERE id > $1", b, context: "counting requests")
            .first.map(PGRow.init) else { return 0 }
        let total = (base?.total ?? 0) + (Int(exactly: row.int(0)) ?? 0)
        counted = (row.int(1), total, base?.at ?? now)
        return total
    }


    func maxID() throws(StoreError) -> Int64 { try scalar("SELECT coalesce(max(id), 0) FROM requests") ?? 0 }

    /// Counts the notifications heard; the first call starts listening.
    func dataVersion() throws(StoreError) -> Int64 {
        if !listening {
            let changes = self.changes
            let db = try self.db
            db.connection.addListener(channel: PostgresSchema.channel) { _, _ in changes.withLockedValue { $0 += 1 } }
            try db.query("LISTEN \(PostgresSchema.channel)", context: "listening for changes")
            listening = true
        }
        return changes.withLockedValue { $0 }
    }

    /// All from one snapshot (a read-only REPEATABLE READ transaction).
    func headerCounts(since: Timestamp) throws(StoreError) -> HeaderCounts {
        try snapshot(context: "counting requests") { () throws(StoreError) in try counts(since: since) }
    }

    private func counts(since: Timestamp) throws(StoreError) -> HeaderCounts {
        var b = PostgresBindings()
        b.int(since.microseconds)
        var counts = HeaderCounts()
        counts.total = try total()
        counts.lastID = counted?.upTo ?? 0
        let row = try db.query("""
            SELECT (SELECT count(*) FROM requests WHERE \(CountedSets.badSignatures)),
                   (SELECT count(*) FROM requests WHERE \(CountedSets.failingDeliveries))
            """, context: "counting requests").first.map(PGRow.init)
        counts.signatureFailures = Int(exactly: row?.int(0) ?? 0) ?? 0
        counts.failingDeliveries = Int(exactly: row?.int(1) ?? 0) ?? 0
        for r in try db.query("SELECT received_at / 1000000, count(*) FROM requests WHERE received_at >= $1 GROUP BY 1", b,
                              context: "counting requests") {
            let c = PGRow(r)
            counts.perSecond[c.int(0)] = Int(exactly: c.int(1)) ?? 0
        }
        return counts
    }

    func arrivals(after id: Int64, filter: Filter?, now: Timestamp) throws(StoreError) -> Arrivals {
        try snapshot(context: "counting new requests") { () throws(StoreError) in try counted(after: id, filter: filter, now: now) }
    }

    /// Runs `body` in a read-only REPEATABLE READ transaction: every query in it sees the same commits.
    private func snapshot<T>(context: String, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        try db.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", context: context)
        defer { _ = try? db.query("COMMIT", context: context) }
        return try body()
    }

    private func counted(after id: Int64, filter: Filter?, now: Timestamp) throws(StoreError) -> Arrivals {
        var b = PostgresBindings()
        b.int(id)
        var arrivals = Arrivals(lastID: id)
        for r in try db.query("""
            SELECT received_at / 1000000, count(*), count(*) FILTER (WHERE \(CountedSets.badSignatures)), max(id)
            FROM requests WHERE id > $1 GROUP BY 1
            """, b, context: "counting new requests") {
            let c = PGRow(r)
            let n = Int(exactly: c.int(1)) ?? 0
            arrivals.perSecond[c.int(0), default: 0] += n
            arrivals.count += n
            arrivals.signatureFailures += Int(exactly: c.int(2)) ?? 0
            arrivals.lastID = max(arrivals.lastID, c.int(3))
        }
        if let filter {
            var sql = PostgresFilterSQL(now: now)
            let condition = sql.condition(filter)
            var binds = sql.bindings
            binds.int(id)
            arrivals.matching = Int(try scalar("SELECT count(*) FROM requests WHERE (\(condition)) AND id > $\(sql.nextParameter)", binds) ?? 0)
        }
        return arrivals
    }

    func dueDeliveries(now: Timestamp, limit: Int) throws(StoreError) -> [CapturedRequest] {
        var b = PostgresBindings()
        b.int(now.microseconds)
        b.int(limit)
        return try db.query(PostgresRows.selectSQL(withBody: true) + """
             WHERE delivery_state IN ('pending', 'retrying') AND next_attempt_at <= $1 AND target_url IS NOT NULL
             ORDER BY next_attempt_at LIMIT $2
            """, b, context: "reading due deliveries").map(PostgresRows.decode)
    }

    func oldestReceived(since: Timestamp) throws(StoreError) -> Timestamp? {
        var b = PostgresBindings()
        b.int(since.microseconds)
        return try scalar("SELECT min(received_at) FROM requests WHERE received_at >= $1", b).map(Timestamp.init(microseconds:))
    }

    func position(ofNewest n: Int) throws(StoreError) -> ArrivalPosition? {
        guard n > 0 else { return nil }
        var b = PostgresBindings()
        b.int(Int64(n - 1))
        let sql = "SELECT received_at, id FROM requests ORDER BY received_at DESC, id DESC LIMIT 1 OFFSET $1"
        guard let row = try db.query(sql, b, context: "reading retention's cut").first.map(PGRow.init),
              let receivedAt = row.optionalInt(0), let id = row.optionalInt(1) else { return nil }
        return ArrivalPosition(receivedAt: Timestamp(microseconds: receivedAt), id: id)
    }

    /// Only this node's: a process on another machine cannot be checked, its
    /// leases end when their time does.
    func leaseHolders() throws(StoreError) -> [Int32] {
        var b = PostgresBindings()
        b.text(node)
        return try db.query("""
            SELECT DISTINCT leased_by FROM requests
            WHERE leased_by IS NOT NULL AND leased_node IS NOT DISTINCT FROM $1 AND delivery_state IN ('pending', 'retrying')
            """, b, context: "reading leases").compactMap { PGRow($0).optionalInt(0).flatMap { Int32(exactly: $0) } }
    }

    func activeAlert(now: Timestamp, recentMicros: Int64) throws(StoreError) -> StoredAlert? {
        var b = PostgresBindings()
        b.int(now.microseconds.saturatingSubtracting(recentMicros))
        return try db.query("""
            SELECT a.at, a.kind, a.message FROM alerts a
            WHERE (a.kind = 'delivery_failed' AND EXISTS (SELECT 1 FROM requests r WHERE r.id = a.request_id AND r.delivery_state = 'failed'))
               OR (a.kind <> 'delivery_failed' AND a.at >= $1)
            ORDER BY a.id DESC LIMIT 1
            """, b, context: "reading alerts").first.map(Self.alert)
    }

    func alerts(limit: Int) throws(StoreError) -> [StoredAlert] {
        var b = PostgresBindings()
        b.int(limit)
        return try db.query("SELECT at, kind, message FROM alerts ORDER BY id DESC LIMIT $1", b, context: "reading alerts").map(Self.alert)
    }

    private static func alert(_ row: PostgresRow) -> StoredAlert {
        let c = PGRow(row)
        return (Timestamp(microseconds: c.int(0)), c.text(1) ?? "", c.text(2) ?? "")
    }

    func deliveryStamp(id: Int64) throws(StoreError) -> String {
        var b = PostgresBindings()
        b.int(id)
        return try db.query("""
            SELECT delivery_state || '/' || scheduled_attempts || '/' || coalesce(next_attempt_at, 0) || '/'
                   || (SELECT count(*) FROM deliveries d WHERE d.request_id = requests.id)
            FROM requests WHERE id = $1
            """, b, context: "reading a delivery").first.flatMap { PGRow($0).text(0) } ?? "gone"
    }

    private static let expectationsSQL = """
        SELECT e.token, e.label, e.created_at, e.deadline, e.url,
               (SELECT string_agg(r.id::text, ',') FROM requests r WHERE r.label = e.label AND substr(r.target, 1, 36) = '/cb/' || e.token),
               (SELECT min(r.received_at) FROM requests r WHERE r.label = e.label AND substr(r.target, 1, 36) = '/cb/' || e.token)
        FROM expectations e
        """

    func expectations() throws(StoreError) -> [Expectation] {
        try db.query(Self.expectationsSQL + " ORDER BY e.id DESC", context: "reading expectations").map(Self.expectation)
    }

    func overdueUnalerted(now: Timestamp) throws(StoreError) -> [Expectation] {
        var b = PostgresBindings()
        b.int(now.microseconds)
        return try db.query(Self.expectationsSQL + " WHERE NOT e.overdue_alerted AND e.deadline < $1", b, context: "reading expectations")
            .map(Self.expectation).filter { $0.state(now: now) == .overdue && $0.callbacks.isEmpty }
    }

    private static func expectation(_ row: PostgresRow) -> Expectation {
        let c = PGRow(row)
        return Expectation(token: c.text(0) ?? "", label: c.text(1) ?? "", createdAt: Timestamp(microseconds: c.int(2)),
                           deadline: c.optionalInt(3).map(Timestamp.init(microseconds:)), url: c.text(4) ?? "",
                           callbacks: (c.text(5) ?? "").split(separator: ",").compactMap { Int64($0) }.sorted(),
                           firstCallbackAt: c.optionalInt(6).map(Timestamp.init(microseconds:)))
    }

    /// What the stored rows take. Not the tables' size on disk: that only
    /// shrinks after a VACUUM FULL, so retention by `max_size` would go on
    /// deleting what it had just made room for.
    func liveBytes() throws(StoreError) -> Int64 {
        try scalar("""
            SELECT (SELECT coalesce(sum(pg_column_size(r.*)), 0) FROM requests r)::bigint
                 + (SELECT coalesce(sum(pg_column_size(d.*)), 0) FROM deliveries d)::bigint
            """) ?? 0
    }

    func failingDeliveries() throws(StoreError) -> Int {
        Int(try scalar("SELECT count(*) FROM requests WHERE " + CountedSets.failingDeliveries) ?? 0)
    }

    func meta(_ key: String) throws(StoreError) -> String? {
        var b = PostgresBindings()
        b.text(key)
        return try db.query("SELECT value FROM meta WHERE key = $1", b, context: "reading meta").first.flatMap { PGRow($0).text(0) }
    }

    private func scalar(_ sql: String, _ binds: PostgresBindings = PostgresBindings()) throws(StoreError) -> Int64? {
        try db.query(sql, binds, context: "reading").first.flatMap { PGRow($0).optionalInt(0) }
    }
}
