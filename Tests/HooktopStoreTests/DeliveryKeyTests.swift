import Foundation
import HooktopCore
@testable import HooktopStore
import HooktopTesting
import XCTest

/// A provider's retry is found through `delivery_key`, the delivery id's
/// 64-bit hash (migration 0009), kept in `delivery_keys` (migration 0010).
final class DeliveryKeyTests: XCTestCase {
    private var dir: TempDirectory!
    private var path: String { dir.file("hooktop.sqlite") }

    override func setUp() { dir = TempDirectory("delivery-key") }

    /// FNV-1a, 64 bits, over the id's UTF-8, as Python computes it: the key is stored, so it never changes.
    func testTheKeyIsFNV1aOverTheIdsBytes() {
        XCTAssertEqual(RequestRows.deliveryKey("evt_1NXxd2KZ0dZRqLEK1ASxV0"), 7_855_154_314_381_758_417)
        XCTAssertEqual(RequestRows.deliveryKey("é-Ω"), -8_618_761_531_441_174_571)
    }

    /// A database made before the key existed gets it for every stored request, and its duplicates stay duplicates.
    func testRequestsStoredBeforeTheKeyExistedGetIt() throws {
        let db = try SQLiteConnection(path: path, readOnly: false)
        try db.execute("PRAGMA journal_mode=WAL; CREATE TABLE hooktop_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)")
        let before = Migrations.all.prefix { $0.name != "0009_delivery_keys" }
        XCTAssertEqual(before.count, 8)
        for step in before {
            try db.execute(step.sql)
            try db.execute("INSERT INTO hooktop_migrations VALUES ('\(step.name)', 0)")
        }
        for id in ["'evt_A'", "'évt-Ω'", "'evt_A'", "NULL"] {
            try db.execute("""
                INSERT INTO requests (received_at, remote, method, target, version, headers, body, body_size, body_truncated,
                    response_status, response_headers, response_body, response_duration_us, delivery_id)
                VALUES (1, '127.0.0.1:1', 'POST', '/', 'HTTP/1.1', '', x'', 0, 0, 200, '', x'', 0, \(id))
                """)
        }
        db.close()

        try StoreWriter(StoreConfiguration(path: path)).close()
        let upgraded = try SQLiteConnection(path: path, readOnly: true)
        defer { upgraded.close() }
        XCTAssertEqual(try upgraded.scalarInt("SELECT delivery_key FROM requests WHERE id = 1"), RequestRows.deliveryKey("evt_A"))
        XCTAssertEqual(try upgraded.scalarInt("SELECT delivery_key FROM requests WHERE id = 2"), RequestRows.deliveryKey("évt-Ω"))
        XCTAssertEqual(try upgraded.scalarInt("SELECT delivery_key IS NULL FROM requests WHERE id = 4"), 1)
        XCTAssertEqual(try upgraded.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'requests_delivery_id'"), 0)
        // Migration 0010: the keys moved to `delivery_keys`, each request's duplicate stored with it.
        XCTAssertEqual(try upgraded.scalarInt("SELECT count(*) FROM sqlite_master WHERE name = 'requests_delivery_key'"), 0)
        XCTAssertEqual(try upgraded.scalarInt("SELECT sum(id) FROM delivery_keys"), 6, "requests 1, 2 and 3: the ones with an id")
        XCTAssertEqual(try upgraded.scalarInt("SELECT count(*) FROM delivery_keys"), 3)
        XCTAssertEqual(try upgraded.scalarInt("SELECT duplicate_of FROM requests WHERE id = 3"), 1)
        XCTAssertEqual(try upgraded.scalarInt("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'delivery_keys_through'"), 4)
        let reader = try StoreReader(path: path)
        XCTAssertEqual(try reader.request(id: 3).duplicateOf, 1)
        XCTAssertNil(try reader.request(id: 2).duplicateOf)
        XCTAssertEqual(try reader.list(limit: 0, filter: try Filter.parse("~dup")).map(\.id), [3])
    }

    /// Two ids with one key are two deliveries: the ids are compared too,
    /// whether the earlier request is still held in memory or in `delivery_keys`.
    /// And the lookup goes through `delivery_keys`' primary key, not a scan.
    func testASharedKeyAloneMakesNoDuplicateAndTheIndexIsUsed() throws {
        try StoreWriter(StoreConfiguration(path: path)).close()
        let db = try SQLiteConnection(path: path, readOnly: false)
        // Request 1 has evt_A's key but is evt_B: two ids with one key, as a collision would make.
        try db.execute("""
            INSERT INTO requests (received_at, remote, method, target, version, headers, body, body_size, body_truncated,
                response_status, response_headers, response_body, response_duration_us, delivery_id, delivery_key)
            VALUES (1, '127.0.0.1:1', 'POST', '/', 'HTTP/1.1', '', x'', 0, 0, 200, '', x'', 0, 'evt_B', \(RequestRows.deliveryKey("evt_A")))
            """)
        var plan: [String] = []
        try db.with("EXPLAIN QUERY PLAN " + DeliveryIndex.foldedSQL) { s throws(StoreError) in
            while try s.step() { plan.append(s.text(PlanColumn.detail) ?? "") }
        }
        XCTAssertTrue(plan.contains { $0.contains("d USING PRIMARY KEY (key=?)") }, "\(plan)")
        db.close()

        var a = Fixtures.request()
        a.deliveryID = "evt_A"
        for _ in 0..<2 {  // each writer reads request 1 back (not folded), stores evt_A, folds on closing
            let writer = try StoreWriter(StoreConfiguration(path: path))
            for request in [a, a] {
                let done = expectation(description: "stored")
                writer.submit(request) { _ in done.fulfill() }
                wait(for: [done], timeout: 10)
            }
            writer.close()
        }
        let reader = try StoreReader(path: path)
        XCTAssertNil(try reader.request(id: 2).duplicateOf, "evt_A shares evt_B's key, not its id")
        XCTAssertEqual(try reader.request(id: 3).duplicateOf, 2)
        XCTAssertEqual(try reader.request(id: 4).duplicateOf, 2, "found in delivery_keys, past request 1")
        XCTAssertEqual(try reader.request(id: 5).duplicateOf, 2)
        XCTAssertEqual(try reader.list(limit: 0, filter: try Filter.parse("~dup")).map(\.id), [5, 4, 3])
    }
}

private enum PlanColumn: Int32, ResultColumn { case id, parent, notUsed, detail }
