import HooktopCore
import HooktopSignatures

public struct CaptureConfiguration: Sendable {
    public var listen: ListenAddress
    /// Sources, secrets and `[[respond]]` rules.
    public var config: Config
    public var registry: SchemeRegistry
    /// Bodies larger than this are answered 413, recorded with the first
    /// `maxBody` bytes and `body_truncated`.
    public var maxBody: Int

    public init(listen: ListenAddress = .default, maxBody: Int = 10 << 20, config: Config = Config(),
                registry: SchemeRegistry = SchemeRegistry()) {
        self.listen = listen
        self.config = config
        self.registry = registry
        self.maxBody = maxBody
    }
}

/// Where captured requests go. The capture server answers a request only
/// after `store` has reported success.
public protocol CaptureSink: Sendable {
    func store(_ request: CapturedRequest, completion: @escaping @Sendable (Result<Int64, any Error>) -> Void)
}
