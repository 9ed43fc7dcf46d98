import Foundation
import HooktopCore
import HooktopStore
import PostgresNIO
#if canImport(Glibc)
import Glibc
#endif

/// The capture daemon's writer on PostgreSQL: requests from every
/// connection are queued and inserted together by one thread, a multi-row
/// INSERT per batch in one transaction (group commit); each completion runs
/// only after the server confirmed the COMMIT. When the server cannot be
/// reached the batch fails (senders get 503) and the next batch connects again.
final class PostgresWriter: StoreWriting, @unchecked Sendable {
    private enum Pending {
        case insert(CapturedRequest, StoreWriter.Completion)
        case mutate(StoreMutation, @Sendable (Result<Int, StoreError>) -> Void)
    }

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var pending: [Pending] = []
    private var closing = false
    private var stats = StoreWriter.Stats()
    private var queuedBytes = 0
    private var queuedInserts = 0

    private let limits: StoreWriter.Limits
    private let connect: () throws(StoreError) -> PGConnection
    private let node: String?
    private let pid = getpid()
    private let onCommit: (@Sendable ([CapturedRequest]) -> Void)?
    private let onHealth: (@Sendable (StoreWriter.Health) -> Void)?
    // Owned by the writer thread.
    private var db: PGConnection?
    private var failedBatches = 0
    private let finished = DispatchSemaphore(value: 0)
    /// At most this many rows in one INSERT (PostgreSQL takes 65,535 parameters).
    private static let rowsPerInsert = 1000

    init(connect: @escaping () throws(StoreError) -> PGConnection, first: PGConnection, node: String?, limits: StoreWriter.Limits,
         onHealth: (@Sendable (StoreWriter.Health) -> Void)?, onCommit: (@Sendable ([CapturedRequest]) -> Void)?) {
        self.connect = connect
        self.db = first
        self.node = node
        self.limits = limits
        self.onHealth = onHealth
        self.onCommit = onCommit
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "hooktop-postgres-writer"
        thread.start()
    }

    func submit(_ request: CapturedRequest, completion: @escaping StoreWriter.Completion) {
        condition.lock()
        if closing {
            stats.rejected += 1
            condition.unlock()
            return completion(.failure(.closed))
        }
        let size = request.body.count + request.headers.count * 64 + 512
        if queuedInserts >= limits.requests || queuedBytes + size > limits.bytes {
            let (n, bytes) = (queuedInserts, queuedBytes)
            stats.rejected += 1
            condition.unlock()
            return completion(.failure(.overloaded(queued: n, bytes: bytes)))
        }
        queuedInserts += 1
        queuedBytes += size
        pending.append(.insert(request, completion))
        if pending.count == 1 { condition.signal() }
        condition.unlock()
    }

    func apply(_ mutation: StoreMutation, completion: @escaping @Sendable (Result<Int, StoreError>) -> Void) {
        condition.lock()
        if closing {
            condition.unlock()
            return completion(.failure(.closed))
        }
        pending.append(.mutate(mutation, completion))
        if pending.count == 1 { condition.signal() }
        condition.unlock()
    }

    func currentStats() -> StoreWriter.Stats {
        condition.lock()
        defer { condition.unlock() }
        var now = stats
        now.queued = queuedInserts
        return now
    }

    func close() {
        condition.lock()
        let alreadyClosing = closing
        closing = true
        condition.signal()
        condition.unlock()
        if !alreadyClosing { finished.wait() }
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
            condition.unlock()
            if !commit(batch) { usleep(50_000) }  // a server that is down: senders have their 503, do not spin
            batch.removeAll(keepingCapacity: true)
        }
        db?.close()
        finished.signal()
    }

    /// Commits one batch and answers every job in it. Returns whether it committed.
    private func commit(_ batch: [Pending]) -> Bool {
        var inserts: [CapturedRequest] = []
        for case .insert(let r, _) in batch { inserts.append(r) }
        let began = Timestamp.now()
        var ids: [Int64] = []
        var changed: [Int] = []
        do throws(StoreError) {
            if db == nil || db?.isClosed == true {
                db?.close()
                db = nil
                db = try connect()
            }
            guard let db else { throw .closed }
            try db.query("BEGIN", context: "storing requests")
            do throws(StoreError) {
                if !inserts.isEmpty {
                    var lock = PostgresBindings()
                    lock.append(PostgresSchema.insertLock)
                    try db.query("SELECT pg_advisory_xact_lock($1)", lock, context: "storing requests")
                    var start = 0
                    while start < inserts.count {
                        let chunk = inserts[start..<min(start + Self.rowsPerInsert, inserts.count)]
                        ids += try insert(chunk, on: db)
                        start += chunk.count
                    }
                }
                for case .mutate(let m, _) in batch { changed.append(try PostgresMutations.run(m, on: db, node: node)) }
                var channel = PostgresBindings()
                channel.append(PostgresSchema.channel)
                try db.query("SELECT pg_notify($1, '')", channel, context: "storing requests")
                try db.query("COMMIT", context: "storing requests")
            } catch {
                _ = try? db.query("ROLLBACK", context: "storing requests")
                throw error
            }
        } catch {
            if db?.isClosed == true { db = nil }
            failedBatches += 1
            if failedBatches == 1 { onHealth?(.failing(error)) }
            condition.lock()
            stats.rejected += inserts.count
            condition.unlock()
            for item in batch {
                switch item {
                case .insert(_, let completion): completion(.failure(error))
                case .mutate(_, let completion): completion(.failure(error))
                }
            }
            return false
        }
        if failedBatches > 0 {
            onHealth?(.recovered(failedBatches: failedBatches))
            failedBatches = 0
        }
        var committed: [CapturedRequest] = []
        for (var request, id) in zip(inserts, ids) {
            request.id = id
            if request.node == nil { request.node = node }
            committed.append(request)
        }
        record(batchSize: committed.count, micros: Timestamp.now().elapsedMicroseconds(since: began))
        if let onCommit, !committed.isEmpty { onCommit(committed) }
        var nextID = ids.makeIterator(), nextChange = changed.makeIterator()
        for item in batch {
            switch item {
            case .insert(_, let completion): completion(.success(nextID.next() ?? 0))
            case .mutate(_, let completion): completion(.success(nextChange.next() ?? 0))
            }
        }
        return true
    }

    /// One multi-row INSERT; the ids in the order of the rows.
    private func insert(_ rows: ArraySlice<CapturedRequest>, on db: PGConnection) throws(StoreError) -> [Int64] {
        var binds = PostgresBindings(capacity: rows.count * PostgresRows.bindsPerRow)
        var tuples: [String] = []
        tuples.reserveCapacity(rows.count)
        for (i, r) in rows.enumerated() {
            tuples.append(PostgresRows.valuesTuple(first: 1 + i * PostgresRows.bindsPerRow))
            // A pending delivery is leased to this daemon, which makes the first attempt itself.
            PostgresRows.bindInsert(&binds, r, leasedBy: r.deliveryState == .pending ? pid : nil, node: node)
        }
        let sql = "INSERT INTO requests (\(PostgresRows.insertColumns)) VALUES " + tuples.joined(separator: ", ") + " RETURNING id"
        let ids = try db.query(sql, binds, context: "storing requests").map { PGRow($0).int(0) }
        guard ids.count == rows.count else { throw .postgres(db.location.description, "the insert returned \(ids.count) ids for \(rows.count) rows", context: "storing requests") }
        return ids
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
