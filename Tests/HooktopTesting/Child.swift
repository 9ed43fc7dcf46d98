import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A program the tests start: spawned with posix_spawn, reaped with
/// waitpid, its output going to files read whenever asked. Foundation's
/// Process is not used anywhere in the tests: now and then it never saw a
/// child exit and the suite hung with no output (docs/DECISIONS.md). Every
/// wait here has a deadline; past it the child is killed and the wait throws.
public final class Child: @unchecked Sendable {
    public enum Input { case none, pipe }

    public let pid: pid_t
    public let command: String
    private let base: String
    private let lock = NSLock()
    private var exit: Int32?
    private var input: Int32 = -1

    public init(_ path: String, _ arguments: [String], environment: [String: String] = [:], input mode: Input = .none) throws {
        command = ([path] + arguments).joined(separator: " ")
        base = NSTemporaryDirectory() + "hooktop-child-\(getpid())-\(UUID().uuidString)"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var ends: [Int32] = [-1, -1]
        if mode == .pipe {
            guard pipe(&ends) == 0, fcntl(ends[0], F_SETFD, FD_CLOEXEC) == 0, fcntl(ends[1], F_SETFD, FD_CLOEXEC) == 0 else { throw StartFailure(description: "cannot make a pipe: \(String(cString: strerror(errno)))") }
            posix_spawn_file_actions_adddup2(&actions, ends[0], 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        if mode == .pipe { close(ends[0]) }
        guard rc == 0 else {
            if mode == .pipe { close(ends[1]) }
            throw StartFailure(description: "cannot start \(path): \(String(cString: strerror(rc)))")
        }
        self.pid = pid
        input = ends[1]
    }

    /// Everything written to stdout so far.
    public var stdoutData: Data { (try? Data(contentsOf: URL(fileURLWithPath: base + ".out"))) ?? Data() }
    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    public var stderr: String { String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: base + ".err"))) ?? Data(), as: UTF8.self) }

    /// The exit status once it has exited (128 + N for signal N), else nil.
    public var status: Int32? {
        lock.withLock {
            if exit == nil { exit = reap(WNOHANG) }
            return exit
        }
    }

    public var isRunning: Bool { status == nil }

    public func signal(_ signal: Int32) {
        if isRunning { kill(pid, signal) }
    }

    /// Writes to the child's stdin (started with `input: .pipe`).
    public func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty, input >= 0 {
            let n = bytes.withUnsafeBytes { Glibc.write(input, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue } else { return } }
            bytes = bytes.dropFirst(n)
        }
    }

    public func closeInput() {
        lock.withLock {
            if input >= 0 { close(input) }
            input = -1
        }
    }

    /// Waits for the exit; past the deadline kills the child and throws.
    @discardableResult
    public func wait(timeoutSeconds: Double = 60) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if let status { return status }
            usleep(2_000)
        }
        kill(pid, SIGKILL)
        lock.withLock { if exit == nil { exit = reap(0) } }
        throw StartFailure(description: "\(command) did not finish in \(timeoutSeconds) s")
    }

    /// Waits until `text` is in its stderr (or stdout), it exits, or the deadline passes.
    public func waitForOutput(_ text: String, stderr fromStderr: Bool = true, timeoutSeconds: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if (fromStderr ? stderr : stdout).contains(text) { return true }
            if !isRunning { return (fromStderr ? stderr : stdout).contains(text) }
            usleep(10_000)
        }
        return false
    }

    /// The decoded status, or nil while it runs (`options`: WNOHANG or 0).
    private func reap(_ options: Int32) -> Int32? {
        var raw: Int32 = 0
        while true {
            let r = waitpid(pid, &raw, options)
            if r == pid { return (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f) }
            if r < 0 && errno == EINTR { continue }
            return r < 0 ? -1 : nil  // -1: not our child any more (already reaped)
        }
    }

    deinit {
        if exit == nil, reap(WNOHANG) == nil {
            kill(pid, SIGKILL)
            _ = reap(0)
        }
        if input >= 0 { close(input) }
        for f in [".out", ".err"] { try? FileManager.default.removeItem(atPath: base + f) }
    }
}
