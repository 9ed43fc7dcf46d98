import HooktopCore

/// The delivery code's only source of time, so tests can drive it by hand.
public protocol DeliveryClock: Sendable {
    func now() -> Timestamp
    /// Returns after `microseconds`, or earlier when the task is cancelled.
    func sleep(microseconds: Int64) async
}

public struct SystemDeliveryClock: DeliveryClock {
    public init() {}
    public func now() -> Timestamp { .now() }
    public func sleep(microseconds: Int64) async {
        try? await Task.sleep(nanoseconds: UInt64(clamping: microseconds.saturatingMultiplied(by: 1000)))
    }
}
