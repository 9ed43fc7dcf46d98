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

    /// With one loop per CPU the process may use, each loop is bound to a CPU
    /// of its own; with any other count, none is, and no other thread ever is.
    func testEachLoopIsBoundToACPUOfItsOwnWhenThereIsOneLoopPerCPU() throws {
        let cpus = try XCTUnwrap(ThreadPolicy.allowedCPUs)
        for loops in Set([cpus, cpus + 1]) {
            let dir = TempDirectory("affinity")
            let before = Set(Self.threads().map(\.tid))
            let daemon = try CaptureDaemon(
                capture: CaptureConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0), maxBody: 4096),
                store: SQLiteBackend(path: dir.file("hooktop.sqlite")),
                logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), threads: loops)
            // The loops bind themselves on their first task: give them a moment.
            var new = Self.threads().filter { !before.contains($0.tid) }
            for _ in 0..<100 where loops == cpus && new.filter({ $0.name.hasPrefix("NIO-ELT") && $0.cpus.count == 1 }).count < loops {
                usleep(10_000)
                new = Self.threads().filter { !before.contains($0.tid) }
            }
            let loopThreads = new.filter { $0.name.hasPrefix("NIO-ELT") }
            XCTAssertEqual(loopThreads.count, loops, "\(new)")
            if loops == cpus && cpus > 1 {
                XCTAssertTrue(loopThreads.allSatisfy { $0.cpus.count == 1 }, "\(loopThreads)")
                XCTAssertEqual(Set(loopThreads.map(\.cpus)).count, loops, "a CPU each: \(loopThreads)")
            } else {
                XCTAssertTrue(loopThreads.allSatisfy { $0.cpus.count == cpus }, "unbound: \(loopThreads)")
            }
            let others = new.filter { !$0.name.hasPrefix("NIO-ELT") }
            XCTAssertTrue(others.allSatisfy { $0.cpus.count == cpus }, "the commit thread and the rest move freely: \(others)")
            daemon.stop()
        }
    }

    func testBindingIsBestEffortAndNeverTraps() throws {
        let cpus = try XCTUnwrap(ThreadPolicy.allowedCPUs)
        XCTAssertEqual(ThreadPolicy.bindsEventLoops(count: cpus), cpus > 1)
        XCTAssertFalse(ThreadPolicy.bindsEventLoops(count: cpus + 1))
        XCTAssertFalse(ThreadPolicy.bindsEventLoops(count: 1))
        let done = expectation(description: "bound on a thread of its own")
        let thread = Thread {
            defer { done.fulfill() }
            for index in [cpus, -1, Int(Int32.max) + 1, Int.max, Int.min] {
                XCTAssertFalse(ThreadPolicy.bind(toAllowedCPU: index), "no CPU \(index)")
            }
            XCTAssertEqual(ThreadPolicy.allowedCPUs, cpus, "a refused binding changes nothing")
            XCTAssertTrue(ThreadPolicy.bind(toAllowedCPU: cpus - 1))
            XCTAssertEqual(ThreadPolicy.allowedCPUs, 1)
            XCTAssertFalse(ThreadPolicy.bind(toAllowedCPU: 1), "now only one CPU is allowed")
        }
        thread.start()
        wait(for: [done], timeout: 10)
        XCTAssertEqual(ThreadPolicy.allowedCPUs, cpus, "the test's own thread is untouched")
    }

    /// This process's threads with the CPUs each may run on (Cpus_allowed_list of /proc/self/task/TID/status).
    private static func threads() -> [(tid: String, name: String, cpus: Set<Int>)] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { tid in
            guard let status = try? String(contentsOfFile: "/proc/self/task/\(tid)/status", encoding: .utf8) else { return nil }
            var name = "", cpus = Set<Int>()
            for line in status.split(separator: "\n") {
                if line.hasPrefix("Name:") { name = line.dropFirst(5).trimmingCharacters(in: .whitespaces) }
                if line.hasPrefix("Cpus_allowed_list:") {
                    for part in line.dropFirst(18).trimmingCharacters(in: .whitespaces).split(separator: ",") {
                        let ends = part.split(separator: "-").compactMap { Int($0) }
                        if let first = ends.first, let last = ends.last, first <= last { cpus.formUnion(first...last) }
                    }
                }
            }
            return (tid, name, cpus)
        }
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
