import ArgumentParser
import Dispatch
import Foundation
import HooktopCapture
import HooktopConfig
import HooktopCore
import HooktopStore
import NIOCore
import Logging

/// Starts the capture daemon and runs it until SIGINT or SIGTERM, then shuts
/// down in order: stop accepting, finish in-flight requests, commit, exit 0.
enum DaemonRunner {
    static func run(database: DatabaseOptions, options: DaemonOptions, logger: Logger,
                    onCommit: (@Sendable ([CapturedRequest]) -> Void)? = nil) throws {
        let (daemon, config, store) = try start(database: database, options: options, logger: logger, onCommit: onCommit)
        // Caught before the listening line is printed, so a SIGTERM sent as
        // soon as it is read stops the daemon cleanly. While it starts, the
        // default applies: a start that hangs (a database that does not
        // answer) still ends on SIGTERM.
        let stop = DispatchSemaphore(value: 0)
        let sources = try SignalWatch.on([SIGINT, SIGTERM]) { stop.signal() }
            + SignalWatch.on([SIGHUP]) { reload(daemon, database: database, logger: logger) }
        // Scripts and tests read this line to learn the port when --listen asked for 0.
        Console.error("hooktop: listening on http://\(daemon.server.boundAddress), database \(store.location)"
                      + (options.metricsListen.map { ", metrics http://\($0.value.host):\(daemon.metricsPort)/metrics" } ?? ""))
        for source in config.sources {
            logger.info("source", metadata: ["name": "\(source.name)", "match": "\(source.match)", "scheme": "\(source.scheme ?? "detect")",
                                         "secrets": "\(source.secrets.count)"])
        }
        stop.wait()
        logger.info("shutting down: finishing in-flight requests")
        daemon.stop()
        sources.forEach { $0.cancel() }
        let stats = daemon.writer.currentStats()
        logger.info("stopped", metadata: [
            "stored": "\(stats.requests)", "batches": "\(stats.batches)",
            "mean_batch": "\(String(format: "%.1f", stats.meanBatch))", "largest_batch": "\(stats.largestBatch)",
            "checkpoints": "\(stats.checkpoints)", "longest_checkpoint_pause_ms": "\(String(format: "%.1f", Double(stats.longestCheckpointPauseMicros) / 1000))",
            "checkpoint_waits": "\(stats.checkpointWaits)", "checkpoint_wait_ms": "\(String(format: "%.1f", Double(stats.checkpointWaitMicros) / 1000))",
            "refused_without_token": "\(daemon.server.refusedWithoutToken)",
        ])
    }

    /// SIGHUP: the config file again. A file that does not load is refused
    /// with its error and the config in force stays; connections carry on.
    /// Listen address, store and `[delivery]` need a restart.
    static func reload(_ daemon: CaptureDaemon, database: DatabaseOptions, logger: Logger) {
        do {
            let config = try database.loadConfig()
            daemon.server.reload(config)
            logger.notice("config reloaded", metadata: ["sources": "\(config.sources.count)", "respond": "\(config.respond.count)"])
        } catch {
            logger.error("config not reloaded; the one in force stays", metadata: ["error": "\(error)"])
        }
    }

    /// `hooktop` in a terminal: the daemon and the dashboard in one process.
    /// Logs are silenced (they would tear the screen); alerts reach the banner.
    static func runWithDashboard(database: DatabaseOptions, options: DaemonOptions, theme: String?) throws {
        var silent = Logger(label: "hooktop") { _ in SwiftLogNoOpLogHandler() }
        silent.logLevel = .critical
        let (daemon, config, store) = try start(database: database, options: options, logger: silent)
        defer { daemon.stop() }
        try Dashboard.run(store: store, listening: daemon.server.boundAddress.description, config: config,
                          writer: daemon.writer, theme: theme)
    }

    /// Flags over the config file over defaults, checked, and the daemon started.
    private static func start(database: DatabaseOptions, options: DaemonOptions, logger: Logger,
                              onCommit: (@Sendable ([CapturedRequest]) -> Void)? = nil) throws -> (CaptureDaemon, Config, any StoreBackend) {
        let config = try database.loadConfig()
        let store = try database.backend(config, durability: options.durability == .full ? .full : .normal, node: options.node)
        let listen = options.listen?.value ?? config.server.listen ?? .default
        if let url = options.forwardTo, !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw CLIError("--forward-to must be an http:// or https:// URL, got '\(url)'", exitCode: 64)
        }
        var token = config.server.token
        if options.requireToken && token == nil {
            let variable = config.server.tokenEnv ?? "HOOKTOP_TOKEN"
            guard let value = ProcessInfo.processInfo.environment[variable], !value.isEmpty else {
                throw CLIError("--require-token: set the token in the environment variable \(variable)", exitCode: 64)
            }
            token = Secret(value)
        }
        if !listen.isLoopback {
            logger.warning(token == nil
                ? "listening on \(listen): reachable from other machines, and without --require-token anyone who reaches it is stored"
                : "listening on \(listen): reachable from other machines; requests need the access token")
        }
        let mode = options.mode?.value ?? config.server.mode ?? .capture
        if mode == .proxy, let rule = config.respond.first {
            throw CLIError("[[respond]] (match \(rule.match)) does not apply in proxy mode, where the target's answer is returned; "
                           + "remove the [[respond]] rules or use mode = \"capture\"", exitCode: 64)
        }
        let existed = store.exists()
        do {
            let daemon = try CaptureDaemon(
                capture: CaptureConfiguration(listen: listen, maxBody: options.maxBody?.bytes ?? config.server.maxBody ?? 10 << 20,
                                              config: config, forwardTo: options.forwardTo,
                                              mode: mode, token: token),
                store: store,
                logger: logger, threads: options.eventLoops ?? System.coreCount, metricsListen: options.metricsListen?.value,
                onCommit: onCommit)
            return (daemon, config, store)
        } catch {
            if !existed { store.removeCreated() }  // a failed start leaves no empty database behind
            throw CLIError("\(error)")
        }
    }

    static func makeLogger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "hooktop") { _ in KeyValueLogHandler() }
        logger.logLevel = level
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
