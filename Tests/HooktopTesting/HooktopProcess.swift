import Foundation

/// Runs the built `hooktop` binary as a user would, for end-to-end tests.
public struct StartFailure: Error, CustomStringConvertible { public let description: String }

/// The end-to-end tests on PostgreSQL: with `HOOKTOP_TEST_STORE=postgres`
/// (and `HOOKTOP_TEST_POSTGRES`, a server where databases may be made),
/// every `--db PATH` a test gives the binary becomes `--store URL` of a
/// database made for that path, so the same CLI and daemon tests run on
/// the shared store unchanged (`.ci/run` runs them a second time so).
public enum StoreUnderTest {
    public static var isPostgres: Bool { ProcessInfo.processInfo.environment["HOOKTOP_TEST_STORE"] == "postgres" }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var made: [String: String] = [:]

    public static func arguments(_ arguments: [String]) throws -> [String] {
        guard isPostgres, let admin = ProcessInfo.processInfo.environment["HOOKTOP_TEST_POSTGRES"], !admin.isEmpty else { return arguments }
        var out: [String] = []
        var i = 0
        while i < arguments.count {
            if arguments[i] == "--db", i + 1 < arguments.count {
                out += ["--store", try url(for: arguments[i + 1], admin: admin)]
                i += 2
            } else {
                out.append(arguments[i])
                i += 1
            }
        }
        return out
    }

    /// The database standing for a SQLite path (made on first use).
    private static func url(for path: String, admin: String) throws -> String {
        try lock.withLock {
            if let url = made[path] { return url }
            // FNV-1a of the path: the same path is the same database for the whole run.
            let hash = path.utf8.reduce(UInt64(0xcbf29ce484222325)) { ($0 ^ UInt64($1)) &* 0x100000001b3 }
            let name = "hooktop_as_" + String(hash, radix: 16)
            let made = try HooktopBinary.spawn("/usr/bin/psql", [admin, "-qc", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)", "-c", "CREATE DATABASE \(name)"])
            guard made.status == 0 else { throw StartFailure(description: "cannot make a database for \(path): \(made.stderr)") }
            let url = String(admin[..<(admin.lastIndex(of: "/") ?? admin.endIndex)]) + "/" + name
            Self.made[path] = url
            return url
        }
    }
}

public enum HooktopBinary {
    /// The executable next to the test bundle (SwiftPM builds both into one folder).
    public static var path: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // On Linux the test binary is .build/debug/hooktopPackageTests.xctest.
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        return dir.appendingPathComponent("hooktop").path
    }

    public struct Result {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs to completion and returns status and output. Spawned with
    /// posix_spawn and reaped with waitpid, output through files read after
    /// exit: Foundation's Process now and then never saw a child exit, and the
    /// suite hung. A run past `timeoutSeconds` is killed and fails its test.
    public static func run(_ arguments: [String], environment: [String: String] = [:], timeoutSeconds: Int = 60) throws -> Result {
        try spawn(path, try StoreUnderTest.arguments(arguments), environment: environment, timeoutSeconds: timeoutSeconds)
    }

    /// Runs any program to completion the same way.
    public static func spawn(_ path: String, _ arguments: [String], environment: [String: String] = [:],
                             timeoutSeconds: Int = 60) throws -> Result {
        let base = NSTemporaryDirectory() + "hooktop-run-\(getpid())-\(UUID().uuidString)"
        defer { for f in [".out", ".err"] { try? FileManager.default.removeItem(atPath: base + f) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, base + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, base + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        let env = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard rc == 0 else { throw StartFailure(description: "cannot start \(path): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(TimeInterval(timeoutSeconds))
        while true {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { break }
            if r < 0 && errno != EINTR { break }
            if Date() > deadline {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw StartFailure(description: "\(path) \(arguments.joined(separator: " ")) did not finish in \(timeoutSeconds) s")
            }
            usleep(2_000)
        }
        let exit: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Result(status: exit, stdout: (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
                      stderr: (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
    }
}

/// A `hooktop serve` (or `hooktop`) running in the background on a free port.
public final class RunningDaemon: @unchecked Sendable {
    public let process = Process()
    public private(set) var port = 0
    private let stderrPipe = Pipe()
    private let stdoutPipe = Pipe()
    private let lock = NSLock()
    private var stderrText = ""
    private var stdoutText = ""


    /// Starts the binary with `arguments` (add `--listen 127.0.0.1:0`) and waits
    /// for its "listening on" line to learn the port.
    public init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: HooktopBinary.path)
        process.arguments = try StoreUnderTest.arguments(arguments)
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardError = stderrPipe
        process.standardOutput = stdoutPipe
        process.standardInput = FileHandle.nullDevice
        stderrPipe.fileHandleForReading.readabilityHandler = { [weak self] h in self?.append(h.availableData, toStderr: true) }
        stdoutPipe.fileHandleForReading.readabilityHandler = { [weak self] h in self?.append(h.availableData, toStderr: false) }
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let port = parsePort() {
                self.port = port
                return
            }
            if !process.isRunning { break }
            usleep(20_000)
        }
        process.terminate()
        throw StartFailure(description: "hooktop did not start: \(stderr)")
    }

    public var stderr: String { lock.withLock { stderrText } }
    public var stdout: String { lock.withLock { stdoutText } }

    private func append(_ data: Data, toStderr: Bool) {
        guard !data.isEmpty else { return }
        lock.withLock {
            if toStderr { stderrText += String(decoding: data, as: UTF8.self) } else { stdoutText += String(decoding: data, as: UTF8.self) }
        }
    }

    private func parsePort() -> Int? {
        let text = stderr
        guard let range = text.range(of: "listening on http://") else { return nil }
        let rest = text[range.upperBound...].prefix { $0 != "," && $0 != "\n" }
        return rest.split(separator: ":").last.flatMap { Int($0) }
    }

    /// Sends a signal and waits for the process to exit; returns its status.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) -> Int32 {
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}

/// Runs `curl` with the given arguments; returns its stdout.
public func curl(_ arguments: [String]) throws -> String {
    try HooktopBinary.spawn("/usr/bin/curl", ["-sS", "--max-time", "10"] + arguments, timeoutSeconds: 30).stdout
}
