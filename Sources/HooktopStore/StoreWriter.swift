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

    private enum Pending {
        case insert(CapturedRequest, Completion)
        case mutate(StoreMutation, @Sendable (Result<Int, StoreError>) -> Void)
    }

    // Everything below `condition` is guarded by it.
    private let condition = NSCondition()
    private var pending: [Pending] = []
    private var closing = false
    private var stats = Stats()
    private var queuedBytes = 0
    private var queuedInserts = 0
    private let limits: Limits

    // Owned by the writer thread once it runs.
    private let config: StoreConfiguration
    private var db: SQLiteConnection
    private var mutations: MutationRunner
    private var fileIdentity: FileIdentity?
    private var failedBatches = 0
    private var needsReopen = false
    private let pid = getpid()
    private let onCommit: (@Sendable ([CapturedRequest]) -> Void)?
    private let onHealth: (@Sendable (Health) -> Void)?
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    /// Checkpoints the WAL off this thread; its gate is held for each transaction.
    private let checkpointer: Checkpointer
    /// The WAL's length in frames after the last commit (SQLite's WAL hook writes it).
    private let walFrames: UnsafeMutablePointer<Int32>
    /// Set by tests to make commits fail, as a full disk would.
    private var failNextCommits = 0

    /// Opens the database (creating it on first use) and starts the writer thread.
    /// `onCommit` sees every committed batch, ids assigned, on the writer thread.
    /// `onHealth` hears when commits start failing and when they work again.
    public init(_ config: StoreConfiguration, limits: Limits = Limits(),
                onHealth: (@Sendable (Health) -> Void)? = nil,
                onCommit: (@Sendable ([CapturedRequest]) -> Void)? = nil) throws(StoreError) {
        self.config = config
        self.limits = limits
        db = try Store.openForWriting(config)
        try Self.leaveCheckpoints(db)
        // Nothing below throws: the checkpointer's thread never outlives a failed init.
        walFrames = .allocate(capacity: 1)
        walFrames.initialize(to: 0)
        csqlite_track_wal(db.handle, walFrames)
        mutations = MutationRunner(db)
        fileIdentity = FileIdentity(path: config.path)
        checkpointer = Checkpointer(path: config.path, durability: config.durability)
        self.onCommit = onCommit
        self.onHealth = onHealth
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "hooktop-store-writer"
        self.thread = thread
        thread.start()
    }

    /// Queues a request; `completion` runs once it is committed (with its id) or failed.
    public func submit(_ request: CapturedRequest, completion: @escaping Completion) {
        condition.lock()
        if closing {
            stats.rejected += 1
            condition.unlock()
            completion(.failure(.closed))
            return
        }
        let size = request.body.count + request.headers.count * 64 + 512
        if queuedInserts >= limits.requests || queuedBytes + size > limits.bytes {
            let (n, bytes) = (queuedInserts, queuedBytes)
            stats.rejected += 1
            condition.unlock()
            completion(.failure(.overloaded(queued: n, bytes: bytes)))
            return
        }
        queuedInserts += 1
        queuedBytes += size
        pending.append(.insert(request, completion))
        if pending.count == 1 { condition.signal() }
        condition.unlock()
    }

    /// Queues a change; `completion` gets the number of rows it changed once committed.
    public func apply(_ mutation: StoreMutation, completion: @escaping @Sendable (Result<Int, StoreError>) -> Void) {
        condition.lock()
        if closing {
            condition.unlock()
            completion(.failure(.closed))
            return
        }
        pending.append(.mutate(mutation, completion))
        if pending.count == 1 { condition.signal() }
        condition.unlock()
    }

    public func currentStats() -> Stats {
        condition.lock()
        defer { condition.unlock() }
        var now = stats
        now.queued = queuedInserts
        (now.checkpoints, now.longestCheckpointPauseMicros) = checkpointer.stats
        return now
    }

    /// Commits what is queued, stops the thread and closes the database.
    public func close() {
        condition.lock()
        let alreadyClosing = closing
        closing = true
        condition.signal()
        condition.unlock()
        if !alreadyClosing { finished.wait() }
    }

    /// For tests: the next `count` batches fail as if the disk were full.
    public func simulateCommitFailures(_ count: Int) {
        condition.lock()
        failNextCommits = count
        condition.unlock()
    }

    private func run() {
        var batch: [Pending] = []
        while true {
            condition.lock()
            while pending.isEmpty && !closing { condition.wait() }
            if pending.isEmpty {
                condition.unlock()
                break
            }
            swap(&batch, &pending)
            queuedInserts = 0
            queuedBytes = 0
            let mustFail = failNextCommits > 0
            if mustFail { failNextCommits -= 1 }
            condition.unlock()

            let ok = commit(&batch, simulateFailure: mustFail)
            batch.removeAll(keepingCapacity: true)
            if !ok {
                // Give a failing disk a moment instead of spinning on it; senders already have their 503.
                usleep(20_000)
            }
        }
        checkpointer.close()
        db.close()  // the last connection to close checkpoints what is left and removes the WAL
        walFrames.deallocate()
        finished.signal()
    }

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
        fileIdentity = FileIdentity(path: config.path)
        needsReopen = false
        if replaced { onHealth?(.recreated(path: config.path)) }
    }

    /// Commits one batch and answers every job in it. Returns whether it committed.
    private func commit(_ batch: inout [Pending], simulateFailure: Bool) -> Bool {
        // One result per job: a new id for an insert, rows changed for a mutation.
        var results: [Int64] = []
        results.reserveCapacity(batch.count)
        var began = Timestamp.now()
        do throws(StoreError) {
            if simulateFailure { throw .sqlite(13, "database or disk is full (simulated)", "commit") }
            // A deleted or replaced file would take commits into an unlinked inode: never acknowledge those.
            if needsReopen || fileIdentity != FileIdentity(path: config.path) { try reopen() }
            began = Timestamp.now()
            checkpointer.gate.lock()
            defer { checkpointer.gate.unlock() }
            try db.execute("BEGIN IMMEDIATE")
            do throws(StoreError) {
                for item in batch {
                    switch item {
                    case .insert(let request, _):
                        // A pending delivery is leased to this daemon, which makes the first attempt itself.
                        results.append(try db.with(RequestRows.insertSQL) { s throws(StoreError) in
                            RequestRows.bindInsert(s, request, leasedBy: request.deliveryState == .pending ? pid : nil, node: config.node)
                            try s.step()
                            return db.lastInsertRowID
                        })
                    case .mutate(let mutation, _):
                        results.append(Int64(try mutations.run(mutation)))
                    }
                }
                try db.execute("COMMIT")
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        } catch {
            if error.needsReopen { needsReopen = true }
            failedBatches += 1
            if failedBatches == 1 { onHealth?(.failing(error)) }
            let inserts = batch.reduce(0) { n, item in if case .insert = item { n + 1 } else { n } }
            condition.lock()
            stats.rejected += inserts
            condition.unlock()
            for item in batch {
                switch item {
                case .insert(_, let completion): completion(.failure(error))
                case .mutate(_, let completion): completion(.failure(error))
                }
            }
            return false
        }
        checkpointer.committed(walFrames: walFrames.pointee)
        if failedBatches > 0 {
            onHealth?(.recovered(failedBatches: failedBatches))
            failedBatches = 0
        }
        var committed: [CapturedRequest] = []
        for (item, result) in zip(batch, results) {
            if case .insert(var request, _) = item {
                request.id = result
                if request.node == nil { request.node = config.node }
                committed.append(request)
            }
        }
        record(batchSize: committed.count, micros: Timestamp.now().elapsedMicroseconds(since: began))
        if let onCommit, !committed.isEmpty { onCommit(committed) }
        for (item, result) in zip(batch, results) {
            switch item {
            case .insert(_, let completion): completion(.success(result))
            case .mutate(_, let completion): completion(.success(Int(result)))
            }
        }
        return true
    }

    private func record(batchSize n: Int, micros: Int64) {
        guard n > 0 else { return }
        condition.lock()
        stats.lastCommitMicros = micros
        stats.batches += 1
        stats.requests += n
        stats.largestBatch = max(stats.largestBatch, n)
        stats.histogram[min(Int.bitWidth - 1 - n.leadingZeroBitCount, 15)] += 1
        condition.unlock()
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
