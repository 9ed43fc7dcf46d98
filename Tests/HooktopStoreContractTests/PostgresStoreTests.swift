import Foundation
import HooktopCore
@testable import HooktopPostgres
import HooktopStore
import HooktopTesting
import PostgresNIO
import XCTest

/// What only the PostgreSQL store has: its URL, its password sources, a
/// server that goes away and comes back, daemons starting at once.
final class PostgresStoreTests: XCTestCase {
    private var stores: PostgresStores!
    override func setUp() { stores = PostgresStores() }
    override func tearDown() { stores = nil }

    private func parse(_ url: String, _ env: [String: String] = ["USER": "me"]) -> Result<PostgresLocation, StoreError> {
        PostgresLocation.parse(url, environment: env)
    }

    func testURLsAreParsedAndPasswordsRefused() throws {
        let full = try parse("postgres://hook@db.example:6543/captures?sslmode=require").get()
        XCTAssertEqual(full, PostgresLocation(user: "hook", host: "db.example", port: 6543, database: "captures", tls: .require))
        XCTAssertEqual(full.description, "postgres://hook@db.example:6543/captures")
        let defaults = try parse("postgresql://127.0.0.1/x").get()
        XCTAssertEqual([defaults.user, defaults.host, "\(defaults.port)", defaults.database], ["me", "127.0.0.1", "5432", "x"])
        XCTAssertEqual(try parse("postgres://u@[::1]:5433/d").get().host, "::1")
        let refusals = ["postgres://u:secret@h/d": "password in the URL", "mysql://u@h/d": "not a postgres:// URL",
                        "postgres://u@h:99999/d": "port", "postgres://u@h": "no database", "postgres://u@h/d?x=1": "unknown URL parameter",
                        "postgres://u@:5432/d": "no host"]
        for (url, why) in refusals {
            guard case .failure(let error) = parse(url) else { XCTFail("accepted \(url)"); continue }
            XCTAssertTrue(error.description.contains(why), "\(url): \(error)")
            XCTAssertFalse(error.description.contains("secret"), "the password must not be repeated: \(error)")
        }
    }

    func testPasswordComesFromEnvironmentOrAPrivatePgpass() throws {
        let dir = TempDirectory("pgpass")
        let file = dir.file("pgpass")
        try "# comment\nother:5432:*:hook:wrong\ndb.example:6543:captures:hook:from\\:file\n*:*:*:*:fallback\n".write(toFile: file, atomically: true, encoding: .utf8)
        chmod(file, 0o600)
        let location = try parse("postgres://hook@db.example:6543/captures").get()
        XCTAssertEqual(location.password(passwordEnv: "HOOK_PW", environment: ["HOOK_PW": "named", "PGPASSWORD": "pg", "PGPASSFILE": file]), "named")
        XCTAssertEqual(location.password(passwordEnv: "HOOK_PW", environment: ["PGPASSWORD": "pg", "PGPASSFILE": file]), "pg")
        XCTAssertEqual(location.password(passwordEnv: nil, environment: ["PGPASSFILE": file]), "from:file")
        chmod(file, 0o644)
        XCTAssertNil(location.password(passwordEnv: nil, environment: ["PGPASSFILE": file]), "libpq ignores a .pgpass others can read")
    }

    /// An insert that fails aborts the whole transaction on PostgreSQL: the
    /// requests added before it in that transaction are not imported, and
    /// `hooktop import` must not say they were (nor keep a store it thinks
    /// holds them).
    func testAnImportThatFailsCountsOnlyWhatItCommitted() throws {
        let made = try stores.makeBackend(node: nil)  // throws XCTSkip without a server: outside XCTUnwrap, it skips
        let backend = try XCTUnwrap(made as? PostgresBackend)
        let db = try backend.connect()
        try db.query("CREATE FUNCTION boom() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'boom'; END $$ LANGUAGE plpgsql", context: "test")
        try db.query("CREATE TRIGGER boom BEFORE INSERT ON requests FOR EACH ROW WHEN (NEW.target = '/boom') EXECUTE FUNCTION boom()",
                     context: "test")
        db.close()
        let importer = try backend.openImporter()
        try importer.add(Fixtures.request(target: "/a"))
        XCTAssertThrowsError(try importer.add(Fixtures.request(target: "/boom")))
        XCTAssertThrowsError(try importer.finish(), "the transaction is aborted")
        XCTAssertEqual(importer.imported, 0)
        XCTAssertEqual(try backend.openReader().count(filter: nil), 0)
        let next = try backend.openImporter()
        try next.add(Fixtures.request(target: "/b"))
        try next.finish()
        XCTAssertEqual(next.imported, 1)
        XCTAssertEqual(try backend.openReader().count(filter: nil), 1)
    }

