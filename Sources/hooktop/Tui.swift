import ArgumentParser
import Foundation
import HooktopConfig
import HooktopCore
import HooktopCurses
import HooktopDelivery
import HooktopStore
import HooktopTUI
#if canImport(Glibc)
import Glibc
#endif

/// `hooktop tui`: the dashboard attached to a database that `serve` processes write.
struct Tui: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The dashboard, attached to a database written by hooktop serve.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("Theme name (a file in themes/ or $XDG_CONFIG_HOME/hooktop/themes/).", valueName: "name"), completion: .list(Theme.builtInNames))
    var theme: String?

    @Flag(help: "Look without touching: replay, retry and export are not offered, and the database is never written.")
    var readOnly = false

    func run() throws {
        let config = try database.loadConfig(secretsNeeded: false)
        let store = try database.backend(config)
        // Attaching to a database that is not there is a mistake, not a request to make one.
        guard store.exists() else { throw CLIError(StoreError.notFound(store.location).description) }
        guard isatty(0) != 0 && isatty(1) != 0 else { throw Dashboard.needsTerminal }
        let writer = try readOnly ? nil : cli { () throws(StoreError) in try store.openWriter() }
        defer { writer?.close() }
        try Dashboard.run(store: store, listening: nil, config: config, writer: writer, theme: theme, readOnly: readOnly)
    }
}

/// Wires the TUI runtime to the store, the delivery code and the curses backend.
enum Dashboard {
    static let needsTerminal = CLIError("the dashboard needs a terminal; use `hooktop serve` and `hooktop list` from scripts")

    /// - writer: where replay and retry record their attempts; nil in read-only mode.
    static func run(store: any StoreBackend, listening: String?, config: Config, writer: (any StoreWriting)?, theme: String?,
                    readOnly: Bool = false) throws {
        guard isatty(0) != 0 && isatty(1) != 0 else { throw needsTerminal }
        do { try CursesTerminal.check(environment: ProcessInfo.processInfo.environment) } catch { throw CLIError(error.description) }
        let data = try cli { () throws(StoreError) in try TUIData(backend: store) }
        var (themes, errors) = Theme.loadAll(from: themeFolders())
        if themes.isEmpty { themes = [.monochrome] }
        if let theme {
            guard let i = themes.firstIndex(where: { $0.name == theme }) else {
                throw CLIError("no theme named '\(theme)' (found: \(themes.map(\.name).joined(separator: ", ")))")
            }
            themes.insert(themes.remove(at: i), at: 0)
        }
        let noColor = !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty
        var model = Model(width: 80, height: 24, listening: listening, databasePath: store.location)
        model.notice = errors.first.map { .error("theme error: \($0)") }
        model.readOnly = readOnly || writer == nil
        model.showsNodes = store.sharedByDaemons
        let actions = writer.map { makeActions(store: store, config: config, writer: $0) } ?? .none

        let stop = StopFlag()
        let sources = try SignalWatch.on([SIGTERM, SIGHUP]) { stop.set() }
        defer { sources.forEach { $0.cancel() } }
        let terminal: CursesTerminal
        do { terminal = try CursesTerminal(noColor: noColor) } catch { throw CLIError(error.description) }
        defer { terminal.end() }
        Runtime(model: model, data: data, terminal: terminal, themes: noColor ? [.monochrome] : themes, actions: actions,
                stopRequested: { stop.isSet }).run()
    }

    static func themeFolders() -> [String] {
        let env = ProcessInfo.processInfo.environment
        var folders: [String] = []
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // .build/<config>/hooktop -> the repository's themes/ folder; then the working directory.
        folders.append(exe.appendingPathComponent("../../themes").standardized.path)
        folders.append(exe.appendingPathComponent("../../../themes").standardized.path)
        folders.append(exe.appendingPathComponent("../share/hooktop/themes").standardized.path)
        folders.append(FileManager.default.currentDirectoryPath + "/themes")
        if let extra = env["HOOKTOP_THEMES"] { folders.append(extra) }
        let config = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.config")
        folders.append(config + "/hooktop/themes")
        return folders
    }

    static func makeActions(store: any StoreBackend, config: Config, writer: any StoreWriting) -> TUIActions {
        let deliverer = Deliverer.forCommands(store: store, config: config, writer: writer, transport: HTTP1Transport())
        @Sendable func describe(_ attempt: DeliveryAttempt) -> Result<String, ActionFailure> {
            let ms = DurationText.milliseconds(attempt.durationMicros) + " ms"
            if let status = attempt.status {
                return (200..<300).contains(status) ? .success("\(status) in \(ms)") : .failure(ActionFailure("HTTP \(status) in \(ms)"))
            }
            return .failure(ActionFailure(attempt.error ?? "no answer"))
        }
        @Sendable func load(_ id: Int64) throws -> CapturedRequest { try store.openReader().request(id: id) }
        return TUIActions(replay: { id, options in
            do {
                return describe(try await deliverer.replay(try load(id), to: options.to, headers: options.headers, body: options.body))
            } catch let failure as DeliveryError {
                return .failure(ActionFailure(failure.description))
            } catch {
                return .failure(ActionFailure("\(error)"))
            }
        }, retry: { id in
            do { return describe(try await deliverer.retry(try load(id))) } catch {
                return .failure(ActionFailure("\(error)"))
            }
        }, edit: { request in try? RequestEditor.edit(headers: request.headers, body: request.body) })
    }
}

final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
