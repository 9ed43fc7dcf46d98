import HooktopConfig
import HooktopCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix

/// The capture daemon's HTTP/1.1 listener.
public final class CaptureServer: Sendable {
    private let configuration: CaptureConfiguration
    private let sink: any CaptureSink
    private let group: any EventLoopGroup
    private let logger: Logger
    /// Released in `shutdown`: its deinit needs the event loops still running.
    private let quiesce: NIOLockedValueBox<ServerQuiescingHelper?>
    private let channel: any Channel
    private let refusals: RefusalCount?
    private let policies: PolicyBox

    /// Takes a new config (sources, secrets, `[[respond]]` rules, targets) for
    /// the next requests, on every connection, without dropping any.
    public func reload(_ config: Config) { policies.reload(config) }

    /// Requests turned away for want of the access token.
    public var refusedWithoutToken: Int { refusals?.value ?? 0 }

    /// Binds and starts accepting. Throws a readable error when the address is taken.
    public init(configuration: CaptureConfiguration, sink: any CaptureSink,
                group: any EventLoopGroup, logger: Logger,
                proxy: (@Sendable (CapturedRequest) async -> RecordedResponse)? = nil) throws(CaptureError) {
        self.configuration = configuration
        self.sink = sink
        self.group = group
        self.logger = logger
        let quiesce = ServerQuiescingHelper(group: group)
        self.quiesce = NIOLockedValueBox(quiesce)
        let connections = ConnectionCount(limit: configuration.limits.maxConnections)
        let limits = configuration.limits
        let mailboxes = LoopMailboxes()
        let policy = ResponsePolicy(maxBody: configuration.maxBody, config: configuration.config, registry: configuration.registry,
                                    forwardTo: configuration.forwardTo, proxy: configuration.mode == .proxy && proxy != nil,
                                    token: configuration.token)
        refusals = policy.token?.refusals
        let policies = PolicyBox(policy)
        self.policies = policies
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            // A sender that half-closes after its request still gets the answer (CaptureHandler).
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try CaptureServer.configure(channel.pipeline.syncOperations, policies: policies, sink: sink, logger: logger,
                                                limits: limits, connections: connections, proxy: proxy,
                                                mailbox: mailboxes.mailbox(for: channel.eventLoop))
                }
            }
        do {
            channel = try bootstrap.bind(host: configuration.listen.host, port: configuration.listen.port).wait()
        } catch {
            throw CaptureError.cannotListen(configuration.listen, error)
        }
    }

    /// One connection's pipeline: the cap, then the capture handler, which
    /// reads the bytes itself (hooktop's decoder: byte-exact targets and
    /// header values) and writes each answer as one buffer.
    static func configure(_ pipeline: ChannelPipeline.SynchronousOperations, policies: PolicyBox, sink: any CaptureSink,
                          logger: Logger, limits: CaptureConfiguration.Limits, connections: ConnectionCount?,
                          proxy: (@Sendable (CapturedRequest) async -> RecordedResponse)?, mailbox: LoopMailbox? = nil) throws {
        if let connections { try pipeline.addHandler(ConnectionGuard(count: connections, logger: logger)) }
        try pipeline.addHandler(CaptureHandler(policies: policies, sink: sink, logger: logger, limits: limits, proxy: proxy, mailbox: mailbox))
    }

    /// The address actually bound (the port is real when 0 was asked for).
    public var boundAddress: ListenAddress {
        guard let address = channel.localAddress, let ip = address.ipAddress, let port = address.port else {
            return configuration.listen
        }
        return ListenAddress(host: ip, port: port)
    }

    /// Stops accepting, lets every in-flight request finish (stored and answered),
    /// then closes all connections. Returns when that is done.
    public func shutdown() {
        guard let helper = quiesce.withLockedValue({ h in defer { h = nil }; return h }) else { return }
        let promise = group.next().makePromise(of: Void.self)
        helper.initiateShutdown(promise: promise)
        try? promise.futureResult.wait()
        try? channel.closeFuture.wait()
    }
}
