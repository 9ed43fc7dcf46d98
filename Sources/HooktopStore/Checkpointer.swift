import CSQLite
import Foundation
import HooktopCore

/// Keeps the WAL bounded without stalling commits. The writer's connection
/// never checkpoints (`wal_autocheckpoint=0`): a checkpoint copies pages and
/// syncs the file, and on the writer's thread every request in flight waited
/// for it (p99 of 13–90 ms). Each time the commits have added `threshold`
/// frames to the WAL, this thread copies the WAL into the database alongside
/// new commits (PASSIVE), again for what arrived meanwhile while that
/// shrinks, and writes both files back (`fdatasync`). Once the WAL holds
/// `restartFrames`, it then holds `gate` (which the writer takes for each
/// transaction) just long enough to copy the last few frames: the writer's
/// next transaction starts the WAL over from its beginning, so it never
/// grows past about `restartFrames` plus one round's worth of commits.
///
/// The gate is what stalls every request in flight, and each start-over
/// costs the writer a sync of the WAL's header: session 11 measured the
/// writer off the CPU waiting for the disk 9 % of the time under wrk with a
/// gated round every 500 frames. Copying and writing back every 500 frames
/// but starting over every 2,000 keeps the gated round as short (little is
/// left to copy or sync) and takes it a quarter as often.
///
/// A writer faster than the disk lets this thread fall behind: its rounds
/// never converge and the WAL grows for as long as the load lasts. Past
/// `limitFrames` the writer waits for the checkpoint under way to end (its
/// last round lets the WAL start over): requests queue, and past the
/// queue's limits get 503, instead of the WAL taking the disk. Not while a
/// reader holds a snapshot the WAL must keep (a long export): waiting would
/// not shorten it, and the WAL grows until that reader is done, as before.
final class Checkpointer: @unchecked Sendable {
    /// Held by the writer from BEGIN to COMMIT, and by the last, short round of a checkpoint.
    let gate = NSLock()
    /// Frames (pages) the commits add to the WAL between two checkpoints.
    let threshold: Int32
    /// WAL length in frames at which a checkpoint ends with the gated round that lets the WAL start over.
    let restartFrames: Int32
    /// WAL length in frames past which a commit waits for the checkpoint under way to end.
    let limitFrames: Int32
    private let path: String
    private let durability: StoreConfiguration.Durability
    private let condition = NSCondition()
    private var wanted = false
    // Guarded by `condition`: the WAL's length after the last commit, and the length that starts the next checkpoint.
    private var lastFrames: Int32 = 0
    private var nextAt: Int32
    private var closing = false
    /// The writer opened the database again (its file was replaced): so must this.
    private var reconnect = false
    private let finished = DispatchSemaphore(value: 0)
    // Guarded by `condition`: checkpoints run so far, and the longest the writer could have waited for one's last round.
    private var runs = 0
    private var longestGateMicros: Int64 = 0
    // Guarded by `condition`: checkpoints ended, successful or not (what a waiting writer waits for).
    private var ended = 0
    // Guarded by `condition`: how often the writer waited for one, and for how long in all.
    private var waits = 0
    private var waitedMicros: Int64 = 0
    // Guarded by `condition`: the last gated round left frames a reader still needs.
    private var pinnedByReaders = false
    /// Tests: each round sleeps this long first, as on a slow disk.
    private var roundDelayMicros: UInt32 = 0

    var stats: (runs: Int, longestGateMicros: Int64, waits: Int, waitedMicros: Int64) {
        condition.lock()
        defer { condition.unlock() }
        return (runs, longestGateMicros, waits, waitedMicros)
    }

    /// Tests: makes every round as slow as a disk that cannot keep up.
    func delayRounds(micros: UInt32) {
        condition.lock()
        roundDelayMicros = micros
        condition.unlock()
    }

    /// Every 500 frames (2 MB of 4 KB pages), starting over at 2,000, the
    /// writer held up past 4,000 (16 MB; the benchmark's load peaks at about 3,000).
    /// Session 3 measured one threshold for both at 250, 1,000, 2,000 and
    /// 8,000 under wrk: the last round's pause grew with the WAL (its sync
    /// wrote back what the commits had appended), and with it p99: 5–6 ms at
    /// 500, 8–10 ms at 2,000, 23–26 ms at 8,000. Written back every 500
    /// frames, the last round has little to sync whatever `restartFrames` is.
    init(path: String, durability: StoreConfiguration.Durability, threshold: Int32 = 500, restartFrames: Int32 = 2_000,
         limitFrames: Int32 = 4_000) {
        self.path = path
        self.durability = durability
        self.threshold = threshold
        self.restartFrames = max(threshold, restartFrames)
        self.limitFrames = max(self.restartFrames, limitFrames)
        nextAt = threshold
        let thread = Thread { [unowned self] in
            ThreadPolicy.throughput()
            self.run()
        }
        thread.name = "hooktop-checkpointer"
        thread.start()
    }

