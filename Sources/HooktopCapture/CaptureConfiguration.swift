import HooktopCore

public struct CaptureConfiguration: Sendable {
    public var listen: ListenAddress
    /// Bodies larger than this are answered 413, recorded with the first
    /// `maxBody` bytes and `body_truncated`.
    public var maxBody: Int

    public init(listen: ListenAddress = .default, maxBody: Int = 10 << 20) {
        self.listen = listen
        self.maxBody = maxBody
    }
}

/// Where captured requests go. The capture server answers a request only
/// after `store` has reported success.
public protocol CaptureSink: Sendable {
    func store(_ request: CapturedRequest, completion: @escaping @Sendable (Result<Int64, any Error>) -> Void)
}
