import ArgumentParser
import HooktopCore
import HooktopCurses
import HooktopTUI
import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `hooktop` with no command: the daemon on the defaults, one live line per
/// captured request.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Capture callbacks and show them live (the default command).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var daemon: DaemonOptions

    @Option(help: ArgumentHelp("Dashboard theme (a file in themes/).", valueName: "name"), completion: .list(Theme.builtInNames))
    var theme: String?

    func run() throws {
        // In a terminal that can draw it: the dashboard. Piped, redirected or on a
        // dumb terminal (TERM=dumb, unset): one line per request.
        if isatty(0) != 0 && isatty(1) != 0, (try? CursesTerminal.check(environment: ProcessInfo.processInfo.environment)) != nil {
            try DaemonRunner.runWithDashboard(database: database, options: daemon, theme: theme)
            return
        }
        let logger = DaemonRunner.makeLogger(level: .warning)
        Console.out(RequestFormat.liveHeader)
        try DaemonRunner.run(database: database, options: daemon, logger: logger) { batch in
            for request in batch { Console.out(RequestFormat.liveLine(request)) }
        }
    }
}

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the headless capture daemon; logs go to stderr.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var daemon: DaemonOptions

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func run() throws {
        // One line per request and per delivery attempt at the default level (AccessLog).
        let logger = DaemonRunner.makeLogger(level: logLevel)
        try DaemonRunner.run(database: database, options: daemon, logger: logger)
    }
}
