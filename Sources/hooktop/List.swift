import ArgumentParser
import HooktopConfig
import HooktopCore
import HooktopStore

struct List: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Captured requests, newest first.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "How many requests (0 = all).")
    var limit: Int = 50

    @Flag(help: "One JSON object per line.")
    var json = false

    @Flag(help: "With --json: include body_base64 and deliveries.")
    var full = false

    @Option(help: ArgumentHelp("Only requests matching this filter (e.g. '~m POST & ~sig invalid').", valueName: "expr"))
    var filter: String?

    func validate() throws {
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (all) or more") }
    }

    func run() throws {
        let parsed = try parseFilter(filter)
        let reader = try openReader(database.backend(try database.loadConfig(secretsNeeded: false)))
        let rows = try cli { () throws(StoreError) in
            try reader.list(limit: limit, filter: parsed, includeBodies: json && full, includeDeliveries: json && full)
        }
        if json {
            for row in rows { Console.out(row.json(includeBody: full, includeDeliveries: full).serialized()) }
        } else {
            Console.out(RequestFormat.tableHeader)
            for row in rows { Console.out(RequestFormat.tableRow(row)) }
        }
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "One captured request.")

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var request: RequestIDArgument
    var id: Int64 { request.id }

    @Flag(help: "The JSON object of SPEC.md.")
    var json = false

    func run() throws {
        let reader = try openReader(database.backend(try database.loadConfig(secretsNeeded: false)), forScans: false)
        let request = try cli { () throws(StoreError) in try reader.request(id: id) }
        if json {
            Console.out(request.json().serialized())
        } else {
            Console.out(RequestFormat.detail(request))
        }
    }
}

struct Prune: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove old requests and their delivery attempts.")

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("older-than"), help: ArgumentHelp("Remove requests older than this (e.g. 7d, 12h).", valueName: "age"))
    var olderThan: DurationArgument?

    @Option(help: "Keep only the newest N requests.")
    var keep: Int?

    func validate() throws {
        if olderThan == nil && keep == nil { throw ValidationError("say what to remove: --older-than AGE or --keep N") }
        if let keep, keep < 0 { throw ValidationError("--keep must be 0 or more") }
    }

    func run() throws {
        let store = try database.backend(try database.loadConfig(secretsNeeded: false))
        var removed = 0
        if let olderThan {
            let cutoff = Timestamp.now().adding(microseconds: -olderThan.microseconds)
            removed += try cli { () throws(StoreError) in try store.prune(receivedBefore: cutoff) }
        }
        if let keep {
            removed += try cli { () throws(StoreError) in try store.prune(keep: keep) }
        }
        Console.out("removed \(removed) request\(removed == 1 ? "" : "s")")
    }
}

/// Runs a store call, turning its error into the one-line CLI error.
func cli<T>(_ body: () throws(StoreError) -> T) throws(CLIError) -> T {
    do { return try body() } catch { throw CLIError(error.description) }
}

/// Parses `--filter`, pointing at the mistake when there is one.
func parseFilter(_ text: String?) throws(CLIError) -> Filter? {
    guard let text else { return nil }
    do {
        return try Filter.parse(text)
    } catch {
        throw CLIError("--filter: \(error.message) at column \(error.column): \(text)", exitCode: 2)
    }
}

func openReader(_ store: any StoreBackend, forScans: Bool = true) throws(CLIError) -> any StoreReading {
    try cli { () throws(StoreError) in try store.openReader(forScans: forScans) }
}
