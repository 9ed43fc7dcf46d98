import Foundation
import HooktopCore
@testable import HooktopStore
import HooktopTesting
import XCTest

/// Each stored request's `duplicate_of` is the earliest stored request with
/// its delivery id, whether that one's key is still held by the writer or
/// already folded into `delivery_keys` — across folds and their slices, a
/// restart, and other processes writing the same file.
final class DeliveryIndexTests: XCTestCase {
    private var dir: TempDirectory!
    private var path: String { dir.file("hooktop.sqlite") }

    override func setUp() { dir = TempDirectory("delivery-index") }

    private func request(_ deliveryID: String?) -> CapturedRequest {
        var r = Fixtures.request()
        r.deliveryID = deliveryID
        return r
    }

    /// Stores `ids` a transaction of `perTransaction` at a time through one
    /// index that folds every `foldEvery` keys, `slice` keys a transaction.
    /// Returns the new rows' ids.
    private func store(_ ids: [String?], db: SQLiteConnection, index: DeliveryIndex, perTransaction: Int) throws -> [Int64] {
        var stored: [Int64] = []
        for start in stride(from: 0, to: ids.count, by: perTransaction) {
            try db.execute("BEGIN IMMEDIATE")
            try index.began(db)
            for id in ids[start..<min(ids.count, start + perTransaction)] {
                stored.append(try RequestRows.insert(request(id), into: db, duplicates: index))
            }
            try index.foldSlice(db)
            try db.execute("COMMIT")
        }
        return stored
    }

    /// What `duplicate_of` must be: the first row with the same id.
    private func expected(_ ids: [String?], rows: [Int64]) -> [Int64: Int64] {
        var first: [String: Int64] = [:], out: [Int64: Int64] = [:]
        for (id, row) in zip(ids, rows) {
            guard let id else { continue }
            if let earlier = first[id] { out[row] = earlier } else { first[id] = row }
        }
        return out
    }

    private func duplicates(_ db: SQLiteConnection) throws -> [Int64: Int64] {
        try db.with("SELECT id, duplicate_of FROM requests WHERE duplicate_of IS NOT NULL") { s throws(StoreError) in
            var out: [Int64: Int64] = [:]
            while try s.step() { out[s.int(Pair.first)] = s.int(Pair.second) }
            return out
        }
    }

