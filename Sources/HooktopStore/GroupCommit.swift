import Foundation
import HooktopCore

/// Group commit, the same for every store. Requests and changes from any
/// thread are queued — bounded, so past `limits` senders get 503 at once
/// instead of memory growing — and one thread hands everything queued to
/// the store's `commit` as one transaction. Each job is answered only after
/// that transaction committed (or failed); commits that start failing and
/// work again are reported once each, not per request.
public final class GroupCommit: @unchecked Sendable {
    public enum Job: Sendable {
        case insert(Insert)
        case mutate(StoreMutation, @Sendable (Result<Int, StoreError>) -> Void)
    }

    /// A request waiting for its batch, held by reference: the commit
    /// thread reads it where it is instead of copying its thirty fields
    /// (a retain each) every time a batch is walked. Its header blocks'
    /// wire form is built here, on the sender's thread: the commit thread's
    /// serial work is what limits capture, and the senders' run beside it.
    public final class Insert: Sendable {
        public let request: CapturedRequest
        public let headerBytes: [UInt8]
        public let responseHeaderBytes: [UInt8]
        let completion: StoreWriter.Completion

        init(_ request: consuming CapturedRequest, _ completion: @escaping StoreWriter.Completion) {
            headerBytes = request.headers.wireBytes
            responseHeaderBytes = request.response.headers.wireBytes
            self.request = request
            self.completion = completion
        }

        /// `test` of the request where it is: called on the array's element,
        /// `insert.request` is a copy of its thirty fields first.
        func satisfies(_ test: (borrowing CapturedRequest) -> Bool) -> Bool { test(request) }
    }

    /// Runs one batch as one transaction: a result per job, in order (an
    /// insert's new id, a change's rows changed), or the error that undid it all.
    public typealias Commit = ([Job]) throws(StoreError) -> [Int64]

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var pending: [Job] = []
    private var closing = false
    private var stats = StoreWriter.Stats()
    private var queuedBytes = 0
    private var queuedInserts = 0

    private let limits: StoreWriter.Limits
    private let node: String?
    private let pauseAfterFailure: useconds_t
    private let onCommit: (@Sendable (CommittedBatch) -> Void)?
    private let onHealth: (@Sendable (StoreWriter.Health) -> Void)?
    private var failedBatches = 0  // the commit thread's
    private var commit: Commit?
    private var finish: (() -> Void)?
    private let finished = DispatchSemaphore(value: 0)

    /// - node: recorded on each committed request that does not name one.
    /// - pauseAfterFailureMicros: a failing store is given this long before
    ///   the next batch, instead of being spun on (its senders have their 503).
    public init(limits: StoreWriter.Limits, node: String?, pauseAfterFailureMicros: UInt32,
                onHealth: (@Sendable (StoreWriter.Health) -> Void)?, onCommit: (@Sendable (CommittedBatch) -> Void)?) {
        self.limits = limits
        self.node = node
        self.pauseAfterFailure = pauseAfterFailureMicros
        self.onHealth = onHealth
        self.onCommit = onCommit
    }

