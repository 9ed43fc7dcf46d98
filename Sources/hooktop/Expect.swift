import ArgumentParser
import Foundation
import HooktopConfig
import HooktopCore
import HooktopStore

/// `hooktop expect`: callback URLs handed to job APIs, and what became of them.
struct Expect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A fresh callback URL for a job API (`--label L [--within 10m]`); `expect list` shows them all.",
        subcommands: [ExpectNew.self, ExpectList.self], defaultSubcommand: ExpectNew.self)
}

struct ExpectNew: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "new", abstract: "Print a fresh, unguessable callback URL tagged with a label.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("What the callbacks are for (shown in the dashboard, ~label NAME).", valueName: "label"))
    var label: String

    @Option(help: ArgumentHelp("Alert when no callback came within this long (e.g. 10m).", valueName: "duration"))
    var within: DurationArgument?

    @Option(name: .customLong("public-url"), help: ArgumentHelp("The daemon's address as the outside world sees it (https://hooks.example.com).", valueName: "url"))
    var publicURL: String?

    @Option(help: ArgumentHelp("The daemon's listen address, for the URL when --public-url is not given (default: where the database's daemon last listened, else the config's, else 127.0.0.1:8080).", valueName: "host:port"))
    var listen: ListenAddressArgument?

    func validate() throws {
        guard !label.isEmpty, !label.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true }) else {
            throw ValidationError("--label must be a non-empty line of text")
        }
        if let publicURL, !(publicURL.hasPrefix("http://") || publicURL.hasPrefix("https://")) {
            throw ValidationError("--public-url must be an http:// or https:// URL, got '\(TerminalText.inline(publicURL))'")
        }
    }

    func run() throws {
        let config = try database.loadConfig(secretsNeeded: false)
        let store = try database.backend(config)
        let token = Expectation.newToken()
        // Where the daemon that writes this database last listened, if it ever ran.
        let daemonListen = store.exists() ? (try? store.openReader().meta("listen")) ?? nil : nil
        var base = publicURL ?? "http://" + (listen?.value.description ?? daemonListen ?? (config.server.listen ?? .default).description)
        while base.hasSuffix("/") { base.removeLast() }
        let now = Timestamp.now()
        let expectation = Expectation(token: token, label: label, createdAt: now,
                                      deadline: within.map { now.adding(microseconds: $0.microseconds) },
                                      url: base + Expectation.pathPrefix + token)
        let writer = try cli { () throws(StoreError) in try store.openWriter() }
        defer { writer.close() }
        try runAsync { try await writer.apply(.expect(expectation)) }
        Console.out(expectation.url)
    }
}

struct ExpectList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Every expected callback: label, state, deadline, callbacks, URL.")

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "One JSON object per line.")
    var json = false

    func run() throws {
        let reader = try openReader(database.backend(try database.loadConfig(secretsNeeded: false)), forScans: false)
        let all = try cli { () throws(StoreError) in try reader.expectations() }
        let now = Timestamp.now()
        if json {
            for e in all { Console.out(ExpectFormat.json(e, now: now).serialized()) }
            return
        }
        Console.out("LABEL                 STATE    DEADLINE                 CALLBACKS  URL")
        for e in all {
            Console.out(RequestFormat.pad(TerminalText.inline(e.label), 20) + "  " + RequestFormat.pad(e.state(now: now).rawValue, 7) + "  "
                        + RequestFormat.pad(ExpectFormat.deadline(e, now: now), 23) + "  "
                        + RequestFormat.pad(e.callbacks.isEmpty ? "-" : e.callbacks.map { "#\($0)" }.joined(separator: ","), 9) + "  " + e.url)
        }
    }
}

enum ExpectFormat {
    /// `in 4m 10s`, `5m 0s ago`, or `-` without a deadline.
    static func deadline(_ e: Expectation, now: Timestamp) -> String {
        guard let deadline = e.deadline else { return "-" }
        let left = deadline.elapsedMicroseconds(since: now) / 1_000_000
        return left >= 0 ? "in \(DurationText.short(seconds: left))" : "\(DurationText.short(seconds: -left)) ago"
    }

    static func json(_ e: Expectation, now: Timestamp) -> JSON {
        .object([
            ("label", .string(e.label)), ("url", .string(e.url)), ("token", .string(e.token)),
            ("state", .string(e.state(now: now).rawValue)), ("created_at", .string(e.createdAt.iso8601)),
            ("deadline", JSON(e.deadline?.iso8601)), ("callbacks", .array(e.callbacks.map { .int($0) })),
        ])
    }
}
