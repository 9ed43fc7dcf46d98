import HooktopCore

// The shapes import reads, as the formats define them. A field of the wrong
// type is the entry's error, never silently replaced by a default; a field
// that is absent takes the format's default.

/// One object of hooktop's request JSON (`show --json`, an NDJSON line).
struct RequestRecord: Decodable {
    var id: Int64?
    var received_at: String
    var remote: String?
    var method: String
    var target: String
    var version: String?
    var headers: [[String]]?
    var body_base64: String?
    var body_size: Int?
    var body_truncated: Bool?
    var source: String?
    var signature: SignatureRecord?
    var response: ResponseRecord?
    var deliveries: [AttemptRecord]?
    var delivery_state: String?
    var error: String?
    var trailers: [[String]]?
    var label: String?
    var arrival: String?
    var node: String?
}

struct SignatureRecord: Decodable {
    var scheme: String?
    var status: String?
    var detail: String?
}

struct ResponseRecord: Decodable {
    var status: Int?
    var duration_ms: Double?
    var headers: [[String]]?
    var body_base64: String?
}

struct AttemptRecord: Decodable {
    var attempt: Int?
    var kind: String?
    var url: String?
    var started_at: String?
    var duration_ms: Double?
    var status: Int?
    var error: String?
}

/// A HAR file: only what import reads of it.
struct HARFile: Decodable {
    struct Creator: Decodable { var name: String? }
    struct Log: Decodable {
        var creator: Creator?
        /// Each entry decoded on its own, so one bad entry skips only itself.
        var entries: [Lenient<HAREntry>]
    }

    var log: Log
}

struct HAREntry: Decodable {
    var startedDateTime: String?
    var time: Double?
    var request: HARRequest
    var response: HARResponse?
    var _hooktop: HooktopExtra?
}

struct HARRequest: Decodable {
    var method: String
    var url: String
    var httpVersion: String?
    var headers: [HARHeader]?
    var postData: HARPostData?
}

struct HARResponse: Decodable {
    var status: Int?
    var headers: [HARHeader]?
    var content: HARContent?
}

struct HARContent: Decodable {
    var text: String?
    var encoding: String?
}

struct HARPostData: Decodable {
    struct Param: Decodable {
        var name: String?
        var value: String?
    }

    var mimeType: String?
    var text: String?
    var encoding: String?
    var params: [Param]?
}

/// `{"name": …, "value": …}` as browsers and Insomnia write it, or `[name, value]`.
struct HARHeader: Decodable {
    var name: String
    var value: String

    private struct Named: Decodable {
        var name: String
        var value: String?
    }

    init(from decoder: any Decoder) throws {
        let single = try decoder.singleValueContainer()
        if let pair = try? single.decode([String].self), pair.count == 2 {
            (name, value) = (pair[0], pair[1])
        } else {
            let named = try single.decode(Named.self)
            (name, value) = (named.name, named.value ?? "")
        }
    }
}

/// hooktop's own fields in its HAR (`_hooktop`): what HAR cannot hold exactly.
struct HooktopExtra: Decodable {
    var id: Int64?
    var target: String?
    var received_at_us: Int64?
    var remote: String?
    var body_size: Int?
    var body_truncated: Bool?
    var body_base64: String?
    var response_body_base64: String?
    var response_duration_us: Int64?
    var source: String?
    var signature: SignatureRecord?
    var deliveries: [AttemptRecord]?
    var delivery_state: String?
    var error: String?
    var trailers: [[String]]?
    var label: String?
    var arrival: String?
    var node: String?
}

/// A value that may fail to decode without failing what holds it.
struct Lenient<T: Decodable>: Decodable {
    let result: Result<T, EntryProblem>

    init(from decoder: any Decoder) throws {
        do {
            result = .success(try T(from: decoder))
        } catch let error as DecodingError {
            result = .failure(EntryProblem(error))
        } catch {
            result = .failure(EntryProblem("\(error)"))
        }
    }
}
