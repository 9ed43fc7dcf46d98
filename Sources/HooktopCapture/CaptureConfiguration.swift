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

    /// `--forward-to`: where requests go when their source names no `forward_to`.
    public var forwardTo: String?
    /// `capture` answers at once; `proxy` waits for the target and returns its answer.
    public var mode: Config.Mode

    public init(listen: ListenAddress = .default, maxBody: Int = 10 << 20, config: Config = Config(),
                registry: SchemeRegistry = SchemeRegistry(), forwardTo: String? = nil, mode: Config.Mode = .capture) {
        self.listen = listen
        self.forwardTo = forwardTo
        self.mode = mode
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
