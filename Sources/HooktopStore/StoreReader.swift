import HooktopCore

/// Reads captured requests. Runs beside a writer (in this or another
/// process) without blocking it: WAL readers see the last commit.
/// One reader per thread.
public final class StoreReader: StoreReading {
    private let db: SQLiteConnection
    public var path: String { db.path }

    /// Opens an existing database; a missing file is `StoreError.notFound`.
    /// - mmap: map the file for fast scans (filters over bodies, exports);
    ///   its pages then count in the process's resident size.
    public init(path: String, mmap: Bool = false) throws(StoreError) {
        db = try Store.openExisting(path)
        // Scans (a `~b` filter, an export) read pages through the OS page cache
        // directly instead of copying each into SQLite's own cache.
        if mmap { try? db.execute("PRAGMA mmap_size=\(Int64(1) << 34)") }
    }

    public typealias Query = StoreQuery

    /// Streams matching requests one at a time: memory stays flat however many match.
    public func forEach(_ query: Query, _ body: (CapturedRequest) throws -> Void) throws(StoreError) {
        var sql = FilterSQL(now: query.now)
        var conditions: [String] = []
        if let filter = query.filter { conditions.append(sql.condition(filter)) }
        var text = RequestRows.selectSQL(withBody: query.includeBodies)
        // A filter few requests can match (`Narrowing`): through the index that holds them.
        for narrowing in query.filter.map({ Narrowing.of($0, now: query.now) }) ?? [] where try few(narrowing) {
            text += " INDEXED BY " + narrowing.index
            break
        }
        if let beyond = query.beyondID { conditions.append("id \(query.newestFirst ? "<" : ">") \(beyond)") }
        if !conditions.isEmpty { text += " WHERE " + conditions.joined(separator: " AND ") }
        text += " ORDER BY id \(query.newestFirst ? "DESC" : "ASC")"
        if query.limit > 0 { text += " LIMIT \(query.limit)" }
        try db.with(text) { stmt throws(StoreError) in
            sql.apply(to: stmt)
            while try stmt.step() {
                var request = RequestRows.decode(stmt)
                if query.includeDeliveries { request.deliveries = try deliveries(of: request.id) }
                do { try body(request) } catch { throw StoreError.aborted("\(error)") }
            }
        }
    }

    /// Whether the index holds fewer than 10,000 requests for it (at most that many entries read).
    private func few(_ narrowing: Narrowing) throws(StoreError) -> Bool {
        try db.with("SELECT count(*) FROM (SELECT 1 FROM requests INDEXED BY \(narrowing.index) WHERE \(narrowing.condition) LIMIT 10000)") {
            stmt throws(StoreError) in
            if case .receivedSince(let since) = narrowing { stmt.bind(at: 1, .int(since.microseconds)) }
            return try stmt.step() && stmt.int(Only.value) < 10_000
        }
    }

    /// How many requests match.
    public func count(filter: Filter?, now: Timestamp) throws(StoreError) -> Int {
        var sql = FilterSQL(now: now)
        let condition = filter.map { " WHERE " + sql.condition($0) } ?? ""
        return try db.with("SELECT count(*) FROM requests" + condition) { stmt throws(StoreError) in
            sql.apply(to: stmt)
            return try stmt.step() ? Int(stmt.int(Only.value)) : 0
        }
    }

    /// One request with its body and delivery attempts.
    public func request(id: Int64) throws(StoreError) -> CapturedRequest {
        var request = try db.with(RequestRows.selectSQL(withBody: true) + " WHERE id = :id") { stmt throws(StoreError) in
            stmt.bind(":id", id)
            guard try stmt.step() else { throw .noSuchRequest(id) }
            return RequestRows.decode(stmt)
        }
        request.deliveries = try deliveries(of: id)
        return request
    }

    public func deliveries(of id: Int64) throws(StoreError) -> [DeliveryAttempt] {
        try db.with(RequestRows.deliveriesSQL) { stmt throws(StoreError) in
            stmt.bind(":request_id", id)
            var attempts: [DeliveryAttempt] = []
            while try stmt.step() { attempts.append(RequestRows.decodeAttempt(stmt)) }
            return attempts
        }
    }