    /// The writer's commit left `frames` in the WAL; starts a checkpoint
    /// once the commits have added `threshold` frames since the last. Past
    /// `limitFrames`, returns only once the checkpoint under way has ended
    /// (called without the gate, which that checkpoint's last round takes),
    /// unless a reader's snapshot is what keeps the WAL long.
    func committed(walFrames frames: Int32) {
        condition.lock()
        defer { condition.unlock() }
        if frames < lastFrames { nextAt = threshold }  // the WAL started over
        lastFrames = frames
        if !wanted && (frames >= nextAt || frames >= limitFrames) {
            wanted = true
            nextAt = frames.addingReportingOverflow(threshold).overflow ? .max : frames + threshold  // SQLite's count: never a trap
            condition.broadcast()
        }
        guard frames >= limitFrames, !closing, !pinnedByReaders else { return }
        let started = DispatchTime.now().uptimeNanoseconds
        let awaited = ended + 1
        while ended < awaited && !closing { condition.wait() }
        waits += 1
        waitedMicros += Int64((DispatchTime.now().uptimeNanoseconds - started) / 1_000)
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
        condition.broadcast()
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
            let delay = roundDelayMicros
            condition.unlock()
            // A fresh connection when the last one failed, or the file was replaced under the writer.
            if reopen {
                db?.close()
                db = nil
            }
            if db == nil { db = try? open() }
            let gateMicros = db.map { checkpoint($0, roundDelay: delay) }
            if gateMicros.map({ $0 < 0 }) == true { db?.close(); db = nil }
            condition.lock()
            wanted = false
            ended += 1
            condition.broadcast()
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

    /// Copies the WAL into the database in rounds alongside commits and
    /// writes both back; when the WAL is long enough, a last round holds the
    /// gate so that it can start over. Returns how long it held the gate
    /// (µs, 0 when it did not), or -1 when SQLite refused (the caller reconnects).
    private func checkpoint(_ db: SQLiteConnection, roundDelay: UInt32) -> Int64 {
        var left: Int32 = .max
        var length: Int32 = 0
        for _ in 0..<4 {
            if roundDelay > 0 { usleep(roundDelay) }
            guard let (frames, remaining) = passive(db) else { return -1 }
            length = frames
            // Converging: what arrived during the last round is small, or no longer shrinking.
            if remaining <= 256 || remaining >= left { break }
            left = remaining
        }
        // The last round syncs the WAL before it copies and the database
        // after, under the gate: written back now, outside it, those syncs
        // find only the last round's few pages. Through this connection's own
        // files (SQLite's descriptors): a descriptor opened and closed here
        // would drop the process's locks on the database, and another
        // process would take itself for its last user and remove the WAL.
        // Best effort: the checkpoint's own syncs still follow.
        _ = csqlite_sync_file(db.handle, 1)
        _ = csqlite_sync_file(db.handle, 0)
        guard length >= restartFrames else { return 0 }
        let started = DispatchTime.now().uptimeNanoseconds
        gate.lock()
        let done = passive(db)
        gate.unlock()
        guard let done else { return -1 }
        // With the writer held, what is left uncopied is what a reader's
        // snapshot still needs (an export, say): no commit waiting would
        // shorten the WAL until that reader is done.
        condition.lock()
        pinnedByReaders = done.remaining > 0
        condition.unlock()
        return Int64((DispatchTime.now().uptimeNanoseconds - started) / 1_000)
    }

    /// One PASSIVE checkpoint: the WAL's length in frames and those it could
    /// not copy yet, or nil on an error.
    private func passive(_ db: SQLiteConnection) -> (frames: Int32, remaining: Int32)? {
        var log: Int32 = 0
        var copied: Int32 = 0
        let rc = sqlite3_wal_checkpoint_v2(db.handle, nil, SQLITE_CHECKPOINT_PASSIVE, &log, &copied)
        guard rc == SQLITE_OK || rc == SQLITE_BUSY else { return nil }
        // SQLite reports -1 for both when it did not look; never a trap on what it says.
        return (max(0, log), Int32(clamping: max(0, Int64(log) - Int64(copied))))
    }
}
