import HooktopCore

/// Finds, for each request a writer stores, the earliest stored request
/// with the same delivery id (its `duplicate_of`), and keeps the index that
/// makes that possible without writing it a row at a time.
///
/// Real delivery ids are random, and so are their 64-bit keys: an index
/// entry a request lands in a leaf of its own, and every commit wrote a page
/// for each of its requests. With a random id on every request that cost a
/// third of the capture rate and doubled p99 (docs/PERFORMANCE.md, session
/// 17). So the keys of the newest requests — every one after `through` —
/// are held here in memory, and are added to `delivery_keys` sorted, a
/// slice of the key space per transaction once `foldEvery` of them are
/// waiting: each leaf is then written once a fold, not once a request.
///
/// The earliest request with an id is looked for in `delivery_keys` first
/// (everything up to `through`: older than anything held here), then among
/// the keys held here; both compare the ids themselves, so two ids sharing
/// a key are never taken for one. Rows other processes store (an import
/// beside the daemon) are read in when SQLite says the file changed; the
/// rows after `through` are read back at open, after a crash or a restart.
final class DeliveryIndex {
    static let throughKey = "delivery_keys_through"

    private let foldEvery: Int
    private let slice: Int
    /// Every request up to this id has its key in `delivery_keys` (meta's `delivery_keys_through`).
    private var through: Int64 = 0
    /// The last request id looked at: newer rows are another process's.
    private var seen: Int64 = 0
    /// Requests after `through` with a delivery id, in id order: what the next fold adds.
    private var unfolded: [(key: Int64, id: Int64, deliveryID: String)] = []
    /// The first of them for each key, with its delivery id.
    private var firstUnfolded: [Int64: (id: Int64, deliveryID: String)] = [:]
    /// Answers found already, for ids that arrive again (a provider's retries): forgotten when another process writes.
    private var known: [Int64: (id: Int64, deliveryID: String)] = [:]
    /// The fold under way: the keys it adds in order, how far it got, and the last request it covers.
    private var folding: [(key: Int64, id: Int64, deliveryID: String)] = []
    /// Keys recorded in this transaction: its slice folds at least twice as many, so folds keep up with any batch.
    private var recordedSinceSlice = 0
    private var foldedSoFar = 0
    private var foldingThrough: Int64 = 0
    private var dataVersion: Int64 = 0
    /// The oldest request stored when the last fold began, and, when it had
    /// gone up since (a prune), the id under which the fold under way takes keys out.
    private var oldestSeen: Int64 = 0
    private var prunedBelow: Int64?

    /// Reads what the last writer left unfolded. `foldEvery` keys start a fold of `slice` keys a transaction.
    init(_ db: SQLiteConnection, foldEvery: Int = 20_000, slice: Int = 1_000) throws(StoreError) {
        self.foldEvery = max(1, foldEvery)
        self.slice = max(1, slice)
        through = try Self.storedThrough(db)
        seen = through
        oldestSeen = try db.scalarInt("SELECT min(id) FROM requests") ?? 0
        try readNewRows(db)
        dataVersion = try db.scalarInt("PRAGMA data_version") ?? 0
    }

    private static func storedThrough(_ db: SQLiteConnection) throws(StoreError) -> Int64 {
        try db.scalarInt("SELECT CAST(value AS INTEGER) FROM meta WHERE key = '\(throughKey)'") ?? 0
    }

    /// At the start of each transaction: when another process wrote since,
    /// its rows are read in and the remembered answers forgotten (it may
    /// have pruned them). Returns whether another process wrote.
    @discardableResult
    func began(_ db: SQLiteConnection) throws(StoreError) -> Bool {
        let version = try db.scalarInt("PRAGMA data_version") ?? 0
        guard version != dataVersion else { return false }
        dataVersion = version
        known.removeAll()
        let stored = try Self.storedThrough(db)
        if stored > through {
            // Another writer folded: what it covered is in `delivery_keys` now.
            through = stored
            unfolded.removeAll { $0.id <= stored }
            indexUnfolded()
            seen = max(seen, stored)
        }
        try readNewRows(db)
        return true
    }

    /// Requests stored after `seen` by anyone, taken in.
    private func readNewRows(_ db: SQLiteConnection) throws(StoreError) {
        try db.with("""
            SELECT id, coalesce(delivery_key, hooktop_delivery_key(delivery_id)), delivery_id FROM requests WHERE id > :seen ORDER BY id
            """) { s throws(StoreError) in
            s.bind(":seen", seen)
            while try s.step() {
                let id = s.int(Column.id)
                if let deliveryID = s.text(Column.deliveryID) { record(s.int(Column.key), deliveryID, id: id) }
                seen = max(seen, id)
            }
        }
    }

    private enum Column: Int32, ResultColumn { case id, key, deliveryID }

    /// The earliest folded request with a key and id (`delivery_keys`' primary key, then the row).
    static let foldedSQL = """
        SELECT min(d.id) FROM delivery_keys d JOIN requests o ON o.id = d.id WHERE d.key = :key AND o.delivery_id = :id
        """