    public func count() throws(StoreError) -> Int {
        Int(try db.scalarInt("SELECT count(*) FROM requests") ?? 0)
    }

    /// The newest id, or 0 for an empty database. Cheap: reads the rowid b-tree's end.
    public func maxID() throws(StoreError) -> Int64 {
        try db.scalarInt("SELECT coalesce(max(id), 0) FROM requests") ?? 0
    }
}

extension StoreReader {
    /// Deliveries due by `now` (pending or retrying, not leased beyond now), soonest first.
    public func dueDeliveries(now: Timestamp, limit: Int) throws(StoreError) -> [CapturedRequest] {
        try db.with(RequestRows.selectSQL(withBody: true) + """
             WHERE delivery_state IN ('pending', 'retrying') AND next_attempt_at <= :now AND target_url IS NOT NULL
             ORDER BY next_attempt_at LIMIT :limit
            """) { stmt throws(StoreError) in
            stmt.bind(":now", now.microseconds)
            stmt.bind(":limit", limit)
            var rows: [CapturedRequest] = []
            while try stmt.step() { rows.append(RequestRows.decode(stmt)) }
            return rows
        }
    }

    /// The earliest arrival at or after `since` (a seek on `requests_received_at`).
    public func oldestReceived(since: Timestamp) throws(StoreError) -> Timestamp? {
        try db.with("SELECT min(received_at) FROM requests WHERE received_at >= :since") { stmt throws(StoreError) in
            stmt.bind(":since", since.microseconds)
            return try stmt.step() ? stmt.optionalInt(Only.value).map(Timestamp.init(microseconds:)) : nil
        }
    }

    private enum PositionField: Int32, ResultColumn { case receivedAt, id }

    public func position(ofNewest n: Int) throws(StoreError) -> ArrivalPosition? {
        guard n > 0 else { return nil }
        return try db.with("SELECT received_at, id FROM requests ORDER BY received_at DESC, id DESC LIMIT 1 OFFSET :skip") { stmt throws(StoreError) in
            stmt.bind(":skip", n - 1)
            return try stmt.step() ? ArrivalPosition(receivedAt: Timestamp(microseconds: stmt.int(PositionField.receivedAt)), id: stmt.int(PositionField.id)) : nil
        }
    }

    /// Processes that hold delivery leases.
    public func leaseHolders() throws(StoreError) -> [Int32] {
        try db.with("SELECT DISTINCT leased_by FROM requests WHERE leased_by IS NOT NULL AND delivery_state IN ('pending', 'retrying')") {
            stmt throws(StoreError) in
            var pids: [Int32] = []
            while try stmt.step() { if let pid = Int32(exactly: stmt.int(Only.value)) { pids.append(pid) } }
            return pids
        }
    }

    /// The newest alerts, newest first.
    /// The newest alert whose cause is still there: a delivery that failed for
    /// good and is still failed (a retry that worked clears it), or another
    /// kind raised in the last `recentMicros`.
    public func activeAlert(now: Timestamp, recentMicros: Int64) throws(StoreError) -> StoredAlert? {
        try db.with("""
            SELECT a.at, a.kind, a.message FROM alerts a
            WHERE (a.kind = 'delivery_failed' AND EXISTS (SELECT 1 FROM requests r WHERE r.id = a.request_id AND r.delivery_state = 'failed'))
               OR (a.kind <> 'delivery_failed' AND a.at >= :since)
            ORDER BY a.id DESC LIMIT 1
            """) { stmt throws(StoreError) in
            stmt.bind(":since", now.microseconds.saturatingSubtracting(recentMicros))
            return try stmt.step() ? Self.alert(stmt) : nil
        }
    }

