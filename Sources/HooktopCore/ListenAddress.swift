/// `HOST:PORT` as given to `--listen`: `127.0.0.1:8080`, `[::1]:9000`, `localhost:0`.
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public static let `default` = ListenAddress(host: "127.0.0.1", port: 8080)

    /// nil with a reason when the text is not `HOST:PORT`.
    public static func parse(_ text: String) -> Result<ListenAddress, ParseError> {
        guard let colon = text.lastIndex(of: ":") else {
            return .failure(ParseError("expected HOST:PORT, e.g. 127.0.0.1:8080, got '\(text)'"))
        }
        var host = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = Int(portText), (0...65535).contains(port) else {
            return .failure(ParseError("port must be a number from 0 to 65535, got '\(portText)'"))
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else {
            return .failure(ParseError("a host is needed (127.0.0.1 for this machine only, 0.0.0.0 for every interface)"))
        }
        return .success(ListenAddress(host: host, port: port))
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// A value in a flag or a file that could not be read, with the reason.
public struct ParseError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
