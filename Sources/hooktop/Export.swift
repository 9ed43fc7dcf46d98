import ArgumentParser
import Foundation
import HooktopConfig
import HooktopCore
import HooktopExport
import HooktopStore
#if canImport(Glibc)
import Glibc
#endif

extension ExportFormat: ExpressibleByArgument {}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Write captured requests as HAR, NDJSON, curl commands or raw HTTP.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "har, ndjson, curl or raw.")
    var format: ExportFormat

    @Option(help: ArgumentHelp("Only requests matching this filter.", valueName: "expr"))
    var filter: String?

    @Option(name: .shortAndLong, help: ArgumentHelp("Write here instead of stdout.", valueName: "file"))
    var output: String?

    @Option(name: .customLong("base-url"), help: ArgumentHelp("curl: send the commands here (default: each request's delivery target, else the daemon's --listen address).", valueName: "url"))
    var baseURL: String?

    @Flag(name: .customLong("to-captured-host"), help: "curl: send each command to the host its captured Host header names (a sender chose it: only for traffic you trust).")
    var toCapturedHost = false

    @Option(help: ArgumentHelp("curl: the capturing daemon's address, the default destination (default: [server] listen, else 127.0.0.1:8080).", valueName: "host:port"))
    var listen: ListenAddressArgument?

    @Flag(help: "Leave out credentials, cookies, signatures and tokens.")
    var redact = false

    @Option(name: .customLong("redact-header"), help: ArgumentHelp("With --redact: also remove this header; repeat.", valueName: "name"))
    var redactHeader: [String] = []

    @Option(name: .customLong("redact-json"), help: ArgumentHelp("With --redact: replace this dotted JSON path in bodies (data.object.email); repeat.", valueName: "path"))
    var redactJSON: [String] = []

    @Flag(name: .customLong("oldest-first"), help: "Oldest request first (the default is newest first, like list).")
    var oldestFirst = false

    func validate() throws {
        if let baseURL, !(baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://")) || baseURL.count < 9 {
            throw ValidationError("--base-url must be an http:// or https:// URL, got '\(baseURL)'")
        }
    }

    func run() throws {
        let parsed = try parseFilter(filter)
        let config = try database.loadConfig(secretsNeeded: false)
        let reader = try openReader(database.backend(config))
        let daemon = listen?.value ?? config.server.listen ?? .default
        let curl = CurlWriter.Destination(baseURL: baseURL, daemon: "http://\(daemon)", fromHostHeader: toCapturedHost)
        let fd: Int32
        if let output {
            fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw CLIError("cannot write \(output): \(String(cString: strerror(errno)))") }
        } else {
            if format.writesRawBytes && isatty(1) != 0 {
                throw CLIError("refusing to write raw request bytes to a terminal; use -o FILE or a pipe")
            }
            fd = 1
        }
        defer { if fd != 1 { close(fd) } }
        var out = FileOutput(fd: fd)
        let redactor = redact ? Redactor(extraHeaders: redactHeader, jsonPaths: redactJSON) : nil
        let query = StoreQuery(filter: parsed, newestFirst: !oldestFirst, includeBodies: true,
                                      includeDeliveries: format.needsDeliveries)
        let count: Int
        do {
            count = try format.export(to: &out, curl: curl, bodyFiles: output.map(CurlWriter.BodyFiles.beside(script:)),
                                      redactor: redactor) { emit in try reader.forEach(query, emit) }
        } catch {
            throw CLIError("export failed: \(error)")
        }
        if output != nil { Console.error("exported \(count) request\(count == 1 ? "" : "s") to \(output!)") }
    }
}

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Load a HAR or NDJSON export into the database.")

    @OptionGroup var database: DatabaseOptions

    @Argument(help: "The file to import (HAR or NDJSON), or - for standard input.")
    var file: String

    func run() throws {
        let config = try database.loadConfig(secretsNeeded: false)
        let store = try database.backend(config)
        // Read the whole file first: a file that cannot be read creates no database.
        var skipped = 0
        var requests: [CapturedRequest] = []
        do {
            try Importer.read(path: file, skipped: { problem in
                skipped += 1
                Console.error("skipped \(problem)")
            }) { requests.append($0) }
        } catch {
            throw CLIError("import: \(error)")
        }
        let existed = store.exists()
        let importer = try cli { () throws(StoreError) in try store.openImporter() }
        var present = 0
        do {
            for request in requests {
                if try importer.contains(request) { present += 1; continue }
                try importer.add(request)
            }
            try importer.finish()
        } catch {
            try? importer.finish()
            if !existed && importer.imported == 0 { store.removeCreated() }
            throw CLIError("import stopped after \(importer.imported) requests: \(error)")
        }
        Console.out("imported \(importer.imported) request\(importer.imported == 1 ? "" : "s")"
                    + (present > 0 ? "; \(present) already in the database" : ""))
        if skipped > 0 { throw CLIError("skipped \(skipped) entr\(skipped == 1 ? "y" : "ies") that could not be read (see above)") }
    }
}
