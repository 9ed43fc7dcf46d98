import Foundation
import HooktopCore

/// Reads a HAR or NDJSON export back into requests. NDJSON streams line by
/// line; a HAR file is one JSON document and is read whole.
public enum Importer {
    public enum Format: String, Sendable { case har, ndjson }

    /// HAR when the file is one object with `log`, NDJSON otherwise.
    public static func detect(_ head: [UInt8]) -> Format {
        let text = String(decoding: head.prefix(256), as: UTF8.self).filter { !$0.isWhitespace }
        return text.hasPrefix(#"{"log""#) ? .har : .ndjson
    }

    /// Calls `each` for every request in the file, oldest first (by the
    /// exported id, else the receive time), so ids come out in the same order
    /// as the original's and export → import → export gives the same file.
    /// An entry that cannot be read is handed to `skipped` with its place
    /// ("entry 3", "file:7") and the reason, and the rest are still read.
    /// The file's requests are held in memory to be put in order.
    public static func read(path: String, skipped: (ImportError) -> Void = { _ in },
                            _ each: (CapturedRequest) throws -> Void) throws {
        // "-": standard input, so an export can be piped straight into an import.
        guard let handle = path == "-" ? FileHandle.standardInput : FileHandle(forReadingAtPath: path) else {
            throw ImportError.cannotOpen(path)
        }
        defer { if path != "-" { try? handle.close() } }
        let data = handle.readDataToEndOfFile()
        var requests: [CapturedRequest] = []
        switch detect(Array(data.prefix(256))) {
        case .har:
            guard let file = try? JSONDecoder().decode(HARFile.self, from: JSONRepair.loneSurrogates(data)) else {
                throw ImportError.notHAR(path)
            }
            let text: BodyText = file.log.creator?.name?.lowercased() == "mitmproxy" ? .mitmproxy : .utf8
            for (i, entry) in file.log.entries.enumerated() {
                do {
                    requests.append(try request(try entry.result.get(), text: text))
                } catch {
                    skipped(.entry(path, "entry \(i + 1)", error.reason))
                }
            }
        case .ndjson:
            var lineNumber = 0
            var start = data.startIndex
            let decoder = JSONDecoder()
            while start < data.endIndex {
                let end = data[start...].firstIndex(of: 0x0A) ?? data.endIndex
                lineNumber += 1
                let line = data[start..<end]
                start = end < data.endIndex ? end + 1 : end
                guard line.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) }) else { continue }
                do {
                    requests.append(try request(try decode(RequestRecord.self, JSONRepair.loneSurrogates(Data(line)), decoder)))
                } catch {
                    skipped(.entry(path, String(lineNumber), error.reason))
                }
            }
        }
        let byID = requests.allSatisfy { $0.id > 0 }
        let ordered = requests.enumerated().sorted { a, b in
            let (x, y) = byID ? (a.element.id, b.element.id) : (a.element.receivedAt.microseconds, b.element.receivedAt.microseconds)
            return x != y ? x < y : a.offset < b.offset
        }
        for (_, var request) in ordered {
            request.id = 0
            try each(request)
        }
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ data: Data, _ decoder: JSONDecoder) throws(EntryProblem) -> T {
        do {
            return try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            if case .dataCorrupted(let c) = error, c.codingPath.isEmpty { throw EntryProblem("not a JSON object") }
            throw EntryProblem(error)
        } catch {
            throw EntryProblem("\(error)")
        }
    }

    // MARK: - From the records to requests

    /// One object of the request JSON (as `show --json` prints it).
    static func request(_ o: RequestRecord) throws(EntryProblem) -> CapturedRequest {
        guard let at = Timestamp(iso8601: o.received_at) else { throw EntryProblem("received_at '\(o.received_at)' is not an RFC 3339 time") }
        let body = try base64(o.body_base64, "body_base64")
        var r = CapturedRequest(
            receivedAt: at, remote: o.remote ?? "", method: o.method, target: o.target, version: o.version ?? "HTTP/1.1",
            headers: try pairs(o.headers, "headers"), body: body, bodySize: try bodySize(o.body_size, body),
            bodyTruncated: o.body_truncated ?? false, source: o.source, signature: signature(o.signature),
            response: RecordedResponse(status: try status(o.response?.status, "response.status") ?? 200,
                                       headers: try pairs(o.response?.headers, "response.headers"),
                                       body: try base64(o.response?.body_base64, "response.body_base64"),
                                       durationMicros: try milliseconds(o.response?.duration_ms, "response.duration_ms")),
            deliveries: try attempts(o.deliveries),
            deliveryState: DeliveryState(rawValue: o.delivery_state ?? "") ?? .none)
        r.id = try id(o.id)
        r.error = o.error
        r.trailers = try pairs(o.trailers, "trailers")
        r.label = o.label
        r.node = o.node
        r.arrival = o.arrival.flatMap(Expectation.State.init(rawValue:))
        return r
    }

    /// How a HAR's request text maps to bytes. mitmproxy writes a body in
    /// the charset it infers from the Content-Type (its `infer_content_encoding`:
    /// a `charset` parameter, UTF-8 for JSON, else Latin-1), with lone
    /// surrogates for bytes that charset cannot hold; everyone else writes UTF-8.
    enum BodyText {
        case utf8, mitmproxy

        func bytes(_ text: String, mime: String) -> [UInt8] {
            guard self == .mitmproxy else { return WireText.bytes(of: text) }
            let lower = mime.lowercased()
            let charset = lower.split(separator: ";").dropFirst().compactMap { part -> String? in
                let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                return kv.count == 2 && kv[0] == "charset" ? kv[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) : nil
            }.first
            let latin1 = charset.map { ["latin-1", "latin1", "iso-8859-1"].contains($0) } ?? !lower.contains("json")
            guard latin1, text.unicodeScalars.allSatisfy({ $0.value <= 0xFF || WireText.isEscape($0) }) else { return WireText.bytes(of: text) }
            return text.unicodeScalars.map { WireText.isEscape($0) ? UInt8($0.value - WireText.base) : UInt8($0.value) }
        }
    }

    /// One HAR entry; hooktop's `_hooktop` fields, when present, give back what HAR cannot hold exactly.
    static func request(_ e: HAREntry, text: BodyText = .utf8) throws(EntryProblem) -> CapturedRequest {
        let extra = e._hooktop
        var at = extra?.received_at_us.map(Timestamp.init(microseconds:)).flatMap { Timestamp.representable.contains($0) ? $0 : nil }
        if at == nil { at = e.startedDateTime.flatMap(Timestamp.init(iso8601:)) }
        guard let receivedAt = at else { throw EntryProblem("startedDateTime is missing or not an RFC 3339 time") }
        var body = postData(e.request.postData, text: text)
        if let exact = extra?.body_base64 { body = try base64(exact, "_hooktop.body_base64") }
        var responseBody = harBody(e.response?.content)
        if let exact = extra?.response_body_base64 { responseBody = try base64(exact, "_hooktop.response_body_base64") }
        var duration = try milliseconds(e.time, "time")
        if let us = extra?.response_duration_us, (0...DurationText.maximum).contains(us) { duration = us }
        var r = CapturedRequest(
            receivedAt: receivedAt, remote: extra?.remote ?? "", method: e.request.method,
            target: extra?.target ?? targetOf(e.request.url), version: e.request.httpVersion ?? "HTTP/1.1",
            headers: headers(e.request.headers), body: body, bodySize: try bodySize(extra?.body_size, body),
            bodyTruncated: extra?.body_truncated ?? false, source: extra?.source, signature: signature(extra?.signature),
            response: RecordedResponse(status: try status(e.response?.status, "response.status") ?? 200,
                                       headers: headers(e.response?.headers), body: responseBody, durationMicros: duration),
            deliveries: try attempts(extra?.deliveries),
            deliveryState: DeliveryState(rawValue: extra?.delivery_state ?? "") ?? .none)
        r.id = try id(extra?.id)
        r.error = extra?.error
        r.trailers = try pairs(extra?.trailers, "_hooktop.trailers")
        r.label = extra?.label
        r.node = extra?.node
        r.arrival = extra?.arrival.flatMap(Expectation.State.init(rawValue:))
        return r
    }

    /// The request target as the URL writes it: everything after the
    /// authority, verbatim (not re-encoded; a fragment stays).
    static func targetOf(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url.isEmpty ? "/" : url }
        let rest = url[scheme.upperBound...]
        guard let start = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) else { return "/" }
        let target = String(rest[start...])
        return target.hasPrefix("/") ? target : "/" + target
    }

    /// A HAR text, or base64 with `encoding`; text that carries bytes that
    /// were not UTF-8 (lone surrogates from mitmproxy) gives those bytes back.
    static func harBody(_ content: HARContent?) -> [UInt8] {
        guard let text = content?.text else { return [] }
        if content?.encoding == "base64" { return Data(base64Encoded: text).map(Array.init) ?? [] }
        return WireText.bytes(of: text)
    }

    /// `postData`: its text, else its `params` as a form (Firefox leaves text out for forms).
    static func postData(_ p: HARPostData?, text: BodyText) -> [UInt8] {
        guard let p else { return [] }
        if let body = p.text {
            return p.encoding == "base64" ? harBody(HARContent(text: body, encoding: "base64")) : text.bytes(body, mime: p.mimeType ?? "")
        }
        guard let params = p.params else { return [] }
        let encode = { (s: String) in s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
        return Array(params.map { encode($0.name ?? "") + "=" + encode($0.value ?? "") }.joined(separator: "&").utf8)
    }

    /// HTTP/2 pseudo-headers (`:authority`…) and names with line breaks are
    /// not headers of an HTTP/1.1 request; line breaks in values go.
    static func headers(_ list: [HARHeader]?) -> HeaderList {
        HeaderList((list ?? []).compactMap { h -> (String, String)? in
            guard !h.name.isEmpty, !h.name.hasPrefix(":"), !h.name.contains(where: { $0 == "\r" || $0 == "\n" }) else { return nil }
            return (h.name, h.value.filter { $0 != "\r" && $0 != "\n" })
        })
    }

    static func pairs(_ list: [[String]]?, _ field: String) throws(EntryProblem) -> HeaderList {
        var out = HeaderList()
        for pair in list ?? [] {
            guard pair.count == 2 else { throw EntryProblem("\(field): a header is not a [name, value] pair") }
            out.append(pair[0], pair[1])
        }
        return out
    }

    static func signature(_ s: SignatureRecord?) -> SignatureResult {
        SignatureResult(scheme: s?.scheme, status: SignatureStatus(rawValue: s?.status ?? "") ?? .none, detail: s?.detail)
    }

    /// Attempts without their number, URL or start are left out, as the format allows.
    static func attempts(_ list: [AttemptRecord]?) throws(EntryProblem) -> [DeliveryAttempt] {
        var out: [DeliveryAttempt] = []
        for a in list ?? [] {
            guard let n = a.attempt, (1...1_000_000).contains(n), let url = a.url,
                  let started = a.started_at.flatMap(Timestamp.init(iso8601:)) else { continue }
            out.append(DeliveryAttempt(attempt: n, kind: DeliveryAttempt.Kind(rawValue: a.kind ?? "") ?? .forward, url: url,
                                       startedAt: started, durationMicros: try milliseconds(a.duration_ms, "deliveries.duration_ms"),
                                       status: try status(a.status, "deliveries.status"), error: a.error))
        }
        return out
    }

    // Numbers from a file are checked, never trusted: a bad one is the entry's error.

    static func id(_ value: Int64?) throws(EntryProblem) -> Int64 {
        guard let value else { return 0 }
        guard value >= 0 else { throw EntryProblem("id \(value) is not a request id") }
        return value
    }

    static func base64(_ text: String?, _ field: String) throws(EntryProblem) -> [UInt8] {
        guard let text else { return [] }
        guard let data = Data(base64Encoded: text) else { throw EntryProblem("\(field) is not base64") }
        return Array(data)
    }

    static func bodySize(_ value: Int?, _ body: [UInt8]) throws(EntryProblem) -> Int {
        guard let value else { return body.count }
        guard value >= body.count else { throw EntryProblem("body_size \(value) is not a whole number of bytes of at least \(body.count)") }
        return value
    }

    static func status(_ value: Int?, _ field: String) throws(EntryProblem) -> Int? {
        // HAR writes 0 for "no response"; keep it as the absence it means.
        guard let value, value != 0 else { return nil }
        guard (100...999).contains(value) else { throw EntryProblem("\(field) \(value) is not an HTTP status") }
        return value
    }

    static func milliseconds(_ value: Double?, _ field: String) throws(EntryProblem) -> Int64 {
        // HAR uses -1 for "not applicable".
        guard let ms = value, ms != -1 else { return 0 }
        guard let micros = Int64.microseconds(fromMilliseconds: ms) else {
            throw EntryProblem("\(field) \(ms) is not a duration in milliseconds (0 to 100 years)")
        }
        return micros
    }
}

extension Error {
    /// The reason an entry was skipped, in words.
    fileprivate var reason: String { (self as? EntryProblem)?.reason ?? "\(self)" }
}
