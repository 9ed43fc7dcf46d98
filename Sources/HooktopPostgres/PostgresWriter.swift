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
            // The whole transaction in one pipeline: BEGIN, the insert lock, the
            // inserts, the changes, NOTIFY, COMMIT. If a statement fails, the
            // server refuses the rest and turns COMMIT into ROLLBACK.
            var statements: [PostgresMutations.Statement] = [("BEGIN", PostgresBindings())]
            var lock = PostgresBindings()
            lock.append(PostgresSchema.insertLock)
            if !inserts.isEmpty { statements.append(("SELECT pg_advisory_xact_lock($1)", lock)) }
            var insertSteps: [Int] = []
            var start = 0
            while start < inserts.count {
                let chunk = inserts[start..<min(start + Self.rowsPerInsert, inserts.count)]
                insertSteps.append(statements.count)
                statements.append(insertStatement(chunk))
                start += chunk.count
            }
            var mutationSteps: [Int?] = []  // the statement whose row count is the mutation's result
            for case .mutate(let m, _) in batch {
                let sent = PostgresMutations.statements(m, node: node)
                statements += sent
                mutationSteps.append(sent.isEmpty ? nil : statements.count - 1)
            }
            var channel = PostgresBindings()
            channel.append(PostgresSchema.channel)
            statements.append(("SELECT pg_notify($1, '')", channel))
            statements.append(("COMMIT", PostgresBindings()))
            let results = try db.pipeline(statements, context: "storing requests")
            guard results.last?.metadata.command == "COMMIT" else {
                throw .postgres(db.location.description, "the transaction was rolled back", context: "storing requests")
            }
            ids = insertSteps.flatMap { results[$0].rows.map { PGRow($0).int(0) } }
            guard ids.count == inserts.count else {
                throw .postgres(db.location.description, "the insert returned \(ids.count) ids for \(inserts.count) rows", context: "storing requests")
            }
            changed = mutationSteps.map { $0.map { results[$0].metadata.rows ?? 0 } ?? 0 }
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

    /// One multi-row INSERT returning the ids in the order of the rows.
    private func insertStatement(_ rows: ArraySlice<CapturedRequest>) -> PostgresMutations.Statement {
        var binds = PostgresBindings(capacity: rows.count * PostgresRows.binds(toExpectation: true))
        var tuples: [String] = []
        tuples.reserveCapacity(rows.count)
        var next = 1
        for r in rows {
            let expected = Expectation.token(inTarget: r.target) != nil
            tuples.append(PostgresRows.valuesTuple(first: next, toExpectation: expected))
            next += PostgresRows.binds(toExpectation: expected)
            // A pending delivery is leased to this daemon, which makes the first attempt itself.
            PostgresRows.bindInsert(&binds, r, leasedBy: r.deliveryState == .pending ? pid : nil, node: node)
        }
        return ("INSERT INTO requests (\(PostgresRows.insertColumns)) VALUES " + tuples.joined(separator: ", ") + " RETURNING id", binds)
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
