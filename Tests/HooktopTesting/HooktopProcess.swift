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
        /// stdout as bytes, for output that need not be UTF-8.
        public var stdoutData: Data
    }

    /// Runs to completion and returns status and output; a run past
    /// `timeoutSeconds` is killed and fails its test (see `Child`).
    public static func run(_ arguments: [String], environment: [String: String] = [:], timeoutSeconds: Int = 60) throws -> Result {
        try spawn(path, try StoreUnderTest.arguments(arguments), environment: environment, timeoutSeconds: timeoutSeconds)
    }

    /// Runs any program to completion the same way.
    public static func spawn(_ path: String, _ arguments: [String], environment: [String: String] = [:],
                             timeoutSeconds: Int = 60) throws -> Result {
        let child = try Child(path, arguments, environment: environment)
        let status = try child.wait(timeoutSeconds: Double(timeoutSeconds))
        let out = child.stdoutData
        return Result(status: status, stdout: String(decoding: out, as: UTF8.self), stderr: child.stderr, stdoutData: out)
    }
}

/// A `hooktop serve` (or `hooktop`) running in the background on a free port.
public final class RunningDaemon: @unchecked Sendable {
    private let child: Child
    public private(set) var port = 0

    /// Starts the binary with `arguments` (add `--listen 127.0.0.1:0`) and waits
    /// for its "listening on" line to learn the port.
    public init(_ arguments: [String], environment: [String: String] = [:]) throws {
        child = try Child(HooktopBinary.path, try StoreUnderTest.arguments(arguments), environment: environment)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let port = parsePort() {
                self.port = port
                return
            }
            if !child.isRunning { break }
            usleep(2_000)
        }
        child.signal(SIGKILL)
        throw StartFailure(description: "hooktop did not start: \(child.stderr)")
    }

    public var pid: pid_t { child.pid }
    public var stderr: String { child.stderr }
    public var stdout: String { child.stdout }
    public var isRunning: Bool { child.isRunning }

    /// Sends a signal without waiting (SIGHUP: reload the config).
    public func signal(_ signal: Int32) { child.signal(signal) }

    private func parsePort() -> Int? {
        let text = stderr
        guard let range = text.range(of: "listening on http://") else { return nil }
        let rest = text[range.upperBound...].prefix { $0 != "," && $0 != "\n" }
        return rest.split(separator: ":").last.flatMap { Int($0) }
    }

    /// Sends a signal and waits for the exit; returns its status (128 + N
    /// for signal N). One that is still running after `timeoutSeconds` is
    /// killed, and the status says so.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, timeoutSeconds: Double = 30) -> Int32 {
        child.signal(signal)
        do { return try child.wait(timeoutSeconds: timeoutSeconds) } catch { return child.status ?? 128 + SIGKILL }
    }
}

/// Runs `curl` with the given arguments; returns its stdout.
public func curl(_ arguments: [String]) throws -> String {
    try HooktopBinary.spawn("/usr/bin/curl", ["-sS", "--max-time", "10"] + arguments, timeoutSeconds: 30).stdout
}
