import HooktopCore

/// Decides what a captured request is answered. Pure: the handler records
/// and sends whatever this returns.
struct ResponsePolicy: Sendable {
    var maxBody: Int

    func response(for request: CapturedRequest) -> RecordedResponse {
        if request.bodyTruncated {
            return Self.json(status: 413, #"{"ok":false,"error":"body of \#(request.bodySize) bytes exceeds the \#(maxBody)-byte limit"}"#)
        }
        return .defaultOK
    }

    /// What a sender gets when its request could not be stored.
    static let notStored = json(status: 503, #"{"ok":false,"error":"request not stored; try again"}"#)

    static func json(status: Int, _ body: String) -> RecordedResponse {
        RecordedResponse(status: status, headers: HeaderList([("Content-Type", "application/json")]), body: Array(body.utf8))
    }
}
