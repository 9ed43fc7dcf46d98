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
    private let queue: GroupCommit
    private let connect: () throws(StoreError) -> PGConnection
    private let node: String?
    private let pid = getpid()
    private var db: PGConnection?  // the commit thread's
    /// At most this many rows in one INSERT (PostgreSQL takes 65,535 parameters).
    private static let rowsPerInsert = 1000

    init(connect: @escaping () throws(StoreError) -> PGConnection, first: PGConnection, node: String?, limits: StoreWriter.Limits,
         onHealth: (@Sendable (StoreWriter.Health) -> Void)?, onCommit: (@Sendable (CommittedBatch) -> Void)?) {
        self.connect = connect
        self.db = first
        self.node = node
        queue = GroupCommit(limits: limits, node: node, pauseAfterFailureMicros: 50_000, onHealth: onHealth, onCommit: onCommit)
        queue.start(name: "hooktop-postgres-writer", commit: { [unowned self] batch throws(StoreError) in try commit(batch) },
                    finish: { [unowned self] in db?.close() })
    }

    func submit(_ request: consuming CapturedRequest, completion: @escaping StoreWriter.Completion) { queue.submit(request, completion: completion) }

    func apply(_ mutation: StoreMutation, completion: @escaping @Sendable (Result<Int, StoreError>) -> Void) {
        queue.apply(mutation, completion: completion)
    }

    func currentStats() -> StoreWriter.Stats { queue.currentStats() }

    func close() { queue.close() }

    /// One batch in one transaction: a new id per insert, rows changed per mutation.
    private func commit(_ batch: [GroupCommit.Job]) throws(StoreError) -> [Int64] {
        var inserts: [GroupCommit.Insert] = []
        for case .insert(let insert) in batch { inserts.append(insert) }
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
            let returned = insertSteps.flatMap { results[$0].rows.map { PGRow($0).int(0) } }
            guard returned.count == inserts.count else {
                throw .postgres(db.location.description, "the insert returned \(returned.count) ids for \(inserts.count) rows", context: "storing requests")
            }
            var ids = returned.makeIterator()
            var changed = mutationSteps.map { Int64($0.map { results[$0].metadata.rows ?? 0 } ?? 0) }.makeIterator()
            return batch.map { job in
                switch job {
                case .insert: ids.next() ?? 0
                case .mutate: changed.next() ?? 0
                }
            }
        } catch {
            if db?.isClosed == true { db = nil }
            throw error
        }
    }

    /// One multi-row INSERT returning the ids in the order of the rows.
    private func insertStatement(_ rows: ArraySlice<GroupCommit.Insert>) -> PostgresMutations.Statement {
        var binds = PostgresBindings(capacity: rows.count * PostgresRows.binds(toExpectation: true))
        var tuples: [String] = []
        tuples.reserveCapacity(rows.count)
        var next = 1
        for insert in rows {
            let r = insert.request
            let expected = Expectation.token(inTarget: r.target) != nil
            tuples.append(PostgresRows.valuesTuple(first: next, toExpectation: expected))
            next += PostgresRows.binds(toExpectation: expected)
            // A pending delivery is leased to this daemon, which makes the first attempt itself.
            PostgresRows.bindInsert(&binds, r, leasedBy: r.deliveryState == .pending ? pid : nil, node: node,
                                    headerBytes: insert.headerBytes, responseHeaderBytes: insert.responseHeaderBytes)
        }
        return ("INSERT INTO requests (\(PostgresRows.insertColumns)) VALUES " + tuples.joined(separator: ", ") + " RETURNING id", binds)
    }
}
