import Foundation
import HooktopCore

/// HAR 1.2 (`log.entries[]`): the request, the answer hooktop gave, timings.
/// Text bodies are written as text, others as base64 with `encoding`.
/// `_hooktop` keeps what HAR has no field for, so an import restores the
/// request exactly. Streams: entries are written as they come.
public struct HARWriter: ExportWriter {
    private var first = true
    public init() {}

    public mutating func begin(to out: inout some ExportOutput) throws(ExportError) {
        try out.write(#"{"log":{"version":"1.2","creator":{"name":"hooktop","version":"\#(HooktopVersion.string)"},"pages":[],"entries":["#)
    }

    public mutating func write(_ r: CapturedRequest, to out: inout some ExportOutput) throws(ExportError) {
        var line = first ? "\n" : ",\n"
        first = false
        Self.entry(r).write(to: &line)
        try out.write(line)
    }

    public mutating func end(to out: inout some ExportOutput) throws(ExportError) {
        try out.write("\n]}}\n")
    }

    static func entry(_ r: CapturedRequest) -> JSON {
        let host = r.headers.first("Host") ?? "localhost"
        let url = "http://\(host)\(r.target.hasPrefix("/") ? r.target : "/" + r.target)"
        let mime = r.headers.first("Content-Type") ?? ""
        var request: [(String, JSON)] = [
            ("method", .string(r.method)),
            ("url", .string(url)),
            ("httpVersion", .string(r.version)),
            ("cookies", .array([])),
            ("headers", headers(r.headers)),
            ("queryString", .array(FormDecoding.pairs(r.query).map { .object([("name", .string($0.0)), ("value", .string($0.1))]) })),
            ("headersSize", .int(-1)),
            ("bodySize", .int(Int64(r.bodySize))),
        ]
        if !r.body.isEmpty || r.bodySize > 0 {
            request.append(("postData", body(r.body, mime: mime, textKey: "text")))
        }
        let responseMime = r.response.headers.first("Content-Type") ?? ""
        var content = body(r.response.body, mime: responseMime, textKey: "text")
        if case .object(var members) = content { members.insert(("size", .int(Int64(r.response.body.count))), at: 0); content = .object(members) }
        let waitMs = Double(r.response.durationMicros) / 1000
        return .object([
            ("startedDateTime", .string(r.receivedAt.iso8601)),
            ("time", .double(waitMs)),
            ("request", .object(request)),
            ("response", .object([
                ("status", .int(Int64(r.response.status))),
                ("statusText", .string(HTTPStatusText.text(r.response.status))),
                ("httpVersion", .string(r.version)),
                ("cookies", .array([])),
                ("headers", headers(r.response.headers)),
                ("content", content),
                ("redirectURL", .string("")),
                ("headersSize", .int(-1)),
                ("bodySize", .int(Int64(r.response.body.count))),
            ])),
            ("cache", .object([])),
            ("timings", .object([("send", .int(0)), ("wait", .double(waitMs)), ("receive", .int(0))])),
            ("_hooktop", .object([
                ("id", .int(r.id)),
                ("remote", .string(r.remote)),
                ("target", .string(r.target)),
                ("body_size", .int(Int64(r.bodySize))),
                ("body_truncated", .bool(r.bodyTruncated)),
                ("source", JSON(r.source)),
                ("signature", .object([("scheme", JSON(r.signature.scheme)), ("status", .string(r.signature.status.rawValue)),
                                       ("detail", JSON(r.signature.detail))])),
                ("deliveries", .array(r.deliveries.map(\.json))),
                ("delivery_state", .string(r.deliveryState.rawValue)),
                ("received_at_us", .int(r.receivedAt.microseconds)),
                ("trailers", .array(r.trailers.map { .array([.string($0.name), .string($0.value)]) })),
                ("error", JSON(r.error)),
            ])),
        ])
    }

    static func headers(_ list: HeaderList) -> JSON {
        .array(list.map { .object([("name", .string($0.name)), ("value", .string($0.value))]) })
    }

    /// `{"mimeType", "text"}` for UTF-8 text, plus `"encoding":"base64"` otherwise.
    static func body(_ bytes: [UInt8], mime: String, textKey: String) -> JSON {
        if let text = String(validating: bytes, as: UTF8.self), !bytes.contains(0) {
            return .object([("mimeType", .string(mime)), (textKey, .string(text))])
        }
        return .object([("mimeType", .string(mime)), (textKey, .string(Data(bytes).base64EncodedString())), ("encoding", .string("base64"))])
    }
}

enum HTTPStatusText {
    static func text(_ code: Int) -> String {
        switch code {
        case 200: "OK"
        case 201: "Created"
        case 202: "Accepted"
        case 204: "No Content"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 413: "Payload Too Large"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        default: ""
        }
    }
}

public enum HooktopVersion {
    public static let string = "0.1.0"
}
