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
        var line: [UInt8] = first ? [0x0A] : [UInt8(ascii: ","), 0x0A]
        first = false
        Self.entry(r).write(to: &line)
        try out.write(line)
    }

    public mutating func end(to out: inout some ExportOutput) throws(ExportError) {
        try out.write("\n]}}\n")
    }

    static func entry(_ r: CapturedRequest) -> JSON {
        let mime = r.headers.first("Content-Type") ?? ""
        var request: [(String, JSON)] = [
            ("method", .string(r.method)),
            ("url", .string(url(r))),
            ("httpVersion", .string(r.version)),
            ("cookies", cookies(r.headers.all("Cookie").flatMap(requestCookies))),
            ("headers", headers(r.headers)),
            ("queryString", .array(FormDecoding.pairs(r.query).map { .object([("name", .string($0.0)), ("value", .string($0.1))]) })),
            ("headersSize", .int(-1)),
            ("bodySize", .int(Int64(r.bodySize))),
        ]
        // Each body is checked for text, and made a String, once.
        let bodyText = text(r.body)
        let responseText = text(r.response.body)
        if !r.body.isEmpty || r.bodySize > 0 {
            var post = body(r.body, text: bodyText, mime: mime)
            if mime.lowercased().hasPrefix("application/x-www-form-urlencoded"), case .object(var members) = post {
                members.append(("params", .array(FormDecoding.pairs(r.body).map { .object([("name", .string($0.0)), ("value", .string($0.1))]) })))
                post = .object(members)
            }
            request.append(("postData", post))
        }
        let responseMime = r.response.headers.first("Content-Type") ?? ""
        var content = body(r.response.body, text: responseText, mime: responseMime)
        if case .object(var members) = content { members.insert(("size", .int(Int64(r.response.body.count))), at: 0); content = .object(members) }
        let waitMs = Double(r.response.durationMicros) / 1000
        var extra: [(String, JSON)] = [
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
            ("response_duration_us", .int(r.response.durationMicros)),
            ("trailers", .array(r.trailers.map { .array([.string($0.name), .string($0.value)]) })),
            ("error", JSON(r.error)),
        ]
        if let label = r.label { extra += [("label", .string(label)), ("arrival", JSON(r.arrival?.rawValue))] }
        if let node = r.node { extra.append(("node", .string(node))) }
        // HAR's text fields hold text: bytes that are not, exactly, ride here.
        if bodyText == nil { extra.append(("body_base64", .string(Data(r.body).base64EncodedString()))) }
        if responseText == nil { extra.append(("response_body_base64", .string(Data(r.response.body).base64EncodedString()))) }
        return .object([
            ("startedDateTime", .string(r.receivedAt.iso8601)),
            ("time", .double(waitMs)),
            ("request", .object(request)),
            ("response", .object([
                ("status", .int(Int64(r.response.status))),
                ("statusText", .string(HTTPStatusText.text(r.response.status))),
                ("httpVersion", .string(r.version)),
                ("cookies", cookies(r.response.headers.all("Set-Cookie").compactMap(setCookie))),
                ("headers", headers(r.response.headers)),
                ("content", content),
                ("redirectURL", .string(r.response.headers.first("Location") ?? "")),
                ("headersSize", .int(-1)),
                ("bodySize", .int(Int64(r.response.body.count))),
            ])),
            ("cache", .object([])),
            ("timings", .object([("send", .int(0)), ("wait", .double(waitMs)), ("receive", .int(0))])),
            ("_hooktop", .object(extra)),
        ])
    }

    /// An absolute URI (RFC 3986) for the request: the Host it named (when it
    /// is a plain host[:port]) and the target, percent-encoded where a URI
    /// needs it. The exact target is in `_hooktop.target`.
    static func url(_ r: CapturedRequest) -> String {
        let target = r.target
        if target.hasPrefix("http://") || target.hasPrefix("https://") { return percentEncoded(target, keepAuthority: true) }
        let host = r.headers.first("Host").flatMap { h in h.utf8.allSatisfy(isHostByte) && !h.isEmpty ? h : nil } ?? "localhost"
        let path = target.hasPrefix("/") ? target : "/" + (target == "*" ? "" : target)
        return "http://\(host)" + percentEncoded(path, keepAuthority: false)
    }

    static func isHostByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == UInt8(ascii: ".")
            || b == UInt8(ascii: "-") || b == UInt8(ascii: ":") || b == UInt8(ascii: "[") || b == UInt8(ascii: "]")
    }

    /// The bytes a URI path and query may hold as they are, by value: built
    /// once (a Set built for every URL was 4 % of a HAR export).
    private static let uriBytes: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?".utf8 { table[Int(b)] = true }
        return table
    }()

    /// Keeps what a URI path and query may hold (and existing %XX escapes); everything else as %XX of its bytes.
    static func percentEncoded(_ text: String, keepAuthority: Bool) -> String {
        let bytes = WireText.bytes(of: text)
        var out = ""
        var i = 0
        // In an absolute-form target the authority may hold [ ] (IPv6): keep it up to the path.
        var authorityEnd = 0
        if keepAuthority, let scheme = bytes.firstRange(of: Array("://".utf8)) {
            authorityEnd = bytes[scheme.upperBound...].firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? bytes.count
        }
        while i < bytes.count {
            let b = bytes[i]
            if i < authorityEnd || uriBytes[Int(b)] {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else if b == UInt8(ascii: "%"), i + 2 < bytes.count, isHex(bytes[i + 1]), isHex(bytes[i + 2]) {
                out += "%"
            } else {
                out += "%" + (b < 16 ? "0" : "") + String(b, radix: 16, uppercase: true)
            }
            i += 1
        }
        return out
    }

    static func isHex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66) }

    /// `a=1; b=2` into cookies.
    static func requestCookies(_ header: String) -> [(String, String)] {
        header.split(separator: ";").compactMap { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = kv[0].trimmingCharacters(in: .whitespaces)
            return name.isEmpty ? nil : (name, kv.count > 1 ? kv[1].trimmingCharacters(in: .whitespaces) : "")
        }
    }

    /// The name and value of a `Set-Cookie` (its attributes are left in the header).
    static func setCookie(_ header: String) -> (String, String)? {
        requestCookies(String(header.split(separator: ";", maxSplits: 1).first ?? "")).first
    }

    static func cookies(_ pairs: [(String, String)]) -> JSON {
        .array(pairs.map { .object([("name", .string($0.0)), ("value", .string($0.1))]) })
    }

    static func headers(_ list: HeaderList) -> JSON {
        .array(list.map { .object([("name", .string($0.name)), ("value", .string($0.value))]) })
    }

    /// The bytes as text when they are UTF-8 without NUL (written as HAR
    /// text); nil for anything else, which is written as base64.
    static func text(_ bytes: [UInt8]) -> String? {
        bytes.contains(0) ? nil : String(validating: bytes, as: UTF8.self)
    }

    /// `{"mimeType", "text"}` for text; base64 with `"encoding": "base64"` otherwise.
    static func body(_ bytes: [UInt8], text: String?, mime: String) -> JSON {
        if let text {
            return .object([("mimeType", .string(mime)), ("text", .string(text))])
        }
        return .object([("mimeType", .string(mime)), ("text", .string(Data(bytes).base64EncodedString())), ("encoding", .string("base64"))])
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