    /// The earliest stored request with this delivery id, or nil.
    func earliest(_ key: Int64, _ deliveryID: String, _ db: SQLiteConnection) throws(StoreError) -> Int64? {
        if let hit = known[key], hit.deliveryID == deliveryID { return hit.id }
        let found: Int64?
        if let folded = try db.with(Self.foldedSQL, { s throws(StoreError) -> Int64? in
                s.bind(":key", key)
                s.bind(":id", deliveryID)
                return try s.step() ? s.optionalInt(Only.value) : nil
            }) {
            found = folded
        } else if let first = firstUnfolded[key] {
            // The first held with this key, if it is this id and still stored; else the rows after `through`, read.
            found = try db.with("""
                SELECT min(id) FROM requests WHERE id >= :from AND id > :through AND delivery_key = :key AND delivery_id = :id
                """) { s throws(StoreError) -> Int64? in
                s.bind(":from", first.deliveryID == deliveryID ? first.id : Int64.min)
                s.bind(":through", through)
                s.bind(":key", key)
                s.bind(":id", deliveryID)
                return try s.step() ? s.optionalInt(Only.value) : nil
            }
        } else {
            found = nil
        }
        if let found {
            if known.count >= foldEvery { known.removeAll() }
            known[key] = (found, deliveryID)
        }
        return found
    }

    /// A request just stored (or read in).
    func record(_ key: Int64, _ deliveryID: String, id: Int64) {
        seen = max(seen, id)
        guard id > through else { return }
        unfolded.append((key, id, deliveryID))
        recordedSinceSlice += 1
        if firstUnfolded[key] == nil { firstUnfolded[key] = (id, deliveryID) }
    }

    /// `firstUnfolded` again from what is held and not yet being folded, or folded.
    private func indexUnfolded() {
        var first: [Int64: (id: Int64, deliveryID: String)] = [:]
        for held in folding[foldedSoFar...] where first[held.key] == nil && held.id > through { first[held.key] = (held.id, held.deliveryID) }
        for held in unfolded where first[held.key] == nil { first[held.key] = (held.id, held.deliveryID) }
        firstUnfolded = first
    }

    /// This writer pruned requests: the answers remembered may name some of them.
    func pruned() { known.removeAll() }

    /// A request without a delivery id was stored.
    func stored(id: Int64) { seen = max(seen, id) }

    /// Before each commit: one slice of the fold under way, or of a new one
    /// once enough keys wait.
    func foldSlice(_ db: SQLiteConnection) throws(StoreError) {
        let (twice, overflow) = recordedSinceSlice.multipliedReportingOverflow(by: 2)
        let keys = overflow ? Int.max : max(slice, twice)
        recordedSinceSlice = 0
        if folding.isEmpty {
            guard unfolded.count >= foldEvery else { return }
            try start(db)
        }
        try fold(upTo: foldedSoFar + min(keys, folding.count - foldedSoFar), db)
    }

    /// Everything held, folded now (a writer closing, an import done).
    func foldAll(_ db: SQLiteConnection) throws(StoreError) {
        if !folding.isEmpty { try fold(upTo: folding.count, db) }  // the fold under way first: it covers the older keys
        guard !unfolded.isEmpty else { return }
        try start(db)
        try fold(upTo: folding.count, db)
    }

    private func start(_ db: SQLiteConnection) throws(StoreError) {
        // Requests were pruned since the last fold: the keys of those older
        // than any left go too, in the leaves this fold writes anyway.
        let oldest = try db.scalarInt("SELECT min(id) FROM requests") ?? 0
        prunedBelow = oldest > oldestSeen ? oldest : nil
        oldestSeen = max(oldestSeen, oldest)
        folding = unfolded.sorted { ($0.key, $0.id) < ($1.key, $1.id) }
        foldingThrough = unfolded.last?.id ?? through
        unfolded.removeAll(keepingCapacity: true)
        foldedSoFar = 0
    }

    private func fold(upTo end: Int, _ db: SQLiteConnection) throws(StoreError) {
        guard foldedSoFar < end else { return }
        for i in foldedSoFar..<end {
            if let prunedBelow, i == foldedSoFar || folding[i].key != folding[i - 1].key {
                try db.with("DELETE FROM delivery_keys WHERE key = :key AND id < :oldest") { s throws(StoreError) in
                    s.bind(":key", folding[i].key)
                    s.bind(":oldest", prunedBelow)
                    try s.step()
                }
            }
            try db.with("INSERT OR IGNORE INTO delivery_keys (key, id) VALUES (:key, :id)") { s throws(StoreError) in
                s.bind(":key", folding[i].key)
                s.bind(":id", folding[i].id)
                try s.step()
            }
        }
        foldedSoFar = end
        guard foldedSoFar == folding.count else { return }
        try db.with("""
            INSERT INTO meta (key, value) VALUES ('\(Self.throughKey)', :through)
            ON CONFLICT(key) DO UPDATE SET value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))
            """) { s throws(StoreError) in
            s.bind(":through", foldingThrough)
            try s.step()
        }
        through = max(through, foldingThrough)
        folding.removeAll()
        foldedSoFar = 0
        indexUnfolded()
    }
}
