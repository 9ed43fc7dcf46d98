import Foundation

/// Runs the built `hooktop` binary as a user would, for end-to-end tests.
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

    /// Runs to completion and returns status and output.
    public static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
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

    public struct StartFailure: Error, CustomStringConvertible { public let description: String }

    /// Starts the binary with `arguments` (add `--listen 127.0.0.1:0`) and waits
    /// for its "listening on" line to learn the port.
    public init(_ arguments: [String], environment: [String: String] = [:]) throws {
        process.executableURL = URL(fileURLWithPath: HooktopBinary.path)
        process.arguments = arguments
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
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
    process.arguments = ["-sS", "--max-time", "10"] + arguments
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
}