    /// What the dashboard shows of a request's delivery, cheaply: changes
    /// whenever an attempt is recorded or its state moves.
    public func deliveryStamp(id: Int64) throws(StoreError) -> String {
        try db.with("""
            SELECT delivery_state || '/' || scheduled_attempts || '/' || coalesce(next_attempt_at, 0) || '/'
                   || (SELECT count(*) FROM deliveries d WHERE d.request_id = requests.id)
            FROM requests WHERE id = :id
            """) { stmt throws(StoreError) in
            stmt.bind(":id", id)
            return try stmt.step() ? stmt.text(Only.value) ?? "" : "gone"
        }
    }

    public func alerts(limit: Int) throws(StoreError) -> [StoredAlert] {
        try db.with("SELECT at, kind, message FROM alerts ORDER BY id DESC LIMIT :limit") { stmt throws(StoreError) in
            stmt.bind(":limit", limit)
            var out: [(Timestamp, String, String)] = []
            while try stmt.step() { out.append(Self.alert(stmt)) }
            return out
        }
    }

    /// The fields of an alerts query, in its order.
    private enum AlertField: Int32, ResultColumn { case at, kind, message }

    private static func alert(_ stmt: Statement) -> (at: Timestamp, kind: String, message: String) {
        (Timestamp(microseconds: stmt.int(AlertField.at)), stmt.text(AlertField.kind) ?? "", stmt.text(AlertField.message) ?? "")
    }
}

extension StoreReader {
    /// SQLite's `data_version`: changes when another connection commits.
    public func dataVersion() throws(StoreError) -> Int64 {
        try db.scalarInt("PRAGMA data_version") ?? 0
    }

    private enum SecondField: Int32, ResultColumn { case second, count }

    /// The TUI header's numbers; each is answered by an index, all in one read transaction.
    public func headerCounts(since: Timestamp) throws(StoreError) -> HeaderCounts {
        try db.snapshot { () throws(StoreError) in
            var counts = HeaderCounts()
            counts.lastID = try db.scalarInt("SELECT max(id) FROM requests") ?? 0
            counts.total = Int(try db.scalarInt("SELECT count(*) FROM requests") ?? 0)
            counts.signatureFailures = Int(try db.scalarInt("SELECT count(*) FROM requests WHERE " + CountedSets.badSignatures) ?? 0)
            counts.failingDeliveries = Int(try db.scalarInt("SELECT count(*) FROM requests WHERE " + CountedSets.failingDeliveries) ?? 0)
            counts.perSecond = try db.with("SELECT received_at / 1000000, count(*) FROM requests WHERE received_at >= :since GROUP BY 1") {
                stmt throws(StoreError) in
                stmt.bind(":since", since.microseconds)
                var perSecond: [Int64: Int] = [:]
                while try stmt.step() { perSecond[stmt.int(SecondField.second)] = Int(stmt.int(SecondField.count)) }
                return perSecond
            }
            return counts
        }
    }

    private enum ArrivalField: Int32, ResultColumn { case second, count, signatureFailures, lastID }

    public func arrivals(after id: Int64, filter: Filter?, now: Timestamp) throws(StoreError) -> Arrivals {
        try db.snapshot { () throws(StoreError) in try counted(after: id, filter: filter, now: now) }
    }

    private func counted(after id: Int64, filter: Filter?, now: Timestamp) throws(StoreError) -> Arrivals {
        var arrivals = Arrivals(lastID: id)
        try db.with("""
            SELECT received_at / 1000000, count(*), sum(\(CountedSets.badSignatures)), max(id)
            FROM requests WHERE id > :after GROUP BY 1
            """) { stmt throws(StoreError) in
            stmt.bind(":after", id)
            while try stmt.step() {
                let n = Int(stmt.int(ArrivalField.count))
                arrivals.perSecond[stmt.int(ArrivalField.second), default: 0] += n
                arrivals.count += n
                arrivals.signatureFailures += Int(stmt.int(ArrivalField.signatureFailures))
                arrivals.lastID = max(arrivals.lastID, stmt.int(ArrivalField.lastID))
            }
        }
        if let filter {
            var sql = FilterSQL(now: now)
            let condition = sql.condition(filter)
            let after = Int32(sql.bindings.count + 1)
            arrivals.matching = try db.with("SELECT count(*) FROM requests WHERE (\(condition)) AND id > ?\(after)") {
                stmt throws(StoreError) in
                sql.apply(to: stmt)
                stmt.bind(at: after, .int(id))
                return try stmt.step() ? Int(stmt.int(Only.value)) : 0
            }
        }
        return arrivals
    }
}

