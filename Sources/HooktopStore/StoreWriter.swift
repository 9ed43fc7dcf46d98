import Foundation
#if canImport(Glibc)
import Glibc
#endif
import HooktopCore

/// The one writer of captured requests. Inserts from every connection are
/// queued and committed together by a dedicated thread (group commit); each
/// request's completion runs only after the transaction that holds it has
/// committed, so an acknowledged request is on disk.
public final class StoreWriter: @unchecked Sendable {
    public typealias Completion = @Sendable (Result<Int64, StoreError>) -> Void

    /// Batch sizes reached so far, for benchmarks and `serve`'s exit log.
    public struct Stats: Sendable {
        public var batches = 0
        public var requests = 0
        public var largestBatch = 0
        /// Batches by size: bucket i holds batches of 2^i ... 2^(i+1)-1 requests.
        public var histogram = [Int](repeating: 0, count: 16)
        public var meanBatch: Double { batches == 0 ? 0 : Double(requests) / Double(batches) }
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

    private let db: SQLiteConnection
    private let insert: Statement
    private let mutations: MutationRunner
    private let pid = getpid()
    private let onCommit: (@Sendable ([CapturedRequest]) -> Void)?
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    /// Set by tests to make commits fail, as a full disk would.
    private var failNextCommits = 0

    /// Opens the database (creating it on first use) and starts the writer thread.
    /// `onCommit` sees every committed batch, ids assigned, on the writer thread.
    public init(_ config: StoreConfiguration,
                onCommit: (@Sendable ([CapturedRequest]) -> Void)? = nil) throws(StoreError) {
        db = try Store.openForWriting(config)
        insert = try db.prepare(RequestRows.insertSQL)
        mutations = MutationRunner(db)
        self.onCommit = onCommit
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "hooktop-store-writer"
        self.thread = thread
        thread.start()
    }

    /// Queues a request; `completion` runs once it is committed (with its id) or failed.
    public func submit(_ request: CapturedRequest, completion: @escaping Completion) {
        condition.lock()
        if closing {
            condition.unlock()
            completion(.failure(.closed))
            return
        }
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

    /// `apply`, awaited.
    @discardableResult
    public func apply(_ mutation: StoreMutation) async throws(StoreError) -> Int {
        let result: Result<Int, StoreError> = await withCheckedContinuation { continuation in
            apply(mutation) { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    public func currentStats() -> Stats {
        condition.lock()
        defer { condition.unlock() }
        return stats
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
            let mustFail = failNextCommits > 0
            if mustFail { failNextCommits -= 1 }
            condition.unlock()

            commit(&batch, simulateFailure: mustFail)
            batch.removeAll(keepingCapacity: true)
        }
        db.close()
        finished.signal()
    }

    private func commit(_ batch: inout [Pending], simulateFailure: Bool) {
        // One result per job: a new id for an insert, rows changed for a mutation.
        var results: [Int64] = []
        results.reserveCapacity(batch.count)
        do throws(StoreError) {
            if simulateFailure { throw .sqlite(13, "database or disk is full (simulated)", "commit") }
            try db.execute("BEGIN IMMEDIATE")
            do throws(StoreError) {
                for item in batch {
                    switch item {
                    case .insert(let request, _):
                        insert.reset()
                        // A pending delivery is leased to this daemon, which makes the first attempt itself.
                        RequestRows.bindInsert(insert, request, leasedBy: request.deliveryState == .pending ? pid : nil)
                        try insert.step()
                        results.append(db.lastInsertRowID)
                    case .mutate(let mutation, _):
                        results.append(Int64(try mutations.run(mutation)))
                    }
                }
                insert.reset()
                try db.execute("COMMIT")
            } catch {
                insert.reset()
                try? db.execute("ROLLBACK")
                throw error
            }
        } catch {
            for item in batch {
                switch item {
                case .insert(_, let completion): completion(.failure(error))
                case .mutate(_, let completion): completion(.failure(error))
                }
            }
            return
        }
        var committed: [CapturedRequest] = []
        for (item, result) in zip(batch, results) {
            if case .insert(var request, _) = item {
                request.id = result
                committed.append(request)
            }
        }
        record(batchSize: committed.count)
        if let onCommit, !committed.isEmpty { onCommit(committed) }
        for (item, result) in zip(batch, results) {
            switch item {
            case .insert(_, let completion): completion(.success(result))
            case .mutate(_, let completion): completion(.success(Int(result)))
            }
        }
    }

    private func record(batchSize n: Int) {
        guard n > 0 else { return }
        condition.lock()
        stats.batches += 1
        stats.requests += n
        stats.largestBatch = max(stats.largestBatch, n)
        stats.histogram[min(Int.bitWidth - 1 - n.leadingZeroBitCount, 15)] += 1
        condition.unlock()
    }
}
