/// Why the store could not do what it was asked, in words for people.
public struct StoreError: Error, CustomStringConvertible, Equatable {
    enum Kind: Equatable {
        case cannotOpen(path: String, reason: String)
        case notFound(path: String)
        case sqlite(code: Int32, message: String, context: String)
        case noSuchRequest(id: Int64)
        case closed
        case schemaTooNew(path: String, migration: String)
        /// The caller's own work stopped a read (a full disk while exporting…).
        case aborted(String)
        /// More is waiting to be committed than the writer holds (`StoreWriter.Limits`).
        case overloaded(queued: Int, bytes: Int)
        /// The database file was removed or replaced under the writer.
        case fileReplaced(path: String)
        /// PostgreSQL refused or could not be reached.
        case postgres(location: String, message: String, context: String)
    }

    let kind: Kind

    public var description: String {
        switch kind {
        case .cannotOpen(let path, let reason):
            return "cannot open database \(path): \(reason)"
        case .notFound(let path):
            return "no database at \(path) (start `hooktop serve` first, or pass --db)"
        case .sqlite(let code, let message, let context):
            return "database error during \(context): \(message) (SQLite code \(code))"
        case .noSuchRequest(let id):
            return "no request with id \(id)"
        case .closed:
            return "the database writer is closed"
        case .aborted(let why):
            return why
        case .overloaded(let queued, let bytes):
            return "the write queue is full (\(queued) requests, \(bytes) bytes waiting for the disk): answering 503"
        case .fileReplaced(let path):
            return "the database file \(path) was deleted or replaced while hooktop was writing it"
        case .schemaTooNew(let path, let migration):
            return "database \(path) was written by a newer hooktop (unknown migration \(migration))"
        case .postgres(let location, let message, let context):
            return "database error during \(context) on \(location): \(message)"
        }
    }

    public static func postgres(_ location: String, _ message: String, context: String) -> StoreError {
        .init(kind: .postgres(location: location, message: message, context: context))
    }
    public static func cannotOpen(_ path: String, _ reason: String) -> StoreError { .init(kind: .cannotOpen(path: path, reason: reason)) }
    public static func notFound(_ path: String) -> StoreError { .init(kind: .notFound(path: path)) }
    static func sqlite(_ code: Int32, _ message: String, _ context: String) -> StoreError {
        .init(kind: .sqlite(code: code, message: message, context: context))
    }
    public static func noSuchRequest(_ id: Int64) -> StoreError { .init(kind: .noSuchRequest(id: id)) }
    public static let closed = StoreError(kind: .closed)
    public static func aborted(_ why: String) -> StoreError { .init(kind: .aborted(why)) }
    public static func overloaded(queued: Int, bytes: Int) -> StoreError { .init(kind: .overloaded(queued: queued, bytes: bytes)) }
    static func fileReplaced(_ path: String) -> StoreError { .init(kind: .fileReplaced(path: path)) }

    /// Whether the connection should be opened again before the next try:
    /// the file went away, became read-only, or the I/O under it failed.
    var needsReopen: Bool {
        switch kind {
        case .fileReplaced: return true
        case .sqlite(let code, _, _):
            // SQLITE_READONLY 8, IOERR 10, CORRUPT 11, CANTOPEN 14, NOTADB 26 (primary codes).
            return [8, 10, 11, 14, 26].contains(code & 0xFF)
        default: return false
        }
    }
    public static func schemaTooNew(_ path: String, _ migration: String) -> StoreError {
        .init(kind: .schemaTooNew(path: path, migration: migration))
    }
}
