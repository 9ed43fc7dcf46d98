import Foundation
import HooktopTesting
import XCTest

/// Real storage faults under a running daemon: a full disk (a small tmpfs),
/// the database made read-only (the immutable attribute on a real ext4
/// file system: a remount would be refused while files are open for
/// writing, and root ignores file modes), the database file deleted, a
/// second writer holding the lock. While a fault lasts senders get 503, never a 2xx
/// for a request that is not stored; the log says why once; capture resumes
/// by itself when the fault clears.
final class StorageFaultTests: XCTestCase {
    private var mountPoint: String?
    private var dir: TempDirectory!

    override func setUpWithError() throws {
        // Faults of the SQLite file (a full disk, a read-only or deleted file, its lock);
        // PostgreSQL's are in PostgresLiveTests and PostgresStoreTests.
        try XCTSkipIf(StoreUnderTest.isPostgres, "SQLite file faults")
        dir = TempDirectory("faults")
    }

    override func tearDown() {
        if let mountPoint {
            _ = run("/bin/mount", ["-o", "remount,rw", mountPoint])
            _ = run("/bin/umount", ["-l", mountPoint])
        }
    }

    private var loopImage: String?

    /// An ext4 file system in a loop file; skips where that cannot be mounted.
    private func ext4Disk() throws -> String {
        let image = dir.file("ext4.img"), path = dir.file("ext4")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard getuid() == 0, run("/usr/bin/truncate", ["-s", "32M", image]) == 0,
              run("/sbin/mkfs.ext4", ["-q", image]) == 0,
              run("/bin/mount", ["-o", "loop", image, path]) == 0 else {
            throw XCTSkip("mounting an ext4 loop file needs root and mkfs.ext4")
        }
        mountPoint = path
        loopImage = image
        return path
    }

    @discardableResult
    private func run(_ tool: String, _ args: [String]) -> Int32 {
        (try? HooktopBinary.spawn(tool, args))?.status ?? -1
    }

    /// A tmpfs of `size` under the temp folder; skips where mounting is not allowed.
    private func smallDisk(_ size: String) throws -> String {
        let path = dir.file("disk")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard getuid() == 0, run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", path]) == 0 else {
            throw XCTSkip("mounting a tmpfs needs root")
        }
        mountPoint = path
        return path
    }

    private func post(_ port: Int, _ body: [UInt8]) -> Int {
        guard let client = try? RawHTTPClient(port: port, timeoutSeconds: 15) else { return -1 }
        guard (try? client.send(Array("POST /fault HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)) != nil else { return -1 }
        return (try? client.readResponse().status) ?? -1
    }

    private func storedCount(_ db: String) throws -> Int {
        let out = try HooktopBinary.run(["list", "--db", db, "--json", "--limit", "0"])
        XCTAssertEqual(out.status, 0, out.stderr)
        return out.stdout.split(separator: "\n").count
    }

    private func occurrences(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    func testFullDiskAnswers503ThenResumesWhenSpaceIsFreed() throws {
        let disk = try smallDisk("3m")
        let filler = disk + "/filler"
        let db = disk + "/hooktop.sqlite"
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        XCTAssertEqual(post(daemon.port, [1]), 200)
        // Fill what is left, so the next commits cannot grow the WAL.
        _ = run("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k", "count=1000"])
        var acked = 1, refused = 0
        for _ in 0..<40 {
            switch post(daemon.port, Array(repeating: 0x61, count: 60_000)) {
            case 200: acked += 1
            case 503: refused += 1
            default: XCTFail("neither stored nor refused")
            }
            if refused >= 3 { break }
        }
        XCTAssertGreaterThanOrEqual(refused, 3, "a full disk must give 503")
        try FileManager.default.removeItem(atPath: filler)
        var resumed = false
        for _ in 0..<20 where !resumed {
            let status = post(daemon.port, [2])
            if status == 200 { acked += 1; resumed = true } else { usleep(100_000) }
        }
        XCTAssertTrue(resumed, "capture did not resume after space was freed")
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(try storedCount(db), acked, "every acknowledged request is stored, nothing else")
        XCTAssertEqual(occurrences("cannot store requests", in: daemon.stderr), 1, daemon.stderr)
        XCTAssertEqual(occurrences("storing requests again", in: daemon.stderr), 1, daemon.stderr)
    }

    func testDatabaseMadeReadOnlyAnswers503UntilWritableAgain() throws {
        let disk = try ext4Disk()
        let db = disk + "/hooktop.sqlite"
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        XCTAssertEqual(post(daemon.port, [1]), 200)
        // The database and its WAL: the -shm index is memory-mapped, and a mapped file made
        // immutable faults with SIGBUS in SQLite itself (docs/RELIABILITY.md).
        let files = [db, db + "-wal"]
        XCTAssertEqual(run("/usr/bin/chattr", ["+i"] + files), 0)
        XCTAssertEqual(post(daemon.port, [2]), 503, "a read-only database must not acknowledge")
        XCTAssertEqual(post(daemon.port, [3]), 503)
        XCTAssertEqual(run("/usr/bin/chattr", ["-i"] + files), 0)
        var status = 0
        for _ in 0..<30 where status != 200 {
            status = post(daemon.port, [4])
            if status != 200 { usleep(100_000) }
        }
        XCTAssertEqual(status, 200, "capture resumes by itself")
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(try storedCount(db), 2)
        XCTAssertEqual(occurrences("cannot store requests", in: daemon.stderr), 1, daemon.stderr)
        XCTAssertEqual(occurrences("storing requests again", in: daemon.stderr), 1, daemon.stderr)
    }

    func testDeletedDatabaseFileIsRecreatedAndNothingIsAckedIntoTheVoid() throws {
        let db = dir.file("gone.sqlite")
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        XCTAssertEqual(post(daemon.port, [1]), 200)
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: db + suffix) }
        XCTAssertEqual(post(daemon.port, [2]), 200)
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(try storedCount(db), 1, "the request after the deletion is in the new file")
        XCTAssertTrue(daemon.stderr.contains("deleted or replaced"), daemon.stderr)
    }

    func testSecondWriterHoldingTheLockGets503ThenCaptureResumes() throws {
        let db = dir.file("locked.sqlite")
        let daemon = try RunningDaemon(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        XCTAssertEqual(post(daemon.port, [1]), 200)
        let holder = try Child("/usr/bin/sqlite3", [db], input: .pipe)
        holder.write("BEGIN IMMEDIATE;\nINSERT INTO alerts(at, kind, message) VALUES (0, 'x', 'held');\n")
        usleep(300_000)
        XCTAssertEqual(post(daemon.port, [2]), 503, "the lock is held: not stored, so not acknowledged")
        holder.write("ROLLBACK;\n.quit\n")
        holder.closeInput()
        XCTAssertEqual(try holder.wait(), 0, holder.stderr)
        XCTAssertEqual(post(daemon.port, [3]), 200)
        XCTAssertEqual(daemon.stop(), 0)
        XCTAssertEqual(try storedCount(db), 2)
        XCTAssertEqual(occurrences("cannot store requests", in: daemon.stderr), 1, daemon.stderr)
    }
}
