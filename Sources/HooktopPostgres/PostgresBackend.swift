import Foundation
import HooktopCore
import HooktopStore
import PostgresNIO

/// A PostgreSQL database as hooktop's store: many daemons write it, any
/// command reads it. The schema is created and migrated on first use.
public struct PostgresBackend: StoreBackend {
    public let address: PostgresLocation
    private let password: String?
    /// The name recorded on what this process captures, and on its delivery leases.
    public let node: String?

    public var location: String { address.description }
    public var sharedByDaemons: Bool { true }

    /// Parses the URL and finds the password (never in the URL: see `PostgresLocation`).
    public init(url: String, passwordEnv: String?, node: String?, environment: [String: String]) throws(StoreError) {
        address = try PostgresLocation.parse(url, environment: environment).get()
        password = address.password(passwordEnv: passwordEnv, environment: environment)
        self.node = node
    }

    /// A new connection with the schema up to date.
    func connect() throws(StoreError) -> PGConnection {
        let db = try PGConnection(address, password: password)
        do {
            try PostgresSchema.apply(on: db)
        } catch {
            db.close()
            throw error
        }
        return db
    }

    /// Connects again after the server dropped a connection (the schema is there by then).
    private var redial: () throws(StoreError) -> PGConnection {
        let (address, password) = (self.address, self.password)
        return { () throws(StoreError) in try PGConnection(address, password: password) }
    }

    /// The server is the store: it is there when it answers (the schema is made on first use).
    public func exists() -> Bool { true }

    public func openWriter(limits: StoreWriter.Limits, onHealth: (@Sendable (StoreWriter.Health) -> Void)?,
                           onCommit: (@Sendable (CommittedBatch) -> Void)?) throws(StoreError) -> any StoreWriting {
        return PostgresWriter(connect: redial, first: try connect(), node: node, limits: limits, onHealth: onHealth, onCommit: onCommit)
    }

    public func openReader(forScans: Bool) throws(StoreError) -> any StoreReading {
        PostgresReader(try connect(), node: node, reconnect: redial)
    }

    public func openImporter() throws(StoreError) -> any StoreImporting { PostgresImporter(try connect(), node: node) }

    public func prune(receivedBefore cutoff: Timestamp) throws(StoreError) -> Int {
        let db = try connect()
        defer { db.close() }
        var b = PostgresBindings()
        b.int(cutoff.microseconds)
        return try db.execute("DELETE FROM requests WHERE received_at < $1", b, context: "pruning")
    }

    public func prune(keep: Int) throws(StoreError) -> Int {
        let db = try connect()
        defer { db.close() }
        var b = PostgresBindings()
        b.int(max(keep, 0))
        return try db.execute("DELETE FROM requests WHERE id <= (SELECT id FROM requests ORDER BY id DESC LIMIT 1 OFFSET $1)", b,
                              context: "pruning")
    }

    /// A shared database is never removed by a command that failed.
    public func removeCreated() {}
}

/// `hooktop import` into PostgreSQL: a transaction per thousand rows, each
/// under the insert lock like the daemons' (ids stay in commit order).
final class PostgresImporter: StoreImporting {
    private let db: PGConnection
    private let node: String?
    /// Requests added since the last commit.
    private var inTransaction = 0
    /// Requests committed: a request counts once its transaction has (an
    /// error aborts the whole transaction on PostgreSQL).
    private(set) var imported = 0

    init(_ db: PGConnection, node: String?) {
        self.db = db
        self.node = node
    }

    func contains(_ r: CapturedRequest) throws(StoreError) -> Bool {
        var b = PostgresBindings()
        b.int(r.receivedAt.microseconds)
        b.text(r.method)
        b.text(r.target)
        b.text(r.headers.wireEncoded)
        b.bytes(r.body)
        return try !db.query("""
            SELECT 1 FROM requests WHERE received_at = $1 AND method = $2 AND target = $3 AND headers = $4 AND body = $5 LIMIT 1
            """, b, context: "importing").isEmpty
    }

    @discardableResult
    func add(_ request: CapturedRequest) throws(StoreError) -> Int64 {
        if inTransaction == 0 {
            try db.query("BEGIN", context: "importing")
            var lock = PostgresBindings()
            lock.append(PostgresSchema.insertLock)
            try db.query("SELECT pg_advisory_xact_lock($1)", lock, context: "importing")
        }
        var r = request
        r.deliveryID = r.deliveryID ?? DeliveryID.extract(headers: r.headers, body: r.body)
        var binds = PostgresBindings()
        PostgresRows.bindInsert(&binds, r, leasedBy: nil, node: nil)
        let sql = "INSERT INTO requests (\(PostgresRows.insertColumns)) VALUES \(PostgresRows.valuesTuple(first: 1, toExpectation: Expectation.token(inTarget: r.target) != nil)) RETURNING id"
        guard let id = try db.query(sql, binds, context: "importing").first.map({ PGRow($0).int(0) }) else {
            throw .postgres(db.location.description, "the insert returned no id", context: "importing")
        }
        for attempt in r.deliveries {
            let (sql, binds) = PostgresRows.insertAttempt(attempt, requestID: id, numbered: true)
            _ = try db.execute(sql, binds, context: "importing")
        }
        inTransaction += 1
        if inTransaction >= 1000 { try commit() }
        return id
    }

    func finish() throws(StoreError) {
        defer { db.close() }
        if inTransaction > 0 { try commit() }
    }

    private func commit() throws(StoreError) {
        var channel = PostgresBindings()
        channel.append(PostgresSchema.channel)
        try db.query("SELECT pg_notify($1, '')", channel, context: "importing")
        try db.query("COMMIT", context: "importing")
        imported += inTransaction
        inTransaction = 0
    }
}
