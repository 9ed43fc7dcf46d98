/// Why a replay or retry did not happen, or was not recorded: words for the
/// person who asked for it.
public struct DeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Sendable, Equatable {
        case badReplayURL(String)
        case noTargetForReplay(Int64)
        case noTarget(Int64)
        case alreadyDelivered(Int64)
        case leasedElsewhere(Int64)
        case notRecorded(Int64, String)
    }

    private let kind: Kind

    /// `--to` is not an http(s) URL with a host (and a port that fits); the text is already made safe for a terminal.
    static func badReplayURL(_ shown: String) -> DeliveryError { DeliveryError(kind: .badReplayURL(shown)) }
    static func noTargetForReplay(_ id: Int64) -> DeliveryError { DeliveryError(kind: .noTargetForReplay(id)) }
    static func noTarget(_ id: Int64) -> DeliveryError { DeliveryError(kind: .noTarget(id)) }
    static func alreadyDelivered(_ id: Int64) -> DeliveryError { DeliveryError(kind: .alreadyDelivered(id)) }
    static func leasedElsewhere(_ id: Int64) -> DeliveryError { DeliveryError(kind: .leasedElsewhere(id)) }
    static func notRecorded(_ id: Int64, _ why: String) -> DeliveryError { DeliveryError(kind: .notRecorded(id, why)) }

    public var description: String {
        switch kind {
        case .badReplayURL(let to): "--to must be an http:// or https:// URL with a host, got '\(to)'"
        case .noTargetForReplay(let id): "request #\(id) has no target configured; give one with --to URL"
        case .noTarget(let id): "request #\(id) has no target configured (--forward-to or a source's forward_to)"
        case .alreadyDelivered(let id): "request #\(id) was already delivered; use replay to send it again"
        case .leasedElsewhere(let id): "request #\(id) is being delivered by another process right now"
        case .notRecorded(let id, let why): "the attempt for request #\(id) could not be recorded: \(why)"
        }
    }
}
