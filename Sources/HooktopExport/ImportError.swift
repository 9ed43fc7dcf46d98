import Foundation

/// Why a file, or one entry of it, could not be imported: where, and what.
public struct ImportError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Sendable, Equatable {
        case cannotOpen
        case notHAR
        /// `entry 3` in a HAR, `7` (the line) in NDJSON.
        case entry(String, String)
    }

    public let path: String
    private let kind: Kind

    static func cannotOpen(_ path: String) -> ImportError { ImportError(path: path, kind: .cannotOpen) }
    static func notHAR(_ path: String) -> ImportError { ImportError(path: path, kind: .notHAR) }
    static func entry(_ path: String, _ place: String, _ reason: String) -> ImportError {
        ImportError(path: path, kind: .entry(place, reason))
    }

    public var description: String {
        switch kind {
        case .cannotOpen: "cannot open \(path)"
        case .notHAR: "\(path): not a HAR file (no log.entries)"
        case .entry(let place, let reason): place.first?.isNumber == true ? "\(path):\(place): \(reason)" : "\(path): \(place): \(reason)"
        }
    }
}

/// What was wrong with one entry: a field that is not what its format says.
struct EntryProblem: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }

    /// A decoding error in words: `response.status: expected a number`.
    init(_ error: DecodingError) {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        func at(_ keys: [any CodingKey]) -> String { keys.isEmpty ? "" : path(keys) + ": " }
        switch error {
        case .typeMismatch(let type, let c): reason = "\(at(c.codingPath))expected \(Self.name(type))"
        case .valueNotFound(let type, let c): reason = "\(at(c.codingPath))expected \(Self.name(type)), found null"
        case .keyNotFound(let key, let c): reason = "\(path(c.codingPath + [key])) is missing"
        case .dataCorrupted(let c): reason = "\(at(c.codingPath))\(c.debugDescription)"
        @unknown default: reason = "\(error)"
        }
    }

    private static func name(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Double.Type: "a number"
        default: "\(type)".contains("Array") ? "an array" : "an object"
        }
    }
}