extension StoreReader {
    /// The fields of an expectations query, in its order.
    private enum ExpectationField: Int32, ResultColumn { case token, label, createdAt, deadline, url, callbacks, firstCallbackAt }

    private static let expectationsSQL = """
        SELECT e.token, e.label, e.created_at, e.deadline, e.url,
               (SELECT group_concat(r.id) FROM requests r WHERE r.label = e.label AND substr(r.target, 1, 36) = '/cb/' || e.token),
               (SELECT min(r.received_at) FROM requests r WHERE r.label = e.label AND substr(r.target, 1, 36) = '/cb/' || e.token)
        FROM expectations e
        """

    /// Every expected callback, newest first, with the requests that came to it.
    public func expectations() throws(StoreError) -> [Expectation] {
        try db.with(Self.expectationsSQL + " ORDER BY e.id DESC") { stmt throws(StoreError) in
            var out: [Expectation] = []
            while try stmt.step() { out.append(Self.expectation(stmt)) }
            return out
        }
    }

    /// Expectations past their deadline with no callback by then, whose alert was not raised yet.
    public func overdueUnalerted(now: Timestamp) throws(StoreError) -> [Expectation] {
        try db.with(Self.expectationsSQL + " WHERE e.overdue_alerted = 0 AND e.deadline < :now") { stmt throws(StoreError) in
            stmt.bind(":now", now.microseconds)
            var out: [Expectation] = []
            while try stmt.step() {
                let e = Self.expectation(stmt)
                if e.state(now: now) == .overdue && e.callbacks.isEmpty { out.append(e) }
            }
            return out
        }
    }

    private static func expectation(_ stmt: Statement) -> Expectation {
        Expectation(token: stmt.text(ExpectationField.token) ?? "", label: stmt.text(ExpectationField.label) ?? "",
                    createdAt: Timestamp(microseconds: stmt.int(ExpectationField.createdAt)),
                    deadline: stmt.optionalInt(ExpectationField.deadline).map(Timestamp.init(microseconds:)),
                    url: stmt.text(ExpectationField.url) ?? "",
                    callbacks: (stmt.text(ExpectationField.callbacks) ?? "").split(separator: ",").compactMap { Int64($0) }.sorted(),
                    firstCallbackAt: stmt.optionalInt(ExpectationField.firstCallbackAt).map(Timestamp.init(microseconds:)))
    }
}

extension StoreReader {
    /// Bytes the database's live pages take (its size less free pages).
    public func liveBytes() throws(StoreError) -> Int64 {
        let pages = try db.scalarInt("PRAGMA page_count") ?? 0
        let free = try db.scalarInt("PRAGMA freelist_count") ?? 0
        let size = try db.scalarInt("PRAGMA page_size") ?? 4096
        return (pages - free).saturatingMultiplied(by: size)
    }
}

extension StoreReader {
    /// Deliveries failed for good or still retrying (answered by a partial index).
    public func failingDeliveries() throws(StoreError) -> Int {
        Int(try db.scalarInt("SELECT count(*) FROM requests WHERE " + CountedSets.failingDeliveries) ?? 0)
    }
}

extension StoreReader {
    /// A fact the daemon left (`listen`), or nil.
    public func meta(_ key: String) throws(StoreError) -> String? {
        try db.with("SELECT value FROM meta WHERE key = :key") { stmt throws(StoreError) in
            stmt.bind(":key", key)
            return try stmt.step() ? stmt.text(Only.value) : nil
        }
    }
}
