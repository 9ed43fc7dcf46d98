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
        case .schemaTooNew(let path, let migration):
            return "database \(path) was written by a newer hooktop (unknown migration \(migration))"
        }
    }

    static func cannotOpen(_ path: String, _ reason: String) -> StoreError { .init(kind: .cannotOpen(path: path, reason: reason)) }
    static func notFound(_ path: String) -> StoreError { .init(kind: .notFound(path: path)) }
    static func sqlite(_ code: Int32, _ message: String, _ context: String) -> StoreError {
        .init(kind: .sqlite(code: code, message: message, context: context))
    }
    public static func noSuchRequest(_ id: Int64) -> StoreError { .init(kind: .noSuchRequest(id: id)) }
    static let closed = StoreError(kind: .closed)
    public static func aborted(_ why: String) -> StoreError { .init(kind: .aborted(why)) }
    static func schemaTooNew(_ path: String, _ migration: String) -> StoreError {
        .init(kind: .schemaTooNew(path: path, migration: migration))
    }
}
