import Foundation
import HooktopCore
import HooktopDelivery
import HooktopStore
import Logging

/// Runs `alert_command` (arguments and environment, never a shell) and keeps
/// the alert in the database for the TUI's banner, when a delivery fails for
/// good or a source sees several invalid signatures in a row.
public final class AlertRunner: DeliveryAlerts, @unchecked Sendable {
    public static let invalidStreak = 5

    private let command: [String]?
    private let writer: any StoreWriting
    private let logger: Logger
    private let lock = NSLock()
    private var streaks: [String: Int] = [:]  // guarded by lock

    public init(command: [String]?, writer: any StoreWriting, logger: Logger) {
        self.command = command
        self.writer = writer
        self.logger = logger
    }

    public func deliveryFailed(_ request: CapturedRequest, reason: String) {
        raise(kind: "delivery_failed", request: request,
              message: "delivery of #\(request.id) \(request.method) \(TerminalText.inline(request.path)) failed for good: \(reason)")
    }

    /// An expected callback did not come by its deadline.
    public func expectationOverdue(_ e: Expectation, now: Timestamp) {
        let late = e.deadline.map { DurationText.short(seconds: now.elapsedMicroseconds(since: $0) / 1_000_000) } ?? "?"
        raise(kind: "expect_overdue", requestID: nil, source: nil, target: e.url,
              message: "no callback for \(TerminalText.inline(e.label)) yet: its deadline passed \(late) ago (\(e.url))")
    }

    /// Whether `observe` has anything to do with a batch: a bad signature,
    /// or a checked one that may end a streak. Most batches have neither,
    /// and are not handed to the task that observes them.
    public func wouldObserve(_ batch: CommittedBatch) -> Bool {
        let streaking = lock.withLock { !streaks.isEmpty }
        return batch.contains { request in
            let status = request.signature.status
            return status == .invalid || status == .expired || (streaking && status != .none)
        }
    }

    /// Watches committed requests for runs of invalid signatures per source.
    /// Each request is read where it is in the batch, not copied (it runs for every captured request).
    public func observe(_ batch: [CapturedRequest]) {
        for i in batch.indices {
            let status = batch[i].signature.status
            guard status != .none else { continue }
            let key = batch[i].source ?? batch[i].signature.scheme ?? ""
            guard !key.isEmpty else { continue }
            let bad = status == .invalid || status == .expired
            let streak: Int = lock.withLock {
                let streak = bad ? streaks[key, default: 0] + 1 : 0
                streaks[key] = bad ? streak : nil  // no entry: no streak (`wouldObserve`)
                return streak
            }
            if streak == Self.invalidStreak {
                let request = batch[i]
                raise(kind: "invalid_signatures", request: request,
                      message: "\(Self.invalidStreak) invalid signatures in a row for \(key) (last #\(request.id): \(request.signature.detail ?? ""))")
            }
        }
    }

    private func raise(kind: String, request: CapturedRequest, message: String) {
        raise(kind: kind, requestID: request.id, source: request.source, target: request.targetURL ?? "", message: message)
    }

    private func raise(kind: String, requestID: Int64?, source: String?, target: String, message: String) {
        logger.warning("\(message)")
        writer.apply(.alert(kind: kind, requestID: requestID, source: source, message: message, at: .now())) { _ in }
        guard let command, let program = command.first else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program.contains("/") ? program : "/usr/bin/env")
        process.arguments = (program.contains("/") ? [] : [program]) + Array(command.dropFirst()) + [message]
        process.environment = ProcessInfo.processInfo.environment.merging([
            "HOOKTOP_ALERT": kind, "HOOKTOP_MESSAGE": message, "HOOKTOP_REQUEST_ID": requestID.map { String($0) } ?? "",
            "HOOKTOP_SOURCE": source ?? "", "HOOKTOP_TARGET_URL": target,
        ]) { $1 }
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            logger.error("alert_command could not run", metadata: ["error": "\(error)"])
        }
    }
}
