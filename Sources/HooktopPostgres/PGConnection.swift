import Foundation
import HooktopStore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// One PostgreSQL connection used from a plain thread: each call waits for
/// its answer (never call it on an event loop). Errors become `StoreError`
/// with the server's own message.
final class PGConnection: @unchecked Sendable {
    let connection: PostgresConnection
    let location: PostgresLocation
    private let logger: Logger

    /// Connects; a refused or failed login is one line naming the server.
    init(_ location: PostgresLocation, password: String?) throws(StoreError) {
        self.location = location
        var logger = Logger(label: "hooktop.postgres")
        logger.logLevel = .critical
        self.logger = logger
        let tls: PostgresConnection.Configuration.TLS
        do {
            switch location.tls {
            case .disable: tls = .disable
            case .prefer: tls = .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
            case .require: tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
            }
        } catch {
            throw .cannotOpen(location.description, "TLS: \(error)")
        }
        var config = PostgresConnection.Configuration(host: location.host, port: location.port, username: location.user,
                                                      password: password, database: location.database, tls: tls)
        config.options.connectTimeout = .seconds(5)
        do {
            connection = try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.next(), configuration: config,
                                                        id: 1, logger: logger).wait()
        } catch {
            throw .cannotOpen(location.description, Self.describe(error))
        }
        // hooktop's queries are short, or scans that compiling does not pay back:
        // JIT added up to a second to a filter over a million rows.
        do { _ = try connection.query("SET jit = off", logger: logger).wait() } catch {
            close()
            throw .cannotOpen(location.description, Self.describe(error))
        }
    }

    var isClosed: Bool { connection.isClosed }

    /// Runs one statement with its bindings; returns its rows.
    @discardableResult
    func query(_ sql: String, _ binds: PostgresBindings = PostgresBindings(), context: String) throws(StoreError) -> [PostgresRow] {
        do {
            return try connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).wait().rows
        } catch {
            throw .postgres(location.description, Self.describe(error), context: context)
        }
    }

    /// The rows changed by an UPDATE/DELETE/INSERT.
    func execute(_ sql: String, _ binds: PostgresBindings = PostgresBindings(), context: String) throws(StoreError) -> Int {
        do {
            let result = try connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger).wait()
            return result.metadata.rows ?? 0
        } catch {
            throw .postgres(location.description, Self.describe(error), context: context)
        }
    }

    /// Sends statements one after another without waiting for each answer
    /// (the server still runs them in order), then collects the answers: one
    /// round trip's wait for a whole transaction. Every answer is awaited;
    /// the first failure is thrown.
    func pipeline(_ statements: [(sql: String, binds: PostgresBindings)], context: String) throws(StoreError) -> [PostgresQueryResult] {
        let futures = statements.map { connection.query(PostgresQuery(unsafeSQL: $0.sql, binds: $0.binds), logger: logger) }
        var results: [PostgresQueryResult] = []
        var failure: StoreError?
        for future in futures {
            do {
                results.append(try future.wait())
            } catch {
                if failure == nil { failure = .postgres(location.description, Self.describe(error), context: context) }
            }
        }
        if let failure { throw failure }
        return results
    }

    func close() { try? connection.close().wait() }

    /// The server's message and SQLSTATE, or why it could not be reached.
    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let info = psql.serverInfo, let message = info[.message] {
                return message + (info[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
            }
            if let underlying = psql.underlying { return "\(underlying)" }
            return "\(psql.code)"
        }
        return "\(error)"
    }
}

/// Reading a column of a row by position, NULL as nil.
struct PGRow {
    let cells: PostgresRandomAccessRow

    init(_ row: PostgresRow) { cells = row.makeRandomAccess() }

    func int(_ i: Int) -> Int64 { optionalInt(i) ?? 0 }

    func optionalInt(_ i: Int) -> Int64? {
        let cell = cells[i]
        guard cell.bytes != nil else { return nil }
        return try? cell.decode(Int64.self)
    }

    func text(_ i: Int) -> String? {
        let cell = cells[i]
        guard cell.bytes != nil else { return nil }
        return try? cell.decode(String.self)
    }

    func bool(_ i: Int) -> Bool {
        let cell = cells[i]
        guard cell.bytes != nil else { return false }
        return (try? cell.decode(Bool.self)) ?? false
    }

    func bytes(_ i: Int) -> [UInt8] {
        guard var buffer = cells[i].bytes else { return [] }
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }
}

extension PostgresBindings {
    /// Text as PostgreSQL stores it: it has no NUL character, so one (which
    /// HTTP never sends, but an import file may hold) becomes U+FFFD.
    mutating func text(_ value: String?) {
        guard let value else { return appendNull() }
        append(value.contains("\0") ? value.replacingOccurrences(of: "\0", with: "\u{FFFD}") : value)
    }

    mutating func int(_ value: Int64?) {
        guard let value else { return appendNull() }
        append(value)
    }

    mutating func int(_ value: Int) { append(Int64(value)) }

    mutating func bytes(_ value: [UInt8]) { append(ByteBuffer(bytes: value)) }
}
