import ArgumentParser
import Foundation
import HooktopCore
import HooktopSignatures

/// `hooktop verify`: checks one signature offline, the way the daemon would.
struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check one signature offline; exit 0 only when it is valid.")

    @Option(help: ArgumentHelp("The scheme (\(SchemeRegistry().names.joined(separator: ", "))).", valueName: "name"), completion: .list(SchemeRegistry().names))
    var scheme: String

    @Option(help: ArgumentHelp("A secret or public key; repeat for rotation.", valueName: "secret"))
    var secret: [String] = []

    @Option(help: ArgumentHelp("A request header as 'Name: value'; repeat.", valueName: "header"))
    var header: [String] = []

    @Option(name: .customLong("body-file"), help: ArgumentHelp("The body, byte for byte ('-' for stdin).", valueName: "file"))
    var bodyFile: String?

    @Option(help: ArgumentHelp("The public URL the provider called (URL-signed schemes).", valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp("Judge timestamps as of this Unix time (default: now).", valueName: "unix"))
    var now: Int64?

    @Option(help: ArgumentHelp("The request method.", valueName: "method"))
    var method: String = "POST"

    @Option(help: ArgumentHelp("Timestamp tolerance, overriding the scheme's default (e.g. 10m).", valueName: "duration"))
    var tolerance: DurationArgument?

    @Flag(help: "Print {\"scheme\", \"status\", \"detail\"}.")
    var json = false

    func validate() throws {
        guard SchemeRegistry().scheme(named: scheme) != nil else {
            throw ValidationError("unknown scheme '\(scheme)' (known: \(SchemeRegistry().names.joined(separator: ", ")))")
        }
        for h in header where !h.contains(":") {
            throw ValidationError("--header takes 'Name: value', got '\(h)'")
        }
    }

    func run() throws {
        var headers = HeaderList()
        for h in header {
            guard let colon = h.firstIndex(of: ":") else { continue }  // refused in validate()
            headers.append(String(h[..<colon]).trimmingCharacters(in: .whitespaces),
                           String(h[h.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        let body = try readBody()
        let target = url.flatMap { URLComponents(string: $0) }.map { c in
            (c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath) + (c.percentEncodedQuery.map { "?" + $0 } ?? "")
        } ?? "/"
        let request = SignedRequest(method: method, target: target, headers: headers, body: body, url: url,
                                    now: now ?? Timestamp.now().seconds)
        let result = SchemeRegistry().check(
            request, scheme: scheme,
            settings: SignatureSettings(secrets: secret.map(Secret.init), toleranceSeconds: tolerance.map { $0.microseconds / 1_000_000 }),
            sourceName: nil)
        if json {
            Console.out(JSON.object([("scheme", JSON(result.scheme)), ("status", .string(result.status.rawValue)),
                                     ("detail", JSON(result.detail))]).serialized())
        } else {
            Console.out("\(result.status.rawValue)" + (result.detail.map { ": \(TerminalText.inline($0))" } ?? ""))
        }
        if result.status != .valid { throw ExitCode(1) }
    }

    private func readBody() throws(CLIError) -> [UInt8] {
        guard let bodyFile else { return [] }
        if bodyFile == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        // FileHandle, not FileManager: process substitution (/dev/fd/N) is a pipe.
        guard let handle = FileHandle(forReadingAtPath: bodyFile) else {
            throw CLIError("cannot read --body-file \(bodyFile)")
        }
        defer { try? handle.close() }
        return Array(handle.readDataToEndOfFile())
    }
}
