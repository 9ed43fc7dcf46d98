import Foundation
import HooktopCore

/// Where requests are kept: the SQLite file (the default) or a PostgreSQL
/// database shared by many daemons. Every command opens its store through
/// this, so each works on either.
public protocol StoreBackend: Sendable {
    /// Where, for messages and logs: a file path, or a URL without any password.
    var location: String { get }
    /// Whether daemons on many machines write it (the dashboard then shows each request's node).
    var sharedByDaemons: Bool { get }
    /// Whether the store is there already (a failed start removes only what it created).
    func exists() -> Bool
    /// The capture daemon's writer: group commit, an id per request only once committed.
    func openWriter(limits: StoreWriter.Limits, onHealth: (@Sendable (StoreWriter.Health) -> Void)?,
                    onCommit: (@Sendable (CommittedBatch) -> Void)?) throws(StoreError) -> any StoreWriting
    /// A reader for one thread. `forScans`: tuned for reading everything (export, `~b`).
    func openReader(forScans: Bool) throws(StoreError) -> any StoreReading
    func openImporter() throws(StoreError) -> any StoreImporting
    /// `hooktop prune`: requests received before `cutoff`; returns how many went.
    func prune(receivedBefore cutoff: Timestamp) throws(StoreError) -> Int
    /// `hooktop prune --keep`: all but the newest `keep`.
    func prune(keep: Int) throws(StoreError) -> Int
    /// Removes a store this process created and then could not use.
    func removeCreated()
}

extension StoreBackend {
    public func openWriter() throws(StoreError) -> any StoreWriting {
        try openWriter(limits: StoreWriter.Limits(), onHealth: nil, onCommit: nil)
    }

    public func openReader() throws(StoreError) -> any StoreReading { try openReader(forScans: false) }
}

/// Takes captures and changes, commits them in groups, and answers each
/// only once its transaction committed.
public protocol StoreWriting: AnyObject, Sendable {
    /// Queues a request; `completion` runs once it is committed (with its id) or failed.
    func submit(_ request: consuming CapturedRequest, completion: @escaping StoreWriter.Completion)
    /// Queues a change; `completion` gets the number of rows it changed once committed.
    func apply(_ mutation: StoreMutation, completion: @escaping @Sendable (Result<Int, StoreError>) -> Void)
    func currentStats() -> StoreWriter.Stats
    /// Commits what is queued and stops.
    func close()
}

extension StoreWriting {
    /// `apply`, awaited.
    @discardableResult
    public func apply(_ mutation: StoreMutation) async throws(StoreError) -> Int {
        let result: Result<Int, StoreError> = await withCheckedContinuation { continuation in
            apply(mutation) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }
}

/// Which requests, in which order, how many.
public struct StoreQuery: Sendable {
    public var filter: Filter?
    public var newestFirst = true
    /// 0 means no limit.
    public var limit = 0
    /// Only requests with an id below this (newest first) or above it (oldest first): keyset paging.
    public var beyondID: Int64?
    public var includeBodies = false
    public var includeDeliveries = false
    public var now: Timestamp = .now()

