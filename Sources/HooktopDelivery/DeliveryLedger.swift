import HooktopCore

/// Where delivery state lives (the store, in the daemon). The delivery code
/// owns this protocol so it needs nothing from the store's module.
public protocol DeliveryLedger: Sendable {
    /// Pending or retrying deliveries due by `now`, with bodies.
    func due(now: Timestamp, limit: Int) async throws -> [CapturedRequest]
    /// Takes a due delivery for this process; false when another took it first.
    func claim(_ request: CapturedRequest, leaseUntil: Timestamp) async throws -> Bool
    /// Records an attempt and the new state.
    func record(_ request: CapturedRequest, attempt: DeliveryAttempt, state: DeliveryState, next: Timestamp?,
                scheduled: Bool, note: String?) async throws
    /// Proxy mode: what the sender was answered in the end.
    func recordAnswer(_ request: CapturedRequest, _ response: RecordedResponse) async throws
}

/// Told when a delivery fails for good.
public protocol DeliveryAlerts: Sendable {
    func deliveryFailed(_ request: CapturedRequest, reason: String)
}
