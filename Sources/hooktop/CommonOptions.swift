import ArgumentParser
import Foundation
import HooktopConfig
import HooktopCore
import HooktopPostgres
import HooktopSignatures
import HooktopStore

/// `--db` and `--config`, shared by every command that touches the database.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Database file.", discussion: "Default: $HOOKTOP_DB, else [store] path in the config, else $XDG_STATE_HOME/hooktop/hooktop.sqlite, else ~/.local/state/hooktop/hooktop.sqlite.", valueName: "path"))
    var db: String?

    @Option(name: .long, help: ArgumentHelp("A PostgreSQL database shared by many daemons, instead of the SQLite file.",
                                            discussion: "postgres://user@host:port/db; the password from $PGPASSWORD, ~/.pgpass or [store] password_env, never the URL. Default: [store] url in the config.",
                                            valueName: "url"))
    var store: String?

    @Option(name: .long, help: ArgumentHelp("Config file (default: $XDG_CONFIG_HOME/hooktop/config.toml if present).", valueName: "path"))
    var config: String?

    /// The config file's contents, validated; an empty config when there is none.
    /// Commands that only read (`secretsNeeded: false`) take an unset `secret_env`.
    func loadConfig(secretsNeeded: Bool = true) throws(CLIError) -> Config {
        let env = ProcessInfo.processInfo.environment
        let explicit = config.map { DatabaseOptions.expandTilde($0, env) }
        let xdg = env["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? NSHomeDirectory()) + "/.config")
        let file = explicit ?? xdg + "/hooktop/config.toml"
        guard FileManager.default.fileExists(atPath: file) else {
            if explicit != nil { throw CLIError("config file \(file) does not exist") }
            return Config()
        }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw CLIError("cannot read config file \(file) (is it UTF-8 text?)")
        }
        do {
            return try ConfigLoader.load(text, file: file, knownSchemes: Set(SchemeRegistry().names), environment: env,
                                         secretsRequired: secretsNeeded)
        } catch {
            throw CLIError(error.description)
        }
    }

    /// The store every command works on: `--store` or `[store] url` (PostgreSQL), else the SQLite file.
    /// - node: the name this process records on what it captures.
    func backend(_ config: Config, durability: StoreConfiguration.Durability = .normal, node: String? = nil) throws(CLIError) -> any StoreBackend {
        let env = ProcessInfo.processInfo.environment
        if store != nil && db != nil {
            throw CLIError("--db and --store name two different stores; give one", exitCode: 64)
        }
        if let url = store ?? config.store.url {
            return try cli { () throws(StoreError) in
                try PostgresBackend(url: url, passwordEnv: config.store.passwordEnv, node: node ?? Self.hostName, environment: env)
            }
        }
        return SQLiteBackend(StoreConfiguration(path: path(config), durability: durability, node: node ?? Self.hostName))
    }

    /// The machine's name: what a request records as its node unless `--node` says otherwise.
    static var hostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func path(_ config: Config) -> String {
        DatabaseOptions.resolve(db, configured: config.store.path, environment: ProcessInfo.processInfo.environment)
    }

    static func resolve(_ flag: String?, configured: String? = nil, environment env: [String: String]) -> String {
        if let flag, !flag.isEmpty { return expandTilde(flag, env) }
        if let fromEnv = env["HOOKTOP_DB"], !fromEnv.isEmpty { return expandTilde(fromEnv, env) }
        if let configured, !configured.isEmpty { return expandTilde(configured, env) }
        if let state = env["XDG_STATE_HOME"], !state.isEmpty { return state + "/hooktop/hooktop.sqlite" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.local/state/hooktop/hooktop.sqlite"
    }

    static func expandTilde(_ path: String, _ env: [String: String]) -> String {
        guard path == "~" || path.hasPrefix("~/") else { return path }
        return (env["HOME"] ?? NSHomeDirectory()) + path.dropFirst()
    }
}

