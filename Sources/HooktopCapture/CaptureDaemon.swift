import HooktopCore
import HooktopStore
import Logging
import NIOCore
import NIOPosix

/// The store writer, the event loops and the listener, started and stopped
/// in the one order that loses nothing.
public final class CaptureDaemon: Sendable {
    public let server: CaptureServer
    public let writer: StoreWriter
    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger

    public init(capture: CaptureConfiguration, store: StoreConfiguration, logger: Logger,
                threads: Int = System.coreCount,
                onCommit: (@Sendable ([CapturedRequest]) -> Void)? = nil) throws {
        writer = try StoreWriter(store, onCommit: onCommit)
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        self.logger = logger
        do {
            server = try CaptureServer(configuration: capture, sink: writer, group: group, logger: logger)
        } catch {
            writer.close()
            try? group.syncShutdownGracefully()
            throw error
        }
    }

    /// Stop accepting, finish and store every in-flight request, commit, close.
    public func stop() {
        server.shutdown()
        writer.close()
        try? group.syncShutdownGracefully()
    }
}
