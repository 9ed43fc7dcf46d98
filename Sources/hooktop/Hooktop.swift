import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

@main
struct Hooktop: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hooktop",
        abstract: "A terminal dashboard for HTTP callback (webhook) traffic.",
        subcommands: [Run.self, Serve.self, Tui.self, List.self, Show.self, Replay.self, Retry.self, Export.self, Import.self, Verify.self, Prune.self, Expect.self],
        defaultSubcommand: Run.self)

    /// Parses and runs; any error is one line on stderr and a non-zero exit.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            Glibc.exit(code.rawValue)
        } catch let error as CLIError {
            Console.error("hooktop: \(error.description)")
            Glibc.exit(error.exitCode)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let message = Self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            Console.error("hooktop: \(message)")
            Glibc.exit(code.rawValue)
        }
    }
}

/// An error for people, with the exit status it should cause.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    var exitCode: Int32 = 1

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}
