import HooktopCore
import HooktopConfig
import HooktopDelivery
import HooktopLedger
import HooktopSignatures
import HooktopStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The store writer, the delivery engine, the event loops and the listener,
/// started and stopped in the one order that loses nothing.
public final class CaptureDaemon: Sendable {
    public let server: CaptureServer
    public let writer: any StoreWriting
    public let deliverer: Deliverer
    private let transport: HTTP1Transport
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private let committed: AsyncStream<[CapturedRequest]>.Continuation
    private let watcher: Task<Void, Never>
    private let metricsServer: MetricsServer?

    /// The port `--metrics-listen` bound (0 without it).
    public var metricsPort: Int { metricsServer?.boundPort ?? 0 }

    public init(capture: CaptureConfiguration, store: any StoreBackend, logger: Logger,
                threads: Int = System.coreCount, metricsListen: ListenAddress? = nil,
                onCommit: (@Sendable ([CapturedRequest]) -> Void)? = nil) throws {
        let metrics = metricsListen.map { _ in DaemonMetrics() }
        let access = AccessLog(logger: logger)
        // Off the writer thread: acknowledgements never wait for a log line.
        let logQueue = DispatchQueue(label: "hooktop-access-log")
        // The writer reports commits into this stream; the deliverer and the
        // alerts read it, so nothing the writer calls needs them to exist yet.
        let (commits, committed) = AsyncStream.makeStream(of: [CapturedRequest].self)
        let interest = CommitInterest(delivers: capture.mode != .proxy, metrics: metrics != nil)
        writer = try store.openWriter(limits: StoreWriter.Limits(), onHealth: { health in
            // Once per change, not per request: the log says why, then says when it is over.
            switch health {
            case .failing(let error):
                logger.error("cannot store requests; answering 503 until this clears", metadata: ["db": "\(store.location)", "error": "\(error)"])
            case .recovered(let failed):
                logger.notice("storing requests again", metadata: ["db": "\(store.location)", "failed_batches": "\(failed)"])
            case .recreated(let path):
                logger.error("database file was deleted or replaced; created a new one in its place", metadata: ["db": "\(path)"])
            }
        }, onCommit: { batch in
            // Copied out of the writer's batch only when something keeps them.
            let (wanted, logs) = (interest.wants(batch), logger.logLevel <= .info)
            guard wanted || onCommit != nil || logs else { return }
            let requests = batch.requests
            if wanted { committed.yield(requests) }
            onCommit?(requests)
            if logs { logQueue.async { access.captured(requests) } }
        })
        self.committed = committed
        // Made once the writer is open (a store that fails leaves no loop threads behind).
        // Deliveries share the capture loops: a second set of loop threads only added wake-ups between them.
        let loops = max(1, threads)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
        let bound = ThreadPolicy.bindsEventLoops(count: loops)  // read here: the loops inherit this thread's CPUs
        for (k, loop) in group.makeIterator().enumerated() {
            loop.execute {
                ThreadPolicy.throughput()
                if bound { ThreadPolicy.bind(toAllowedCPU: k) }
            }
        }
        let transport = HTTP1Transport(group: group)
        let storeLedger = StoreLedger(writer: writer, backend: store)
        let alerts = AlertRunner(command: capture.config.server.alertCommand, writer: writer, logger: logger)
        interest.alerts.withLockedValue { $0 = alerts }
        deliverer = Deliverer(transport: transport, ledger: LoggingLedger(inner: storeLedger, log: access, metrics: metrics),
                              settings: capture.config.delivery.engineSettings, alerts: alerts, logger: logger)
        self.transport = transport
        self.group = group
        self.logger = logger
        let proxy: @Sendable (CapturedRequest) async -> RecordedResponse = { [deliverer] request in
            await deliverer.proxy(request)
        }
        do {
            server = try CaptureServer(configuration: capture, sink: StoreSink(writer), group: group, logger: logger, proxy: proxy)
        } catch {
            writer.close()
            committed.finish()
            // Let each loop finish closing the failed listener first: what it
            // still holds (the quiescing helper) must go while the loops run.
            for _ in 0..<2 { for loop in group.makeIterator() { try? loop.submit {}.wait() } }
            try? group.syncShutdownGracefully()
            throw error
        }
        if let metrics, let metricsListen {
            let server = self.server
            do {
                metricsServer = try MetricsServer(listen: metricsListen, group: group) { [writer] in
                    metrics.scrape(writer: writer.currentStats(), refusedWithoutToken: server.refusedWithoutToken,
                                   failingDeliveries: try? storeLedger.failingDeliveries())
                }
            } catch {
                server.shutdown()
                writer.close()
                committed.finish()
                try? group.syncShutdownGracefully()
                throw error
            }
        } else {
            metricsServer = nil
        }
        // `hooktop expect` in another shell builds its URL from where this daemon listens.
        writer.apply(.setMeta(key: "listen", value: server.boundAddress.description)) { _ in }
        let deliverer = self.deliverer
        let delivers = capture.mode != .proxy
        let writer = self.writer
        let ipn = IPNPostback(transport: transport, writer: writer, config: capture.config,
                              timeoutMicros: capture.config.delivery.timeoutMicros, logger: logger)
        Task {
            for await batch in commits {
                // Only a batch with something to deliver goes to the engine (a copy of each request otherwise).
                if delivers, CommitInterest.hasPendingDelivery(batch) { deliverer.submit(batch) }
                alerts.observe(batch)
                ipn.verify(batch)
                metrics?.committed(batch, commitMicros: writer.currentStats().lastCommitMicros)
            }
        }
        // Expected callbacks that did not come by their deadline alert, once each;
        // retention (when configured) runs a second after start, then every minute.
        let retention = capture.config.store
        watcher = Task {
            var tick = 0
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                do {
                    try await storeLedger.raiseOverdueExpectations(now: .now(), alerts: alerts)
                } catch {
                    logger.error("cannot check expected callbacks", metadata: ["error": "\(error)"])
                }
                if retention.hasRetention && tick % 60 == 0 {
                    do {
                        let removed = try await storeLedger.applyRetention(maxAgeMicros: retention.retentionMicros, maxRequests: retention.maxRequests,
                                                                           maxSize: retention.maxSize, now: .now())
                        if removed > 0 { logger.info("retention", metadata: ["removed": "\(removed)"]) }
                        metrics?.retention(removed: removed)
                    } catch {
                        logger.error("retention failed", metadata: ["error": "\(error)"])
                    }
                }
                tick += 1
            }
        }
        // A daemon killed mid-attempt left leases behind: those deliveries are due now.
        Task {
            do {
                let released = try await storeLedger.releaseDeadLeases()
                if released > 0 { logger.info("resuming \(released) deliveries left by a stopped daemon") }
            } catch {
                logger.error("cannot release the leases of stopped daemons", metadata: ["error": "\(error)"])
            }
            deliverer.start()
        }
    }

    /// Stop accepting, finish and store every in-flight request, let attempts
    /// under way finish and be recorded, commit, close.
    public func stop() {
        server.shutdown()
        metricsServer?.close()
        watcher.cancel()
        deliverer.stop()
        writer.close()
        committed.finish()
        let transport = self.transport
        let done = DispatchSemaphoreBox()
        Task { await transport.shutdown(); done.signal() }
        done.wait()
        try? group.syncShutdownGracefully()
    }
}

