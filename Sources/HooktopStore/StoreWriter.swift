import CSQLite
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HooktopCore

/// The one writer of captured requests. Inserts from every connection are
/// queued and committed together by a dedicated thread (group commit); each
/// request's completion runs only after the transaction that holds it has
/// committed, so an acknowledged request is on disk.
public final class StoreWriter: StoreWriting, @unchecked Sendable {
    public typealias Completion = @Sendable (Result<Int64, StoreError>) -> Void

    /// Batch sizes reached so far, for benchmarks and `serve`'s exit log.
    public struct Stats: Sendable {
        public var batches = 0
        public var requests = 0
        public var largestBatch = 0
        /// Batches by size: bucket i holds batches of 2^i ... 2^(i+1)-1 requests.
        public var histogram = [Int](repeating: 0, count: 16)
        public var meanBatch: Double { batches == 0 ? 0 : Double(requests) / Double(batches) }
        /// How long the last batch took, from BEGIN to COMMIT.
        public var lastCommitMicros: Int64 = 0
        /// Requests waiting for the next batch, when the stats were read.
        public var queued = 0
        /// Requests refused (queue full, closing) or whose batch failed: their senders got 503.
        public var rejected = 0
        /// WAL checkpoints made off the writer's thread, and the longest any of them held commits up (µs).
        public var checkpoints = 0
        public var longestCheckpointPauseMicros: Int64 = 0
        /// Commits that found the WAL past its limit and waited for a checkpoint to end, and for how long in all (µs).
        public var checkpointWaits = 0
        public var checkpointWaitMicros: Int64 = 0

        public init() {}
    }

    /// How much may wait for the disk before senders get 503 at once
    /// instead of memory growing without bound.
    public struct Limits: Sendable {
        public var requests: Int
        public var bytes: Int
        public init(requests: Int = 20_000, bytes: Int = 256 << 20) {
            self.requests = requests
            self.bytes = bytes
        }
    }

    /// A change in whether commits succeed, reported once per change (not
    /// per request) so a log says why once and says when it is over.
    public enum Health: Sendable, Equatable {
        case failing(StoreError)
        case recovered(failedBatches: Int)
        /// The file was deleted or replaced; a new one was created in its place.
        case recreated(path: String)
    }

    /// The queue, its limits, its thread and its reports; this writer is its `commit`.
    private let queue: GroupCommit

    // Owned by the commit thread once it runs.
    private let config: StoreConfiguration
    private var db: SQLiteConnection
    private var mutations: MutationRunner
    /// Finds each request's `duplicate_of` and folds the delivery keys; made by the first transaction, and again after a failed one.
    private var duplicates: DeliveryIndex?
    /// The id the next request must take after the newest were deleted
    /// (`RequestIDs`): looked up with a new index, when another process
    /// wrote, and after this writer pruned.
    private var nextID: Int64?
    private var fileIdentity: FileIdentity?
    private var needsReopen = false
    private let pid = getpid()
    private let onHealth: (@Sendable (Health) -> Void)?
    /// Checkpoints the WAL off this thread; its gate is held for each transaction.
    private let checkpointer: Checkpointer
    /// The WAL's length in frames after the last commit (SQLite's WAL hook writes it).
    private let walFrames: UnsafeMutablePointer<Int32>
    /// Set by tests to make commits fail, as a full disk would (guarded by `failLock`).
    private var failNextCommits = 0
    private let failLock = NSLock()

    /// Opens the database (creating it on first use) and starts the writer thread.
    /// `onCommit` sees every committed batch, ids assigned, on the writer thread.
    /// `onHealth` hears when commits start failing and when they work again.
    public init(_ config: StoreConfiguration, limits: Limits = Limits(),
                onHealth: (@Sendable (Health) -> Void)? = nil,
                onCommit: (@Sendable (CommittedBatch) -> Void)? = nil) throws(StoreError) {
        self.config = config
        db = try Store.openForWriting(config)
        try Self.leaveCheckpoints(db)
        // Nothing below throws: the checkpointer's thread never outlives a failed init.
        walFrames = .allocate(capacity: 1)
        walFrames.initialize(to: 0)
        csqlite_track_wal(db.handle, walFrames)
        mutations = MutationRunner(db)
        fileIdentity = FileIdentity(path: config.path)
        checkpointer = Checkpointer(path: config.path, durability: config.durability)
        self.onHealth = onHealth
        queue = GroupCommit(limits: limits, node: config.node, pauseAfterFailureMicros: 20_000, onHealth: onHealth, onCommit: onCommit)
        queue.start(name: "hooktop-store-writer", commit: { [unowned self] batch throws(StoreError) in try commit(batch) }, finish: { [self] in
            foldDeliveryKeys()
            checkpointer.close()
            db.close()  // the last connection to close checkpoints what is left and removes the WAL
            walFrames.deallocate()
        })
    }

    /// Queues a request; `completion` runs once it is committed (with its id) or failed.
    public func submit(_ request: consuming CapturedRequest, completion: @escaping Completion) { queue.submit(request, completion: completion) }

