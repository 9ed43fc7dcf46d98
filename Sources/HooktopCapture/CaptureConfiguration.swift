import HooktopConfig
import HooktopCore
import HooktopStore
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
    /// `--require-token`: senders must present it.
    public var token: Secret?

    /// What one sender can hold: connections, and how long a connection may
    /// sit without a complete head or without body bytes (slowloris).
    public struct Limits: Sendable {
        public var maxConnections = 4096
        /// From the connection being ready for a request to its head being
        /// complete; also how long an idle keep-alive connection stays open.
        public var headTimeoutMicros: Int64 = 30_000_000
        /// The longest pause between two pieces of a body.
        public var bodyIdleTimeoutMicros: Int64 = 30_000_000
        public init() {}
    }
    public var limits = Limits()

    public init(listen: ListenAddress = .default, maxBody: Int = 10 << 20, config: Config = Config(),
                registry: SchemeRegistry = SchemeRegistry(), forwardTo: String? = nil, mode: Config.Mode = .capture,
                token: Secret? = nil) {
        self.token = token
        self.listen = listen
        self.forwardTo = forwardTo
        self.mode = mode
        self.config = config
        self.registry = registry
        self.maxBody = maxBody
    }
}

/// Where captured requests go. The capture server answers a request only
/// after `store` has reported success (the store's own completion type: no
/// closure is wrapped around it per request). The request is handed over,
/// not copied: its thirty fields retained and released again per request
/// were 3 % of an event loop's time.
public protocol CaptureSink: Sendable {
    func store(_ request: consuming CapturedRequest, completion: @escaping StoreWriter.Completion)
}