/// Which committed batches the consumers of the commit stream (deliverer,
/// alerts, PayPal postbacks, metrics) have something to do with. Most have
/// nothing — no target, no PayPal message, no bad signature — and a batch
/// yielded wakes a task for nothing (2.5–3.5 µs of CPU a request under wrk).
private final class CommitInterest: Sendable {
    let delivers: Bool
    let metrics: Bool
    /// Set once the runner exists (it needs the writer this filter is given to).
    let alerts = NIOLockedValueBox<AlertRunner?>(nil)

    init(delivers: Bool, metrics: Bool) {
        self.delivers = delivers
        self.metrics = metrics
    }

    /// Runs on the writer's thread for every committed batch: reads each request in place.
    func wants(_ batch: CommittedBatch) -> Bool {
        guard !metrics, let alerts = alerts.withLockedValue({ $0 }) else { return true }
        if delivers && batch.contains(where: { $0.deliveryState == .pending }) { return true }
        if batch.contains(where: { PayPalIPN.isPending($0.signature) }) { return true }
        return alerts.wouldObserve(batch)
    }

    /// Each request read where it is (`contains(where:)` would copy each one out).
    static func hasPendingDelivery(_ batch: [CapturedRequest]) -> Bool {
        batch.indices.contains { batch[$0].deliveryState == .pending }
    }
}

import Dispatch

private final class DispatchSemaphoreBox: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    func signal() { semaphore.signal() }
    func wait() { _ = semaphore.wait(timeout: .now() + 10) }
}
