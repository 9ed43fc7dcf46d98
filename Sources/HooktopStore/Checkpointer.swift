import CSQLite
import Foundation

/// Keeps the WAL bounded without stalling commits. The writer's connection
/// never checkpoints (`wal_autocheckpoint=0`): a checkpoint copies pages and
/// syncs the file, and on the writer's thread every request in flight waited
/// for it (p99 of 13–90 ms). Once a commit leaves the WAL over `threshold`
/// frames, this thread copies the WAL into the database alongside new
/// commits (PASSIVE), again for what arrived meanwhile while that shrinks,
/// and then holds `gate` (which the writer takes for each transaction) just
/// long enough to copy the last few frames: the writer's next transaction
/// then starts the WAL over from its beginning, so it never grows past
/// about `threshold` frames plus one round's worth of commits.
final class Checkpointer: @unchecked Sendable {
    /// Held by the writer from BEGIN to COMMIT, and by the last, short round of a checkpoint.
    let gate = NSLock()
    /// WAL length in frames (pages) that starts a checkpoint.
    let threshold: Int32
    private let path: String
    private let durability: StoreConfiguration.Durability
    private let condition = NSCondition()
    private var wanted = false
    private var closing = false
    /// The writer opened the database again (its file was replaced): so must this.
    private var reconnect = false
    private let finished = DispatchSemaphore(value: 0)
    // Guarded by `condition`: checkpoints run so far, and the longest the writer could have waited for one's last round.
    private var runs = 0
    private var longestGateMicros: Int64 = 0

    var stats: (runs: Int, longestGateMicros: Int64) {
        condition.lock()
        defer { condition.unlock() }
        return (runs, longestGateMicros)
    }

    /// 500 frames (2 MB of 4 KB pages): measured against 250, 1,000, 2,000
    /// and 8,000 under wrk, the last round's pause grows with the WAL (its
    /// sync writes back what the commits appended), and with it p99: 5–6 ms
    /// at 500, 8–10 ms at 2,000, 23–26 ms at 8,000; throughput the same.
    init(path: String, durability: StoreConfiguration.Durability, threshold: Int32 = 500) {
        self.path = path
        self.durability = durability
        self.threshold = threshold
        let thread = Thread { [unowned self] in self.run() }
        thread.name = "hooktop-checkpointer"
        thread.start()
    }

    /// The writer's commit left `frames` in the WAL; starts a checkpoint if that is over the threshold.
    func committed(walFrames frames: Int32) {
        guard frames >= threshold else { return }
        condition.lock()
        if !wanted {
            wanted = true
            condition.signal()
        }
        condition.unlock()
    }

    /// The writer reopened the database; the next checkpoint opens it again too.
    func databaseReopened() {
        condition.lock()
        reconnect = true
        condition.unlock()
    }

    /// Waits for a checkpoint under way, then stops the thread.
    func close() {
        condition.lock()
        closing = true
        condition.signal()
        condition.unlock()
        finished.wait()
    }

    private func run() {
        var db: SQLiteConnection?
        while true {
            condition.lock()
            while !wanted && !closing { condition.wait() }
            if closing {
                condition.unlock()
                break
            }
            let reopen = reconnect
            reconnect = false
            condition.unlock()
            // A fresh connection when the last one failed, or the file was replaced under the writer.
            if reopen {
                db?.close()
                db = nil
            }
            if db == nil { db = try? open() }
            let gateMicros = db.map(checkpoint)
            if gateMicros.map({ $0 < 0 }) == true { db?.close(); db = nil }
            condition.lock()
            wanted = false
            if let gateMicros, gateMicros >= 0 {
                runs += 1
                longestGateMicros = max(longestGateMicros, gateMicros)
            }
            condition.unlock()
        }
        db?.close()
        finished.signal()
    }

    private func open() throws(StoreError) -> SQLiteConnection {
        let db = try SQLiteConnection(path: path, readOnly: false)
        try db.execute("PRAGMA synchronous=\(durability == .full ? "FULL" : "NORMAL")")
        return db
    }

    /// Copies the WAL into the database in rounds alongside commits, the last
    /// round holding the gate. Returns how long it held the gate (µs), or -1
    /// when SQLite refused (the caller reconnects).
    private func checkpoint(_ db: SQLiteConnection) -> Int64 {
        var left: Int32 = .max
        for _ in 0..<4 {
            guard let remaining = passive(db) else { return -1 }
            // Converging: what arrived during the last round is small, or no longer shrinking.
            if remaining <= 256 || remaining >= left { break }
            left = remaining
        }
        let started = DispatchTime.now().uptimeNanoseconds
        gate.lock()
        let done = passive(db)
        gate.unlock()
        guard done != nil else { return -1 }
        return Int64((DispatchTime.now().uptimeNanoseconds - started) / 1_000)
    }

    /// One PASSIVE checkpoint: the frames it could not copy yet, or nil on an error.
    private func passive(_ db: SQLiteConnection) -> Int32? {
        var log: Int32 = 0
        var copied: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(db.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        guard rc == SQLITE_OK || rc == SQLITE_BUSY else { return nil }
        // SQLite reports -1 for both when it did not look; never a trap on what it says.
        return Int32(clamping: max(0, Int64(log) - Int64(copied)))
    }
}
