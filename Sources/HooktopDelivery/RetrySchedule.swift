import HooktopCore

/// The retry schedule as a state machine: given how many scheduled attempts
/// were made and how the last one went, what happens next. Pure: the caller
/// supplies the clock.
public struct RetrySchedule: Sendable, Equatable {
    /// Entry i is the delay before attempt i+1 (entry 0 is the first attempt's).
    public var delaysMicros: [Int64]

    public init(delaysMicros: [Int64]) { self.delaysMicros = delaysMicros.isEmpty ? [0] : delaysMicros }

    /// Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    public static let standard = RetrySchedule(delaysMicros: [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000].map { $0 * 1_000_000 })

    public enum Outcome: Sendable, Equatable {
        case success(status: Int)
        case failure(status: Int?, error: String?)
    }

    public enum Next: Sendable, Equatable {
        case delivered
        case retry(at: Timestamp)
        case failed(reason: String)
    }

    /// After scheduled attempt number `attempt` (1-based) ended at `now` with `outcome`.
    public func next(afterAttempt attempt: Int, outcome: Outcome, now: Timestamp) -> Next {
        switch outcome {
        case .success: return .delivered
        case .failure(let status, let error):
            if status == 410 { return .failed(reason: "the target answered 410 Gone: schedule stopped") }
            guard attempt < delaysMicros.count else {
                let last = status.map { "HTTP \($0)" } ?? error ?? "no answer"
                return .failed(reason: "all \(delaysMicros.count) attempts failed (last: \(last))")
            }
            return .retry(at: now.adding(microseconds: delaysMicros[attempt]))
        }
    }

    /// Only 2xx succeeds.
    public static func outcome(status: Int?, error: String?) -> Outcome {
        if let status, (200..<300).contains(status) { return .success(status: status) }
        return .failure(status: status, error: error)
    }
}