/// The daemon's flags, shared by `hooktop` and `hooktop serve`.
struct DaemonOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Address to listen on (default 127.0.0.1:8080; loopback unless you ask otherwise).", valueName: "host:port"))
    var listen: ListenAddressArgument?

    @Option(name: .customLong("max-body"), help: ArgumentHelp("Largest body kept (default 10MiB); larger ones are answered 413 and recorded truncated.", valueName: "size"))
    var maxBody: ByteSizeArgument?

    @Option(help: ArgumentHelp("normal: survives kill -9 of the daemon; full: fsync per batch, survives power loss.", valueName: "normal|full"))
    var durability: Durability = .normal

    @Option(name: .customLong("forward-to"), help: ArgumentHelp("Deliver every request on to this URL (a source's forward_to wins).", valueName: "url"))
    var forwardTo: String?

    @Option(help: ArgumentHelp("capture: answer at once (default); proxy: wait for the target and return its answer.", valueName: "mode"))
    var mode: ModeArgument?

    @Option(name: .customLong("event-loops"), help: ArgumentHelp("Threads serving connections (default: one per core; with one per core, each is bound to its own).", valueName: "n"))
    var eventLoops: Int?

    @Option(name: .customLong("metrics-listen"), help: ArgumentHelp("Serve Prometheus metrics at http://HOST:PORT/metrics (e.g. 127.0.0.1:9464).", valueName: "host:port"))
    var metricsListen: ListenAddressArgument?

    @Flag(name: .customLong("require-token"), help: ArgumentHelp(
        "Answer 401, and store nothing, unless a request carries the token from $HOOKTOP_TOKEN (or [server] token_env).",
        discussion: "Senders give it in an X-Hooktop-Token header, or as a path prefix /t/TOKEN/... for providers that only take a URL."))
    var requireToken = false

    @Option(help: ArgumentHelp("The name recorded on every request this daemon captures (default: the host name).", valueName: "name"))
    var node: String?

    enum Durability: String, ExpressibleByArgument, CaseIterable { case normal, full }

    func validate() throws {
        if let node, node.isEmpty || node.count > 64 || node.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw ValidationError("--node must be 1 to 64 printable characters")
        }
        if let eventLoops, !(1...256).contains(eventLoops) {
            throw ValidationError("--event-loops must be from 1 to 256, got \(eventLoops)")
        }
    }
}

struct ModeArgument: ExpressibleByArgument {
    let value: Config.Mode
    init?(argument: String) {
        guard let mode = Config.Mode(rawValue: argument) else { return nil }
        value = mode
    }
}

struct ListenAddressArgument: ExpressibleByArgument {
    let value: ListenAddress
    init(_ value: ListenAddress) { self.value = value }
    init?(argument: String) {
        guard case .success(let address) = ListenAddress.parse(argument) else { return nil }
        value = address
    }
    var defaultValueDescription: String { value.description }
}

struct ByteSizeArgument: ExpressibleByArgument {
    let bytes: Int
    init(_ bytes: Int) { self.bytes = bytes }
    init?(argument: String) {
        guard let bytes = ByteSize.parse(argument), ByteSize.bodyRange.contains(bytes) else { return nil }
        self.bytes = bytes
    }
    var defaultValueDescription: String { ByteSize.describe(bytes).replacingOccurrences(of: " ", with: "") }
}

struct DurationArgument: ExpressibleByArgument {
    let microseconds: Int64
    init?(argument: String) {
        guard let micros = DurationText.parse(argument) else { return nil }
        microseconds = micros
    }
}

/// A request id as `show`, `replay` and `retry` take it. `-1` and other
/// words that are not ids are said to be so (ArgumentParser alone would read
/// `-1` as an unknown flag and report a missing argument).
struct RequestIDArgument: ParsableArguments {
    @Argument(parsing: .allUnrecognized, help: ArgumentHelp("The request's id (see `hooktop list`).", valueName: "id"))
    var words: [String] = []

    var id: Int64 { words.first.flatMap { Int64($0) } ?? 0 }

    func validate() throws {
        guard words.count == 1, let n = Int64(words[0]), n >= 1 else {
            let given = words.isEmpty ? "nothing" : "'\(words.joined(separator: " "))'"
            throw ValidationError("\(given) is not a request id: ids are whole numbers from 1 (see `hooktop list`)")
        }
    }
}
