import HooktopCore
import HooktopDelivery
import HooktopStore
import Logging
import NIOCore
import NIOPosix

/// The store writer, the delivery engine, the event loops and the listener,
/// started and stopped in the one order that loses nothing.
public final class CaptureDaemon: Sendable {
    public let server: CaptureServer
    public let writer: StoreWriter
    public let deliverer: Deliverer
    private let transport: AsyncHTTPTransport
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger

    public init(capture: CaptureConfiguration, store: StoreConfiguration, logger: Logger,
                threads: Int = System.coreCount,
                onCommit: (@Sendable ([CapturedRequest]) -> Void)? = nil) throws {
        let delivery = capture.config.delivery
        let transport = AsyncHTTPTransport()
        let forwarder = Forwarder(transport: transport, timeoutMicros: delivery.timeoutMicros)
        let handoff = Handoff()
        let access = AccessLog(logger: logger)
        // Off the writer thread: acknowledgements never wait for a log line.
        let logQueue = DispatchQueue(label: "hooktop-access-log")
        writer = try StoreWriter(store, onHealth: { health in
            // Once per change, not per request: the log says why, then says when it is over.
            switch health {
            case .failing(let error):
                logger.error("cannot store requests; answering 503 until this clears", metadata: ["db": "\(store.path)", "error": "\(error)"])
            case .recovered(let failed):
                logger.notice("storing requests again", metadata: ["db": "\(store.path)", "failed_batches": "\(failed)"])
            case .recreated(let path):
                logger.error("database file was deleted or replaced; created a new one in its place", metadata: ["db": "\(path)"])
            }
        }, onCommit: { batch in
            handoff.deliverer?.submit(batch.filter { $0.deliveryState == .pending && capture.mode != .proxy })
            handoff.alerts?.observe(batch)
            onCommit?(batch)
            if logger.logLevel <= .info { logQueue.async { access.captured(batch) } }
        })
        let storeLedger = StoreLedger(writer: writer, path: store.path)
        let ledger = LoggingLedger(inner: storeLedger, log: access)
        let alerts = AlertRunner(command: capture.config.server.alertCommand, writer: writer, logger: logger)
        let settings = Deliverer.Settings(schedule: RetrySchedule(delaysMicros: delivery.scheduleMicros),
                                          timeoutMicros: delivery.timeoutMicros, concurrency: delivery.concurrency)
        deliverer = Deliverer(forwarder: forwarder, ledger: ledger, settings: settings, alerts: alerts)
        handoff.set(deliverer, alerts)
        self.transport = transport
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.logger = logger
        let proxy: @Sendable (CapturedRequest) async -> RecordedResponse = { [deliverer] request in
            await deliverer.proxy(request)
        }
        do {
            server = try CaptureServer(configuration: capture, sink: writer, group: group, logger: logger, proxy: proxy)
        } catch {
            writer.close()
            // Let each loop finish closing the failed listener first: what it
            // still holds (the quiescing helper) must go while the loops run.
            for _ in 0..<2 { for loop in group.makeIterator() { try? loop.submit {}.wait() } }
            try? group.syncShutdownGracefully()
            throw error
        }
        // A daemon killed mid-attempt left leases behind: those deliveries are due now.
        let deliverer = self.deliverer
        Task {
            if let released = try? await storeLedger.releaseDeadLeases(), released > 0 {
                logger.info("resuming \(released) deliveries left by a stopped daemon")
            }
            deliverer.start()
        }
    }

    /// Stop accepting, finish and store every in-flight request, let attempts
    /// under way finish and be recorded, commit, close.
    public func stop() {
        server.shutdown()
        deliverer.stop()
        writer.close()
        let transport = self.transport
        let done = DispatchSemaphoreBox()
        Task { await transport.shutdown(); done.signal() }
        done.wait()
        try? group.syncShutdownGracefully()
    }
}

/// The writer's commit hook needs the deliverer, which needs the writer:
/// this box breaks the cycle, set once before the server accepts anything.
private final class Handoff: @unchecked Sendable {
    private(set) var deliverer: Deliverer?
    private(set) var alerts: AlertRunner?
    func set(_ d: Deliverer, _ a: AlertRunner) {
        deliverer = d
        alerts = a
    }
}

import Dispatch

private final class DispatchSemaphoreBox: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func signal() { semaphore.signal() }
    func wait() { _ = semaphore.wait(timeout: .now() + 10) }
}
