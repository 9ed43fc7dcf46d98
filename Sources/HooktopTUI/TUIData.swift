import HooktopCore
import HooktopStore

/// The queries the TUI makes. Only a page of rows is ever in memory; every
/// query is keyset-paged on the id or answered by an index.
public final class TUIData {
    let reader: any StoreReading
    /// Where the rows come from; exports open their own reader on it.
    public let backend: any StoreBackend

    public init(backend: any StoreBackend) throws(StoreError) {
        self.backend = backend
        reader = try backend.openReader()
    }

    /// On a SQLite file.
    public convenience init(path: String) throws(StoreError) { try self.init(backend: SQLiteBackend(path: path)) }

    /// - now: the time `~t` terms are measured from (the runtime's clock).
    public func page(_ page: Effect.Page, filter: Filter?, limit: Int, now: Timestamp = .now()) throws(StoreError)
        -> (rows: [CapturedRequest], atNewest: Bool) {
        switch page {
        case .newest:
            return (try rows(filter: filter, newestFirst: true, limit: limit, beyond: nil, now: now), true)
        case .oldest:
            let rows = try self.rows(filter: filter, newestFirst: false, limit: limit, beyond: nil, now: now).reversed()
            return (Array(rows), try !hasNewer(than: rows.first?.id ?? 0, filter: filter, now: now))
        case .shift(let from, let n):
            var start = from
            if n != 0 {
                let stepped = try rows(filter: filter, newestFirst: n < 0, limit: abs(n), beyond: from, now: now)
                guard let landing = stepped.last else {
                    return n > 0 ? try self.page(.newest, filter: filter, limit: limit, now: now)
                                 : try self.page(.oldest, filter: filter, limit: limit, now: now)
                }
                start = landing.id
            }
            let rows = try self.rows(filter: filter, newestFirst: true, limit: limit, beyond: start + 1, now: now)
            if rows.count < limit { return try self.page(.oldest, filter: filter, limit: limit, now: now) }
            return (rows, try !hasNewer(than: rows.first?.id ?? 0, filter: filter, now: now))
        }
    }

    func rows(filter: Filter?, newestFirst: Bool, limit: Int, beyond: Int64?, now: Timestamp = .now()) throws(StoreError) -> [CapturedRequest] {
        var out: [CapturedRequest] = []
        var query = StoreQuery(filter: filter, newestFirst: newestFirst, limit: limit, beyondID: beyond)
        query.now = now
        try reader.forEach(query) { out.append($0) }
        return out
    }

    func hasNewer(than id: Int64, filter: Filter?, now: Timestamp) throws(StoreError) -> Bool {
        try !rows(filter: filter, newestFirst: false, limit: 1, beyond: id, now: now).isEmpty
    }

    public func count(filter: Filter?, now: Timestamp = .now()) throws(StoreError) -> Int { try reader.count(filter: filter, now: now) }

    public func request(id: Int64) throws(StoreError) -> CapturedRequest { try reader.request(id: id) }

    /// The requests committed after `id`, counted (for the header and a filter's count).
    public func arrivals(after id: Int64, filter: Filter?, now: Timestamp) throws(StoreError) -> Arrivals {
        try reader.arrivals(after: id, filter: filter, now: now)
    }

    public func newestID() throws(StoreError) -> Int64 { try reader.maxID() }

    /// Changes whenever another connection commits: a cheap "anything new?".
    public func dataVersion() throws(StoreError) -> Int64 { try reader.dataVersion() }

    /// Totals for the header: answered from indexes, not a scan of the requests.
    public func stats(now: Timestamp = .now()) throws(StoreError) -> Model.Stats {
        var stats = Model.Stats()
        let counts = try reader.headerCounts(since: now.adding(microseconds: -30_000_000))
        stats.total = counts.total
        stats.signatureFailures = counts.signatureFailures
        stats.failingDeliveries = counts.failingDeliveries
        stats.throughID = counts.lastID
        stats.lastSecond = now.seconds
        stats.add(counts.perSecond)
        return stats
    }

    /// When what `filter` matches next changes by the clock alone: a request ages past one
    /// of its `~t` limits (in or out). Nil without such a term or such a request.
    public func nextAgeChange(_ filter: Filter?, now: Timestamp) throws(StoreError) -> Timestamp? {
        var next: Timestamp?
        for limit in Set(filter?.ageLimits ?? []) {
            // The requests received before now - limit have crossed it; the oldest after it is next.
            let cutoff = Timestamp(microseconds: now.microseconds.saturatingSubtracting(limit))
            guard let oldest = try reader.oldestReceived(since: cutoff) else { continue }
            let at = oldest.adding(microseconds: limit).adding(microseconds: 1)
            next = min(next ?? at, at)
        }
        return next
    }

    /// How long an alert without a lasting cause (not a failed delivery) stays on the banner.
    static let alertMicros: Int64 = 5 * 60_000_000

    /// The banner: the newest alert whose cause is still there (nil clears it),
    /// and when to ask again though nothing was committed meanwhile: a recent
    /// alert stops being one by the clock alone.
    public func latestAlert(now: Timestamp = .now()) throws(StoreError) -> (text: String, askAgain: Timestamp)? {
        try reader.activeAlert(now: now, recentMicros: Self.alertMicros).map {
            ("\($0.at.timeOfDay) \($0.message)", $0.at.adding(microseconds: Self.alertMicros))
        }
    }

    public func deliveryStamp(id: Int64) throws(StoreError) -> String { try reader.deliveryStamp(id: id) }
}