    func testAServerThatIsNotThereIsOneLineNamingIt() throws {
        _ = try PostgresTestServer.require()
        let port = try Self.closedPort()
        let backend = try PostgresBackend(url: "postgres://nobody@127.0.0.1:\(port)/none", passwordEnv: nil, node: nil, environment: [:])
        XCTAssertThrowsError(try backend.openWriter()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("postgres://nobody@127.0.0.1:\(port)/none"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }

    /// A loopback port nothing listens on (bound, then closed).
    static func closedPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard bound else { throw XCTSkip("cannot bind a loopback port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// The server drops the writer's connection (a restart, a failover): that
    /// batch fails (its senders get 503), the writer says so once, connects
    /// again by itself and the next request is stored.
    func testWriterReconnectsAfterTheServerDropsIt() throws {
        let health = Mutex<[String]>([])
        let writer = try stores.makeBackend(node: "n").openWriter(limits: StoreWriter.Limits(), onHealth: { h in
            health.withLock { $0.append("\(h)") }
        }, onCommit: nil)
        defer { writer.close() }
        _ = try store(Fixtures.request(target: "/before"), writer)
        try dropEveryConnection()
        var failures = 0
        var stored: Int64?
        for _ in 0..<50 where stored == nil {
            do { stored = try store(Fixtures.request(target: "/after"), writer) } catch { failures += 1; usleep(20_000) }
        }
        XCTAssertNotNil(stored, "the writer never connected again")
        XCTAssertLessThanOrEqual(failures, 2)
        let targets = try stores.makeBackend(node: nil).openReader().list(limit: 0).map(\.target)
        XCTAssertEqual(Set(targets), ["/before", "/after"])
        if failures > 0 {
            XCTAssertEqual(health.withLock { $0.count }, 2, "\(health.withLock { $0 })")
            XCTAssertTrue(health.withLock { $0.first ?? "" }.contains("failing"))
        }
    }

    /// The server drops every connection to the test's database, as a restart would.
    private func dropEveryConnection() throws {
        let admin = try PostgresTestServer.admin()
        defer { admin.close() }
        let database = try stores.makeBackend(node: nil).location.split(separator: "/").last.map(String.init) ?? ""
        var b = PostgresBindings()
        b.append(database)
        try admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", b, context: "test")
        usleep(100_000)
    }

    /// A dashboard left open across a server restart reads again, and hears changes again.
    func testReaderReconnectsAndListensAgain() throws {
        let backend = try stores.makeBackend(node: nil)
        let writer = try backend.openWriter()
        defer { writer.close() }
        let reader = try backend.openReader()
        _ = try store(Fixtures.request(target: "/one"), writer)
        let before = try reader.dataVersion()
        try dropEveryConnection()
        var rows: [CapturedRequest]?
        for _ in 0..<3 where rows == nil { rows = try? reader.list(limit: 0) }
        XCTAssertEqual(rows?.map(\.target), ["/one"])
        XCTAssertGreaterThan(try reader.dataVersion(), before, "missed notifications count as a change")
        let heard = try reader.dataVersion()
        var stored: Int64?
        for _ in 0..<20 where stored == nil { stored = try? store(Fixtures.request(target: "/two"), writer) }
        let deadline = Date().addingTimeInterval(1)
        while try reader.dataVersion() == heard, Date() < deadline { usleep(5_000) }
        XCTAssertGreaterThan(try reader.dataVersion(), heard, "LISTEN again after reconnecting")
    }

    /// The dashboard's running total: counts only what came since the last
    /// full count, and is exact for new requests from any daemon.
    func testDashboardTotalCountsNewRequestsIncrementally() throws {
        let writer = try stores.makeBackend(node: "a").openWriter()
        let other = try stores.makeBackend(node: "b").openWriter()
        defer { writer.close(); other.close() }
        let reader = try stores.makeBackend(node: nil).openReader()
        for i in 0..<3 { _ = try store(Fixtures.request(target: "/\(i)"), writer) }
        XCTAssertEqual(try reader.count(filter: nil), 3)
        for i in 3..<5 { _ = try store(Fixtures.request(target: "/\(i)"), i % 2 == 0 ? writer : other) }
        XCTAssertEqual(try reader.count(filter: nil), 5)
        XCTAssertEqual(try reader.headerCounts(since: .now().adding(microseconds: -60_000_000)).total, 5)
        XCTAssertEqual(try reader.count(), 5)
    }

    /// A statement that fails in a pipelined batch rolls the whole batch
    /// back (nothing half-committed), says why, and the next batch commits.
    func testAFailedStatementRollsBackItsBatchAndTheWriterGoesOn() throws {
        let writer = try stores.makeBackend(node: nil).openWriter()
        defer { writer.close() }
        let e = Expectation(token: String(repeating: "b", count: 32), label: "x", createdAt: .now(), deadline: nil, url: "u")
        try apply(.expect(e), writer)
        XCTAssertThrowsError(try apply(.expect(e), writer)) { XCTAssertTrue("\($0)".contains("duplicate key"), "\($0)") }
        let id = try store(Fixtures.request(target: "/after"), writer)
        let reader = try stores.makeBackend(node: nil).openReader()
        XCTAssertEqual(try reader.request(id: id).target, "/after")
        XCTAssertEqual(try reader.expectations().count, 1)
    }

    /// Four daemons starting on a new database at once apply each migration once.
    func testConcurrentStartsMigrateOnce() throws {
        let backend = try stores.makeBackend(node: nil)
        let errors = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do { try backend.openWriter().close() } catch { errors.withLock { $0.append("\(error)") } }
        }
        XCTAssertEqual(errors.withLock { $0 }, [])
        let admin = try (backend as! PostgresBackend).connect()
        defer { admin.close() }
        let rows = try admin.query("SELECT name FROM hooktop_migrations", context: "test").compactMap { PGRow($0).text(0) }
        XCTAssertEqual(rows, PostgresSchema.all.map(\.name))
    }

    /// Text PostgreSQL cannot hold (NUL) in one request never fails the batch it shares with others.
    func testANulInAHeaderDoesNotFailItsBatch() throws {
        let writer = try stores.makeBackend(node: nil).openWriter()
        defer { writer.close() }
        let id = try store(Fixtures.request(target: "/nul", headers: [("X-Odd", "a\u{0}b")]), writer)
        let read = try stores.makeBackend(node: nil).openReader().request(id: id)
        XCTAssertEqual(read.headers.first("X-Odd"), "a\u{FFFD}b")
    }

    /// A body search over a big table is answered by its index, not a scan of every body.
    func testBodySearchUsesTheTrigramIndex() throws {
        let backend = try stores.makeBackend(node: nil)
        try backend.openWriter().close()
        let db = try (backend as! PostgresBackend).connect()
        defer { db.close() }
        try db.query("SET enable_seqscan = off", context: "test")
        var filter = PostgresFilterSQL(now: .now())
        let condition = filter.condition(try Filter.parse("~b needle-text"))
        let plan = try db.query("EXPLAIN SELECT id FROM requests WHERE " + condition, filter.bindings, context: "test")
            .compactMap { PGRow($0).text(0) }.joined(separator: "\n")
        XCTAssertTrue(plan.contains("requests_body_trgm"), plan)
    }
}
