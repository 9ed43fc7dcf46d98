import Foundation
import HooktopCapture
import HooktopCore
import HooktopStore
import HooktopTesting
import Logging
import XCTest

/// The daemon's busy threads are scheduled as throughput work
/// (`ThreadPolicy`: they do not preempt each other on wake-up), and no other thread is.
final class ThreadPolicyTests: XCTestCase {
    func testTheLoopsTheCommitThreadAndTheCheckpointerRunAsBatchWork() throws {
        let dir = TempDirectory("policy")
        let before = Self.batchThreads()
        XCTAssertFalse(ThreadPolicy.isThroughput, "the test's own thread keeps the default policy")
        let daemon = try CaptureDaemon(
            capture: CaptureConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0), maxBody: 4096),
            store: SQLiteBackend(path: dir.file("hooktop.sqlite")),
            logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), threads: 2)
        // The loops take the policy on their first task: give them a moment.
        var started = Self.batchThreads()
        for _ in 0..<100 where started.count < before.count + 4 {
            usleep(10_000)
            started = Self.batchThreads()
        }
        let new = started.filter { !before.contains($0) }
        XCTAssertEqual(new.count, 4, "two event loops, the commit thread and the checkpointer: \(new)")
        XCTAssertEqual(new.filter { $0.name.hasPrefix("NIO-ELT") }.count, 2, "\(new)")
        daemon.stop()
        // Compared by thread: another test's thread may end meanwhile.
        var left = Self.batchThreads().filter { new.contains($0) }
        for _ in 0..<100 where !left.isEmpty {
            usleep(10_000)
            left = Self.batchThreads().filter { new.contains($0) }
        }
        XCTAssertTrue(left.isEmpty, "each ended with the daemon: \(left)")
    }

    /// This process's threads under SCHED_BATCH (policy 3, field 41 of /proc/self/task/TID/stat).
    private static func batchThreads() -> [(tid: String, name: String)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { tid in
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return nil }
            // Fields 3 onwards follow the name, which may hold spaces.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 38, fields[38] == "3" else { return nil }
            return (tid, String(stat[stat.index(after: open)..<close]))
        }
    }
}

extension Array where Element == (tid: String, name: String) {
    fileprivate func contains(_ thread: (tid: String, name: String)) -> Bool { contains { $0.tid == thread.tid } }
}