    public init(filter: Filter? = nil, newestFirst: Bool = true, limit: Int = 0, beyondID: Int64? = nil,
                includeBodies: Bool = false, includeDeliveries: Bool = false) {
        self.filter = filter
        self.newestFirst = newestFirst
        self.limit = limit
        self.beyondID = beyondID
        self.includeBodies = includeBodies
        self.includeDeliveries = includeDeliveries
    }
}

/// The dashboard header's numbers (`StoreReading.headerCounts`).
public struct HeaderCounts: Sendable, Equatable {
    public var total = 0
    public var signatureFailures = 0
    public var failingDeliveries = 0
    /// Requests by second of arrival (seconds since 1970) since the time asked about.
    public var perSecond: [Int64: Int] = [:]
    /// The newest id counted: `arrivals(after:)` goes on from here.
    public var lastID: Int64 = 0
    public init() {}
}

/// Requests committed after a given id, counted (`StoreReading.arrivals`).
public struct Arrivals: Sendable, Equatable {
    /// The newest id among them; the id asked about when there are none.
    public var lastID: Int64
    public var count = 0
    public var signatureFailures = 0
    /// By second of arrival (seconds since 1970).
    public var perSecond: [Int64: Int] = [:]
    /// How many match the filter asked about; nil without one.
    public var matching: Int?
    public init(lastID: Int64) { self.lastID = lastID }
}

/// An alert as the dashboard and `list` show it.
public typealias StoredAlert = (at: Timestamp, kind: String, message: String)

/// The queries commands, the dashboard and the delivery ledger make. One per thread.
public protocol StoreReading: AnyObject {
    /// Streams matching requests one at a time: memory stays flat however many match.
    func forEach(_ query: StoreQuery, _ body: (CapturedRequest) throws -> Void) throws(StoreError)
    /// How many requests match.
    func count(filter: Filter?, now: Timestamp) throws(StoreError) -> Int
    /// One request with its body and delivery attempts.
    func request(id: Int64) throws(StoreError) -> CapturedRequest
    func deliveries(of id: Int64) throws(StoreError) -> [DeliveryAttempt]
    func count() throws(StoreError) -> Int
    /// The newest id, or 0 for an empty store.
    func maxID() throws(StoreError) -> Int64
    /// Changes whenever another process commits: a cheap "anything new?".
    func dataVersion() throws(StoreError) -> Int64
    /// The dashboard header's numbers, all from one snapshot of the store.
    func headerCounts(since: Timestamp) throws(StoreError) -> HeaderCounts
    /// The requests committed after `id` (ids are given out in commit order),
    /// counted: what the dashboard adds to its header between full counts,
    /// for the cost of the new rows only. `filter`: how many of them match it.
    func arrivals(after id: Int64, filter: Filter?, now: Timestamp) throws(StoreError) -> Arrivals
    /// Deliveries due by `now` (pending or retrying, lease passed), soonest first.
    func dueDeliveries(now: Timestamp, limit: Int) throws(StoreError) -> [CapturedRequest]
    /// The earliest time a request was received at or after `since` (an index seek):
    /// when the next one ages past a `~t` filter's limit.
    func oldestReceived(since: Timestamp) throws(StoreError) -> Timestamp?
    /// Where the `n`-th newest request stands in arrival order (`n` entries
    /// of the arrival index read), or nil when fewer are stored: retention's
    /// `max_requests` removes what arrived before it.
    func position(ofNewest n: Int) throws(StoreError) -> ArrivalPosition?
    /// Processes on this machine that hold delivery leases.
    func leaseHolders() throws(StoreError) -> [Int32]
    /// The newest alert whose cause is still there.
    func activeAlert(now: Timestamp, recentMicros: Int64) throws(StoreError) -> StoredAlert?
    func alerts(limit: Int) throws(StoreError) -> [StoredAlert]
    /// What the dashboard shows of a request's delivery: changes whenever it moves.
    func deliveryStamp(id: Int64) throws(StoreError) -> String
    func expectations() throws(StoreError) -> [Expectation]
    func overdueUnalerted(now: Timestamp) throws(StoreError) -> [Expectation]
    /// Bytes the stored requests take.
    func liveBytes() throws(StoreError) -> Int64
    func failingDeliveries() throws(StoreError) -> Int
    func meta(_ key: String) throws(StoreError) -> String?
}

extension StoreReading {
    /// Newest first. `limit` 0 means all. Bodies are only read when asked for.
    public func list(limit: Int, filter: Filter? = nil, includeBodies: Bool = false, includeDeliveries: Bool = false) throws(StoreError) -> [CapturedRequest] {
        var rows: [CapturedRequest] = []
        try forEach(StoreQuery(filter: filter, limit: limit, includeBodies: includeBodies, includeDeliveries: includeDeliveries)) { rows.append($0) }
        return rows
    }

    public func count(filter: Filter?) throws(StoreError) -> Int { try count(filter: filter, now: .now()) }
}

/// `hooktop import`: many requests with their attempts, outside the capture path.
public protocol StoreImporting: AnyObject {
    /// Requests committed so far: none of a transaction that failed.
    var imported: Int { get }
    /// Whether this very request (same time, method, target, headers and body) is stored already.
    func contains(_ r: CapturedRequest) throws(StoreError) -> Bool
    @discardableResult
    func add(_ request: CapturedRequest) throws(StoreError) -> Int64
    /// Commits what is pending. Call once at the end.
    func finish() throws(StoreError)
}

/// The SQLite file: the default store.
public struct SQLiteBackend: StoreBackend {
    public let configuration: StoreConfiguration
    public var location: String { configuration.path }
    public var sharedByDaemons: Bool { false }

    public init(_ configuration: StoreConfiguration) { self.configuration = configuration }
    public init(path: String) { self.init(StoreConfiguration(path: path)) }

    public func exists() -> Bool { FileManager.default.fileExists(atPath: configuration.path) }

    public func openWriter(limits: StoreWriter.Limits, onHealth: (@Sendable (StoreWriter.Health) -> Void)?,
                           onCommit: (@Sendable (CommittedBatch) -> Void)?) throws(StoreError) -> any StoreWriting {
        try StoreWriter(configuration, limits: limits, onHealth: onHealth, onCommit: onCommit)
    }

    public func openReader(forScans: Bool) throws(StoreError) -> any StoreReading {
        try StoreReader(path: configuration.path, mmap: forScans)
    }

    public func openImporter() throws(StoreError) -> any StoreImporting { try StoreImporter(configuration) }

    public func prune(receivedBefore cutoff: Timestamp) throws(StoreError) -> Int {
        try StorePruner.prune(path: configuration.path, receivedBefore: cutoff)
    }

    public func prune(keep: Int) throws(StoreError) -> Int { try StorePruner.prune(path: configuration.path, keep: keep) }

    public func removeCreated() { Store.remove(configuration.path) }
}