    func testDuplicatesAreFoundWhetherHeldOrFoldedAndEveryKeyIsFoldedOnce() throws {
        let db = try Store.openForWriting(StoreConfiguration(path: path))
        defer { db.close() }
        // Folds start every 5 keys and take 4 keys a transaction, so requests
        // arrive while a fold is half done; ids repeat near and far apart.
        let index = try DeliveryIndex(db, foldEvery: 5, slice: 4)
        var generator = SystemRandomNumberGenerator()
        let ids: [String?] = (0..<120).map { _ in
            Int.random(in: 0..<10, using: &generator) == 0 ? nil : "evt_\(Int.random(in: 0..<25, using: &generator))"
        }
        let rows = try store(ids, db: db, index: index, perTransaction: 3)
        XCTAssertEqual(try duplicates(db), expected(ids, rows: rows))
        XCTAssertFalse(try duplicates(db).isEmpty)

        let through = try XCTUnwrap(db.scalarInt("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'delivery_keys_through'"))
        XCTAssertGreaterThan(through, 90, "folds went on as requests came")
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM requests WHERE id <= \(through) AND delivery_id IS NOT NULL"),
                       try db.scalarInt("SELECT count(*) FROM delivery_keys WHERE id <= \(through)"),
                       "every request up to `through` is in delivery_keys, once")
        try db.execute("BEGIN IMMEDIATE")
        try index.foldAll(db)
        try db.execute("COMMIT")
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM requests WHERE delivery_id IS NOT NULL"),
                       try db.scalarInt("SELECT count(*) FROM delivery_keys"))
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM delivery_keys d JOIN requests r ON r.id = d.id WHERE d.key != r.delivery_key"), 0)

        // A reader sees the same through the column.
        let reader = try StoreReader(path: path)
        let listed = try reader.list(limit: 0, filter: try Filter.parse("~dup")).map(\.id)
        XCTAssertEqual(Set(listed), Set(expected(ids, rows: rows).keys))
    }

    /// A writer that stopped without folding (killed) leaves keys only in
    /// the rows: the next one reads them back and still finds the duplicates.
    func testKeysNotFoldedAreReadBackByTheNextWriter() throws {
        let db = try Store.openForWriting(StoreConfiguration(path: path))
        let index = try DeliveryIndex(db, foldEvery: 1_000)
        let first = try store(["evt_A", nil, "evt_B"], db: db, index: index, perTransaction: 3)
        db.close()  // no fold: what a SIGKILL leaves
        XCTAssertEqual(first, [1, 2, 3])

        let writer = try StoreWriter(StoreConfiguration(path: path))
        for id in ["evt_B", "evt_A", "evt_C"] {
            let done = expectation(description: "stored")
            writer.submit(request(id)) { _ in done.fulfill() }
            wait(for: [done], timeout: 10)
        }
        writer.close()
        let reader = try StoreReader(path: path)
        XCTAssertEqual(try reader.request(id: 4).duplicateOf, 3)
        XCTAssertEqual(try reader.request(id: 5).duplicateOf, 1)
        XCTAssertNil(try reader.request(id: 6).duplicateOf)
        let check = try SQLiteConnection(path: path, readOnly: true)
        defer { check.close() }
        XCTAssertEqual(try check.scalarInt("SELECT count(*) FROM delivery_keys"), 5, "the closing writer folded every key")
    }

    /// An import beside a running daemon: each sees the other's requests.
    func testAnotherProcessesRequestsAreSeen() throws {
        let writer = try StoreWriter(StoreConfiguration(path: path))
        func submit(_ id: String) {
            let done = expectation(description: "stored")
            writer.submit(request(id)) { _ in done.fulfill() }
            wait(for: [done], timeout: 10)
        }
        submit("evt_D")                                            // 1
        let importer = try StoreImporter(StoreConfiguration(path: path))
        try importer.add(request("evt_D"))                         // 2: the daemon's, held in its memory
        try importer.add(request("evt_E"))                         // 3
        try importer.finish()
        submit("evt_E")                                            // 4: the importer's, folded by it
        submit("evt_D")                                            // 5
        // A second daemon on the file: its request is committed but its key only in its memory.
        let second = try StoreWriter(StoreConfiguration(path: path))
        let done = expectation(description: "stored")
        second.submit(request("evt_G")) { _ in done.fulfill() }    // 6
        wait(for: [done], timeout: 10)
        submit("evt_G")                                            // 7: read from the rows after SQLite said the file changed
        second.close()
        writer.close()
        let reader = try StoreReader(path: path)
        XCTAssertEqual(try reader.request(id: 2).duplicateOf, 1)
        XCTAssertEqual(try reader.request(id: 4).duplicateOf, 3)
        XCTAssertEqual(try reader.request(id: 5).duplicateOf, 1)
        XCTAssertEqual(try reader.request(id: 7).duplicateOf, 6)
    }

    /// An import that SQLite rolled back (here a trigger's RAISE(ROLLBACK), as
    /// a full disk would) folds nothing: the ids it held go to the next rows,
    /// whose keys must still be read in and found.
    func testAnImportRolledBackBySQLiteFoldsNothing() throws {
        let setup = try StoreImporter(StoreConfiguration(path: path))
        try setup.finish()
        let db = try Store.openForWriting(StoreConfiguration(path: path))
        try db.execute("CREATE TRIGGER boom BEFORE INSERT ON requests WHEN NEW.delivery_id = 'evt_boom' BEGIN SELECT RAISE(ROLLBACK, 'boom'); END")
        db.close()
        let failed = try StoreImporter(StoreConfiguration(path: path))
        try failed.add(request("evt_A"))                           // 1, rolled back below
        XCTAssertThrowsError(try failed.add(request("evt_boom")))
        try? failed.finish()
        XCTAssertEqual(failed.imported, 0, "nothing it added was committed")
        let check = try SQLiteConnection(path: path, readOnly: true)
        defer { check.close() }
        XCTAssertEqual(try check.scalarInt("SELECT count(*) FROM requests"), 0)
        XCTAssertEqual(try check.scalarInt("SELECT count(*) FROM delivery_keys"), 0)
        let next = try StoreImporter(StoreConfiguration(path: path))
        try next.add(request("evt_B"))                             // 1 again
        XCTAssertEqual(next.imported, 0, "not before its commit")
        try next.finish()
        XCTAssertEqual(next.imported, 1)
        let again = try StoreImporter(StoreConfiguration(path: path))
        try again.add(request("evt_B"))                            // 2
        try again.finish()
        XCTAssertEqual(try StoreReader(path: path).request(id: 2).duplicateOf, 1)
    }

    /// `duplicate_of` says what was stored when the request came: pruning the
    /// original leaves it, and the next retry names the earliest still stored.
    /// The pruned request's key leaves `delivery_keys` with the next fold there.
    func testPruningTheOriginal() throws {
        let db = try Store.openForWriting(StoreConfiguration(path: path))
        defer { db.close() }
        let index = try DeliveryIndex(db, foldEvery: 1, slice: 10)
        _ = try store(["evt_P", "evt_P"], db: db, index: index, perTransaction: 1)
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM delivery_keys"), 2)
        XCTAssertEqual(try StorePruner.prune(path: path, keep: 1), 1)
        _ = try store(["evt_P"], db: db, index: index, perTransaction: 1)
        XCTAssertEqual(try duplicates(db), [2: 1, 3: 2])
        XCTAssertEqual(try db.scalarInt("SELECT sum(id) FROM delivery_keys"), 5, "2 and 3; 1 went with the fold of its key")
    }

    /// A retry stored while its original's key was being folded is found
    /// once the original is pruned.
    func testARetryHeldDuringAFoldIsFoundWhenTheOriginalIsPruned() throws {
        let db = try Store.openForWriting(StoreConfiguration(path: path))
        defer { db.close() }
        // The fold of requests 1-3 takes two transactions; request 4 comes during it.
        let index = try DeliveryIndex(db, foldEvery: 3, slice: 1)
        _ = try store(["evt_Q", "evt_X", "evt_Y", "evt_Q"], db: db, index: index, perTransaction: 1)
        XCTAssertEqual(try db.scalarInt("SELECT count(*) FROM delivery_keys"), 3)
        XCTAssertEqual(try StorePruner.prune(path: path, keep: 3), 1)
        _ = try store(["evt_Q"], db: db, index: index, perTransaction: 1)
        XCTAssertEqual(try duplicates(db), [4: 1, 5: 4])
    }

    /// Two writers' folds overlapping: the one that ends last, covering
    /// less, does not take `delivery_keys_through` back.
    func testAFoldThatEndsLastCoveringLessLeavesThroughWhereItWas() throws {
        let first = try Store.openForWriting(StoreConfiguration(path: path))
        defer { first.close() }
        let slow = try DeliveryIndex(first, foldEvery: 3, slice: 1)
        _ = try store(["evt_1", "evt_2", "evt_3"], db: first, index: slow, perTransaction: 1)  // its fold of 3 is under way
        let second = try Store.openForWriting(StoreConfiguration(path: path))
        defer { second.close() }
        let fast = try DeliveryIndex(second, foldEvery: 100)
        _ = try store(["evt_4", "evt_5", "evt_6"], db: second, index: fast, perTransaction: 3)
        try second.execute("BEGIN IMMEDIATE")
        try fast.foldAll(second)
        try second.execute("COMMIT")
        let through = "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'delivery_keys_through'"
        XCTAssertEqual(try second.scalarInt(through), 6)
        try first.execute("BEGIN IMMEDIATE")
        try slow.began(first)
        try slow.foldSlice(first)  // the slow fold's last slice: it covered requests up to 3
        try first.execute("COMMIT")
        XCTAssertEqual(try first.scalarInt(through), 6)
        XCTAssertEqual(try first.scalarInt("SELECT count(*) FROM delivery_keys"), 6)
    }
}

private enum Pair: Int32, ResultColumn { case first, second }