    /// Queues a change; `completion` gets the number of rows it changed once committed.
    public func apply(_ mutation: StoreMutation, completion: @escaping @Sendable (Result<Int, StoreError>) -> Void) {
        queue.apply(mutation, completion: completion)
    }

    public func currentStats() -> Stats {
        var now = queue.currentStats()
        (now.checkpoints, now.longestCheckpointPauseMicros, now.checkpointWaits, now.checkpointWaitMicros) = checkpointer.stats
        return now
    }

    /// Commits what is queued, stops the thread and closes the database.
    public func close() { queue.close() }

    /// For tests: the next `count` batches fail as if the disk were full.
    public func simulateCommitFailures(_ count: Int) { failLock.withLock { failNextCommits = count } }

    /// For tests: every checkpoint round first sleeps `micros`, as on a disk slower than the writer.
    public func simulateSlowCheckpoints(micros: UInt32) { checkpointer.delayRounds(micros: micros) }

    /// The writer's connection leaves checkpoints to the `Checkpointer` (and,
    /// through `csqlite_track_wal`, reports the WAL's length after each commit).
    private static func leaveCheckpoints(_ db: SQLiteConnection) throws(StoreError) {
        try db.execute("PRAGMA wal_autocheckpoint=0")
        // When a checkpoint lets the WAL start over, a file grown under a burst is cut back to this.
        try db.execute("PRAGMA journal_size_limit=\(32 << 20)")
    }

    /// Opens the database again after the file went away or its I/O failed.
    private func reopen() throws(StoreError) {
        let replaced = fileIdentity != FileIdentity(path: config.path)
        db.close()
        db = try Store.openForWriting(config)
        try Self.leaveCheckpoints(db)
        csqlite_track_wal(db.handle, walFrames)
        checkpointer.databaseReopened()
        mutations = MutationRunner(db)
        duplicates = nil
        fileIdentity = FileIdentity(path: config.path)
        needsReopen = false
        if replaced { onHealth?(.recreated(path: config.path)) }
    }

    /// The delivery index, brought up to date for a transaction just begun
    /// (made from the database when it is new or the last transaction failed).
    private func deliveryIndex() throws(StoreError) -> DeliveryIndex {
        if let duplicates {
            if try duplicates.began(db) { nextID = try RequestIDs.next(db) }
            return duplicates
        }
        let made = try DeliveryIndex(db)
        duplicates = made
        nextID = try RequestIDs.next(db)
        return made
    }

    /// On closing: the delivery keys still held in memory go into the index,
    /// so the next writer starts with none to read back. Best effort: a
    /// writer that fails here leaves them for the next to read.
    private func foldDeliveryKeys() {
        guard let duplicates, (try? db.execute("BEGIN IMMEDIATE")) != nil else { return }
        do {
            try duplicates.foldAll(db)
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
        }
    }

    /// Prepared once and kept (`sqlite3_exec` parsed them for every batch).
    private static let beginSQL = "BEGIN IMMEDIATE", commitSQL = "COMMIT"

    /// One batch in one transaction: a new id per insert, rows changed per mutation.
    private func commit(_ batch: [GroupCommit.Job]) throws(StoreError) -> [Int64] {
        var results: [Int64] = []
        results.reserveCapacity(batch.count)
        do throws(StoreError) {
            if failLock.withLock({ () -> Bool in
                defer { failNextCommits = max(0, failNextCommits - 1) }
                return failNextCommits > 0
            }) { throw .sqlite(13, "database or disk is full (simulated)", "commit") }
            // A deleted or replaced file would take commits into an unlinked inode: never acknowledge those.
            if needsReopen || fileIdentity != FileIdentity(path: config.path) { try reopen() }
            checkpointer.gate.lock()
            defer { checkpointer.gate.unlock() }
            _ = try db.with(Self.beginSQL) { s throws(StoreError) in try s.step() }
            do throws(StoreError) {
                let duplicates = try deliveryIndex()
                for job in batch {
                    switch job {
                    case .insert(let insert):
                        // A pending delivery is leased to this daemon, which makes the first attempt itself.
                        results.append(try RequestRows.insert(insert.request, into: db, duplicates: duplicates, id: nextID,
                                                              leasedBy: insert.request.deliveryState == .pending ? pid : nil, node: config.node,
                                                              headerBytes: insert.headerBytes, responseHeaderBytes: insert.responseHeaderBytes))
                        nextID = nil
                    case .mutate(let mutation, _):
                        results.append(Int64(try mutations.run(mutation)))
                        if case .prune = mutation {
                            duplicates.pruned()
                            nextID = try RequestIDs.next(db)
                        }
                    }
                }
                try duplicates.foldSlice(db)
                _ = try db.with(Self.commitSQL) { s throws(StoreError) in try s.step() }
            } catch {
                try? db.execute("ROLLBACK")
                // What it learnt of this transaction's rows is undone with them: read again at the next.
                duplicates = nil
                throw error
            }
        } catch {
            if error.needsReopen { needsReopen = true }
            throw error
        }
        checkpointer.committed(walFrames: walFrames.pointee)
        return results
    }
}

/// Which file a path names (device and inode), to notice it being deleted or replaced.
struct FileIdentity: Equatable {
    let device: UInt64
    let inode: UInt64

    init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}