    /// Starts the commit thread. `finish` runs on it after the last batch (closing the connection).
    public func start(name: String, commit: @escaping Commit, finish: @escaping () -> Void) {
        // Set before the thread starts, used only on it.
        self.commit = commit
        self.finish = finish
        let thread = Thread { [self] in
            ThreadPolicy.throughput()
            if let commit = self.commit { run(commit) }
            self.finish?()
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    public func submit(_ request: consuming CapturedRequest, completion: @escaping StoreWriter.Completion) {
        let size = request.body.count + request.headers.count * 64 + 512
        let insert = Insert(request, completion)
        condition.lock()
        if closing {
            stats.rejected += 1
            condition.unlock()
            return completion(.failure(.closed))
        }
        if queuedInserts >= limits.requests || queuedBytes + size > limits.bytes {
            let (n, bytes) = (queuedInserts, queuedBytes)
            stats.rejected += 1
            condition.unlock()
            return completion(.failure(.overloaded(queued: n, bytes: bytes)))
        }
        queuedInserts += 1
        queuedBytes += size
        pending.append(.insert(insert))
        if pending.count == 1 { condition.signal() }
        condition.unlock()
    }

    public func apply(_ mutation: StoreMutation, completion: @escaping @Sendable (Result<Int, StoreError>) -> Void) {
        condition.lock()
        if closing {
            condition.unlock()
            return completion(.failure(.closed))
        }
        pending.append(.mutate(mutation, completion))
        if pending.count == 1 { condition.signal() }
        condition.unlock()
    }

    public func currentStats() -> StoreWriter.Stats {
        condition.lock()
        defer { condition.unlock() }
        var now = stats
        now.queued = queuedInserts
        return now
    }

    /// Commits what is queued, stops the thread and waits for `finish`.
    public func close() {
        condition.lock()
        let alreadyClosing = closing
        closing = true
        condition.signal()
        condition.unlock()
        if !alreadyClosing { finished.wait() }
    }

    private func run(_ commit: Commit) {
        var batch: [Job] = []
        while true {
            condition.lock()
            while pending.isEmpty && !closing { condition.wait() }
            if pending.isEmpty {
                condition.unlock()
                return
            }
            swap(&batch, &pending)
            queuedInserts = 0
            queuedBytes = 0
            condition.unlock()
            if !answer(batch, commit) { usleep(pauseAfterFailure) }
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// Commits one batch and answers every job in it. Returns whether it committed.
    private func answer(_ batch: [Job], _ commit: Commit) -> Bool {
        let began = Timestamp.now()
        let results: [Int64]
        do {
            results = try commit(batch)
        } catch {
            failedBatches += 1
            if failedBatches == 1 { onHealth?(.failing(error)) }
            let inserts = Self.inserts(in: batch)
            condition.lock()
            stats.rejected += inserts
            condition.unlock()
            for job in batch {
                switch job {
                case .insert(let insert): insert.completion(.failure(error))
                case .mutate(_, let completion): completion(.failure(error))
                }
            }
            return false
        }
        if failedBatches > 0 {
            onHealth?(.recovered(failedBatches: failedBatches))
            failedBatches = 0
        }
        let inserts = Self.inserts(in: batch)
        record(batchSize: inserts, micros: Timestamp.now().elapsedMicroseconds(since: began))
        // Senders first: what they are told does not wait for the deliverer or the log.
        for (job, result) in zip(batch, results) {
            switch job {
            case .insert(let insert): insert.completion(.success(result))
            case .mutate(_, let completion): completion(.success(Int(result)))
            }
        }
        guard let onCommit, inserts > 0 else { return true }
        var committed: [Insert] = [], ids: [Int64] = []
        committed.reserveCapacity(inserts)
        ids.reserveCapacity(inserts)
        for (job, result) in zip(batch, results) {
            guard case .insert(let insert) = job else { continue }
            committed.append(insert)
            ids.append(result)
        }
        onCommit(CommittedBatch(committed, ids: ids, node: node))
        return true
    }

    private static func inserts(in batch: [Job]) -> Int {
        batch.reduce(0) { n, job in if case .insert = job { n + 1 } else { n } }
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

/// The requests of a batch just committed, as the commit thread holds them.
/// A consumer that only asks about them reads each where it is; one that
/// keeps them takes `requests`, copies with their ids and node filled in.
/// (Copying every request of every batch, thirty fields a retain each, took
/// 4 % of the commit thread's time when nothing wanted the copies.)
public struct CommittedBatch: Sendable {
    private let inserts: [GroupCommit.Insert]
    private let ids: [Int64]
    private let node: String?

    init(_ inserts: [GroupCommit.Insert], ids: [Int64], node: String?) {
        self.inserts = inserts
        self.ids = ids
        self.node = node
    }

    public var count: Int { inserts.count }

    /// Whether any request passes `test`, each read in place.
    public func contains(where test: (borrowing CapturedRequest) -> Bool) -> Bool {
        inserts.contains { $0.satisfies(test) }
    }

    /// The requests as committed: each with its id, and the writer's node where it named none.
    public var requests: [CapturedRequest] {
        zip(inserts, ids).map { insert, id in
            var request = insert.request
            request.id = id
            if request.node == nil { request.node = node }
            return request
        }
    }
}
