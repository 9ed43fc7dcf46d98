import Foundation
import HooktopStore

/// A PostgreSQL store's address, `postgres://user@host:port/db`. It never
/// holds a password: that comes from the environment or `~/.pgpass`, so it
/// is not on a command line, in a process list or in a log.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public var user: String
    public var host: String
    public var port: Int
    public var database: String
    /// `?sslmode=`: disable (default), prefer or require.
    public var tls: TLSMode

    public enum TLSMode: String, Sendable { case disable, prefer, require }

    /// The URL without any password: what logs and messages show.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// Parses the URL; the error is a sentence for people.
    public static func parse(_ text: String, environment: [String: String]) -> Result<PostgresLocation, StoreError> {
        func fail(_ why: String) -> Result<PostgresLocation, StoreError> {
            .failure(.cannotOpen("--store", why + " (expected postgres://user@host:port/db)"))
        }
        guard let scheme = ["postgres://", "postgresql://"].first(where: { text.hasPrefix($0) }) else {
            return fail("not a postgres:// URL")
        }
        var rest = Substring(text.dropFirst(scheme.count))
        var tls = TLSMode.disable
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, kv[0] == "sslmode", let mode = TLSMode(rawValue: kv[1]) else {
                    return fail("unknown URL parameter '\(pair)' (only sslmode=disable|prefer|require)")
                }
                tls = mode
            }
            rest = rest[..<q]
        }
        guard let slash = rest.firstIndex(of: "/") else { return fail("no database name") }
        let database = String(rest[rest.index(after: slash)...])
        let authority = rest[..<slash]
        var user = environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            if userInfo.contains(":") {
                return fail("a password in the URL would show in process lists and logs; put it in PGPASSWORD, ~/.pgpass or [store] password_env")
            }
            user = userInfo.removingPercentEncoding ?? String(userInfo)
            hostPort = authority[authority.index(after: at)...]
        }
        var host = String(hostPort)
        var port = 5432
        if let colon = hostPort.lastIndex(of: ":"), !hostPort.hasSuffix("]") {
            host = String(hostPort[..<colon])
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                return fail("the port must be a number from 1 to 65535")
            }
            port = p
        }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return fail("no host") }
        guard !database.isEmpty, !database.contains("/") else { return fail("no database name") }
        guard !user.isEmpty else { return fail("no user name") }
        return .success(PostgresLocation(user: user, host: host, port: port,
                                         database: database.removingPercentEncoding ?? database, tls: tls))
    }

    /// The password, as libpq finds it: the variable `[store] password_env`
    /// names, else `PGPASSWORD`, else the first matching line of `~/.pgpass`
    /// (or `PGPASSFILE`), which like libpq is ignored unless only its owner
    /// can read it. Nil when none is set (trust or peer authentication).
    public func password(passwordEnv: String?, environment: [String: String]) -> String? {
        if let name = passwordEnv, let value = environment[name], !value.isEmpty { return value }
        if let value = environment["PGPASSWORD"], !value.isEmpty { return value }
        let file = environment["PGPASSFILE"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.pgpass")
        var st = stat()
        guard stat(file, &st) == 0, st.st_mode & 0o077 == 0,
              let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            let fields = Self.pgpassFields(line)
            guard fields.count == 5 else { continue }
            let wanted = [host, String(port), database, user]
            if zip(fields.prefix(4), wanted).allSatisfy({ $0 == "*" || $0 == $1 }) { return fields[4] }
        }
        return nil
    }

    /// `host:port:db:user:password`, where `\:` and `\\` stand for `:` and `\`.
    static func pgpassFields(_ line: Substring) -> [String] {
        var fields: [String] = [""]
        var escaped = false
        for c in line {
            if escaped { fields[fields.count - 1].append(c); escaped = false }
            else if c == "\\" { escaped = true }
            else if c == ":" && fields.count < 5 { fields.append("") }
            else { fields[fields.count - 1].append(c) }
        }
        return fields
    }
}
