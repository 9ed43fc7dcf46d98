import ArgumentParser
import Foundation
import HooktopConfig
import HooktopCore
import HooktopDelivery
import HooktopLedger
import HooktopSignatures
import HooktopStore
import Logging

/// What `replay` and `retry` share: the stored request, the delivery actions
/// wired to this database, and how an outcome is printed.
struct DeliveryCommandContext {
    let request: CapturedRequest
    let config: Config
    let writer: any StoreWriting
    let deliverer: Deliverer
    let transport: HTTP1Transport

    init(database: DatabaseOptions, id: Int64) throws {
        config = try database.loadConfig()
        let store = try database.backend(config)
        request = try cli { () throws(StoreError) in try store.openReader().request(id: id) }
        writer = try cli { () throws(StoreError) in try store.openWriter() }
        transport = HTTP1Transport()
        deliverer = Deliverer.forCommands(store: store, config: config, writer: writer, transport: transport)
    }

    func close() async {
        await transport.shutdown()
        writer.close()
    }

    /// `200 OK from http://… in 12.5 ms`, or the error; exit 0 only for 2xx.
    static func report(_ attempt: DeliveryAttempt) throws {
        let ms = DurationText.milliseconds(attempt.durationMicros) + " ms"
        if let status = attempt.status {
            Console.out("\(status) from \(attempt.url) in \(ms)")
            if !(200..<300).contains(status) { throw ExitCode(1) }
        } else {
            Console.out("failed: \(attempt.error ?? "no answer") (\(attempt.url), after \(ms))")
            throw ExitCode(1)
        }
    }
}

extension Deliverer {
    /// Replay and retry on this database, with the config's timeout, schedule
    /// and alert command (the CLI commands and the dashboard's r and R).
    static func forCommands(store: any StoreBackend, config: Config, writer: any StoreWriting, transport: HTTP1Transport) -> Deliverer {
        let logger = Logger(label: "hooktop")
        return Deliverer(transport: transport, ledger: StoreLedger(writer: writer, backend: store), settings: config.delivery.engineSettings,
                         alerts: AlertRunner(command: config.server.alertCommand, writer: writer, logger: logger), logger: logger)
    }
}

/// Runs async work from a synchronous command and waits for it.
func runAsync(_ body: @escaping @Sendable () async throws -> Void) throws {
    nonisolated(unsafe) var outcome: Result<Void, any Error> = .success(())
    let done = DispatchSemaphore(value: 0)
    Task {
        do { try await body() } catch { outcome = .failure(error) }
        done.signal()
    }
    done.wait()
    try outcome.get()
}

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send a captured request again, to its target or --to URL; prints the outcome.")

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var request: RequestIDArgument
    var id: Int64 { request.id }

    @Option(help: ArgumentHelp("Send here instead (a URL without a path gets the request's own path).", valueName: "url"))
    var to: String?

    @Flag(help: "Sign afresh with the source's secret and the current time.")
    var resign = false

    @Flag(help: "Edit headers and body in $EDITOR first; the stored request is not changed.")
    var edit = false

    func run() throws {
        let context = try DeliveryCommandContext(database: database, id: id)
        var headers = context.request.headers
        var body = context.request.body
        if edit { (headers, body) = try RequestEditor.edit(headers: headers, body: body) }
        if resign { headers = try resigned(headers, body: body, context: context) }
        let (h, b, to) = (headers, body, to)
        try runAsync {
            let attempt: DeliveryAttempt
            do {
                attempt = try await context.deliverer.replay(context.request, to: to, headers: h, body: b)
            } catch let failure as DeliveryError {
                await context.close()
                throw CLIError(failure.description)
            }
            await context.close()
            try DeliveryCommandContext.report(attempt)
        }
    }

    private func resigned(_ headers: HeaderList, body: [UInt8], context: DeliveryCommandContext) throws -> HeaderList {
        let request = context.request
        let source = context.config.source(of: request)
        guard let source, let secret = source.secrets.first else {
            throw CLIError("--resign needs the source's secret: no [[source]] with a secret matches \(TerminalText.inline(request.path))")
        }
        guard let scheme = source.scheme ?? request.signature.scheme else {
            throw CLIError("--resign: the scheme of source '\(source.name)' is unknown; set scheme = in the config")
        }
        do {
            return try SchemeRegistry().resign(headers: headers, body: body, scheme: scheme, secret: secret, now: Timestamp.now().seconds)
        } catch {
            throw CLIError("--resign: \(error.description)")
        }
    }
}

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make a failed or retrying delivery's next attempt now; prints the outcome.")

    @OptionGroup var database: DatabaseOptions

    @OptionGroup var request: RequestIDArgument
    var id: Int64 { request.id }

    func run() throws {
        let context = try DeliveryCommandContext(database: database, id: id)
        try runAsync {
            let attempt: DeliveryAttempt
            do {
                attempt = try await context.deliverer.retry(context.request)
            } catch let failure as DeliveryError {
                await context.close()
                throw CLIError(failure.description)
            }
            await context.close()
            try DeliveryCommandContext.report(attempt)
        }
    }
}

/// `--edit`: headers and body in a temporary file, in HTTP form, opened in $EDITOR.
enum RequestEditor {
    static func edit(headers: HeaderList, body: [UInt8]) throws -> (HeaderList, [UInt8]) {
        let path = NSTemporaryDirectory() + "hooktop-edit-\(getpid()).http"
        let original = Array(headers.wireEncoded.utf8) + Array("\r\n".utf8) + body
        guard FileManager.default.createFile(atPath: path, contents: Data(original), attributes: [.posixPermissions: 0o600]) else {
            throw CLIError("cannot write \(path)")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        let env = ProcessInfo.processInfo.environment
        let editor = [env["VISUAL"], env["EDITOR"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The editor setting may carry arguments ("code --wait"); the file name is passed safely as $1.
        process.arguments = ["-c", "\(editor) \"$1\"", "editor", path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CLIError("the editor exited with status \(process.terminationStatus); nothing sent") }
        let edited = Array(FileManager.default.contents(atPath: path) ?? Data())
        return split(edited)
    }

    /// Headers up to the first empty line (CRLF or LF), the body after it as bytes.
    static func split(_ bytes: [UInt8]) -> (HeaderList, [UInt8]) {
        var i = 0
        var headers = HeaderList()
        while i < bytes.count {
            var end = i
            while end < bytes.count, bytes[end] != 0x0A { end += 1 }
            var line = Array(bytes[i..<end])
            if line.last == 0x0D { line.removeLast() }
            i = min(end + 1, bytes.count)
            if line.isEmpty { break }
            let text = String(decoding: line, as: UTF8.self)
            if let colon = text.firstIndex(of: ":") {
                headers.append(String(text[..<colon]), String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
            }
        }
        return (headers, Array(bytes[i...]))
    }
}
