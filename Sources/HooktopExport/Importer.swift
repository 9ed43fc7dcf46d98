import Foundation
import HooktopCore

/// Reads a HAR or NDJSON export back into requests. NDJSON streams line by
/// line; a HAR file is one JSON document and is read whole.
public enum Importer {
    public enum Format: String, Sendable { case har, ndjson }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }

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
    public static func read(path: String, skipped: (Failure) -> Void = { _ in },
                            _ each: (CapturedRequest) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure("cannot open \(path)") }
        defer { try? handle.close() }
        let data = handle.readDataToEndOfFile()
        var requests: [CapturedRequest] = []
        switch detect(Array(data.prefix(256))) {
        case .har:
            guard let root = try? JSONSerialization.jsonObject(with: JSONRepair.loneSurrogates(data)) as? [String: Any],
                  let log = root["log"] as? [String: Any], let entries = log["entries"] as? [Any] else {
                throw Failure("\(path): not a HAR file (no log.entries)")
            }
            let writer = ((log["creator"] as? [String: Any])?["name"] as? String)?.lowercased() ?? ""
            let text: BodyText = writer == "mitmproxy" ? .mitmproxy : .utf8
            for (i, item) in entries.enumerated() {
                do {
                    guard let entry = item as? [String: Any] else { throw Failure("not an object") }
                    requests.append(try harEntry(entry, text: text))
                } catch let e as Failure {
                    skipped(Failure("\(path): entry \(i + 1): \(e)"))
                }
            }
        case .ndjson:
            var lineNumber = 0
            var start = data.startIndex
            while start < data.endIndex {
                let end = data[start...].firstIndex(of: 0x0A) ?? data.endIndex
                lineNumber += 1
                if let r = parseLine(data[start..<end], lineNumber, path, skipped) { requests.append(r) }
                start = end < data.endIndex ? end + 1 : end
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

    private static func parseLine(_ line: Data, _ number: Int, _ path: String, _ skipped: (Failure) -> Void) -> CapturedRequest? {
        guard line.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) }) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: JSONRepair.loneSurrogates(Data(line))) as? [String: Any] else {
            skipped(Failure("\(path):\(number): not a JSON object"))
            return nil
        }
        do { return try ndjsonObject(object) } catch let e as Failure {
            skipped(Failure("\(path):\(number): \(e)"))
            return nil
        } catch {
            skipped(Failure("\(path):\(number): \(error)"))
            return nil
        }
    }

    /// One SPEC JSON object (as `show --json` prints it).
    public static func ndjsonObject(_ o: [String: Any]) throws -> CapturedRequest {
        var r = try ndjsonFields(o)
        r.id = Int64(Int.exactly(o["id"], in: 1...Int.max) ?? 0)
        r.error = o["error"] as? String
        r.trailers = try headerPairs(o["trailers"])
        if let response = o["response"] as? [String: Any] {
            r.response.headers = try headerPairs(response["headers"])
            r.response.body = (response["body_base64"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init) ?? []
        }
        return r
    }

    static func ndjsonFields(_ o: [String: Any]) throws -> CapturedRequest {
        guard let method = o["method"] as? String, let target = o["target"] as? String else {
            throw Failure("missing method or target")
        }
        guard let at = (o["received_at"] as? String).flatMap(Timestamp.init(iso8601:)) else { throw Failure("missing or bad received_at") }
        let body = (o["body_base64"] as? String).flatMap { Data(base64Encoded: $0) }.map(Array.init) ?? []
        let sig = o["signature"] as? [String: Any] ?? [:]
        let response = o["response"] as? [String: Any] ?? [:]
        return CapturedRequest(
            receivedAt: at, remote: o["remote"] as? String ?? "", method: method, target: target,
            version: o["version"] as? String ?? "HTTP/1.1", headers: try headerPairs(o["headers"]), body: body,
            bodySize: try bodySize(o["body_size"], body), bodyTruncated: o["body_truncated"] as? Bool ?? false,
            source: o["source"] as? String,
            signature: signature(sig),
            response: RecordedResponse(status: try status(response["status"], "response.status") ?? 200, headers: HeaderList(), body: [],
                                       durationMicros: try milliseconds(response["duration_ms"], "response.duration_ms")),
            deliveries: try (o["deliveries"] as? [[String: Any]] ?? []).compactMap(attempt),
            deliveryState: DeliveryState(rawValue: o["delivery_state"] as? String ?? "") ?? .none)
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

    static func harEntry(_ e: [String: Any], text: BodyText = .utf8) throws -> CapturedRequest {
        var r = try harFields(e, text: text)
        let extra = e["_hooktop"] as? [String: Any] ?? [:]
        r.id = Int64(Int.exactly(extra["id"], in: 1...Int.max) ?? 0)
        r.error = extra["error"] as? String
        r.trailers = try headerPairs(extra["trailers"])
        // Exact bytes where HAR's text could not hold them.
        if let b64 = extra["body_base64"] as? String, let bytes = Data(base64Encoded: b64) { r.body = Array(bytes) }
        if let b64 = extra["response_body_base64"] as? String, let bytes = Data(base64Encoded: b64) { r.response.body = Array(bytes) }
        if let us = Int.exactly(extra["response_duration_us"], in: 0...Int(DurationText.maximum)) { r.response.durationMicros = Int64(us) }
        return r
    }

    static func harFields(_ e: [String: Any], text: BodyText) throws -> CapturedRequest {
        guard let req = e["request"] as? [String: Any], let method = req["method"] as? String, let url = req["url"] as? String else {
            throw Failure("missing request.method or request.url")
        }
        let extra = e["_hooktop"] as? [String: Any] ?? [:]
        let target = extra["target"] as? String ?? targetOf(url)
        var at = Int.exactly(extra["received_at_us"], in: Int.min...Int.max)
            .map { Timestamp(microseconds: Int64($0)) }.flatMap { Timestamp.representable.contains($0) ? $0 : nil }
        if at == nil { at = (e["startedDateTime"] as? String).flatMap(Timestamp.init(iso8601:)) }
        guard let receivedAt = at else { throw Failure("missing or bad startedDateTime") }
        let body = harPostData(req["postData"] as? [String: Any], text: text)
        let resp = e["response"] as? [String: Any] ?? [:]
        let content = resp["content"] as? [String: Any]
        let sig = extra["signature"] as? [String: Any] ?? [:]
        return CapturedRequest(
            receivedAt: receivedAt, remote: extra["remote"] as? String ?? "", method: method, target: target,
            version: req["httpVersion"] as? String ?? "HTTP/1.1", headers: try harHeaders(req["headers"]), body: body,
            bodySize: try bodySize(extra["body_size"], body), bodyTruncated: extra["body_truncated"] as? Bool ?? false,
            source: extra["source"] as? String, signature: signature(sig),
            response: RecordedResponse(status: try status(resp["status"], "response.status") ?? 200, headers: try harHeaders(resp["headers"]),
                                       body: harBody(content), durationMicros: try milliseconds(e["time"], "time")),
            deliveries: try (extra["deliveries"] as? [[String: Any]] ?? []).compactMap(attempt),
            deliveryState: DeliveryState(rawValue: extra["delivery_state"] as? String ?? "") ?? .none)
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
    static func harBody(_ o: [String: Any]?) -> [UInt8] {
        guard let o, let text = o["text"] as? String else { return [] }
        if o["encoding"] as? String == "base64" { return Data(base64Encoded: text).map(Array.init) ?? [] }
        return WireText.bytes(of: text)
    }

    /// `postData`: its text, else its `params` as a form (Firefox leaves text out for forms).
    static func harPostData(_ o: [String: Any]?, text: BodyText) -> [UInt8] {
        guard let o else { return [] }
        if let body = o["text"] as? String {
            return o["encoding"] as? String == "base64" ? harBody(o) : text.bytes(body, mime: o["mimeType"] as? String ?? "")
        }
        guard let params = o["params"] as? [[String: Any]] else { return [] }
        let encode = { (s: String) in s.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? s }
        return Array(params.map { p in encode(p["name"] as? String ?? "") + "=" + encode(p["value"] as? String ?? "") }
            .joined(separator: "&").utf8)
    }

    static func headerPairs(_ value: Any?) throws -> HeaderList {
        guard let pairs = value as? [[String]] else { return HeaderList() }
        return HeaderList(try pairs.map { pair throws -> (String, String) in
            guard pair.count == 2 else { throw Failure("a header is not a [name, value] pair") }
            return (pair[0], pair[1])
        })
    }

    /// `[{name, value}]` (browsers, Insomnia) or `[[name, value]]`; HTTP/2
    /// pseudo-headers (`:authority`…) are not headers of an HTTP/1.1 request.
    static func harHeaders(_ value: Any?) throws -> HeaderList {
        guard let list = value as? [Any] else { return HeaderList() }
        return HeaderList(list.compactMap { item -> (String, String)? in
            let pair: (String, String)?
            if let h = item as? [String: Any] { pair = (h["name"] as? String).map { ($0, h["value"] as? String ?? "") } }
            else if let h = item as? [String], h.count == 2 { pair = (h[0], h[1]) }
            else { pair = nil }
            guard let pair, !pair.0.isEmpty, !pair.0.hasPrefix(":"), !pair.0.contains(where: { $0 == "\r" || $0 == "\n" }) else { return nil }
            return (pair.0, pair.1.filter { $0 != "\r" && $0 != "\n" })
        })
    }

    static func signature(_ o: [String: Any]) -> SignatureResult {
        SignatureResult(scheme: o["scheme"] as? String, status: SignatureStatus(rawValue: o["status"] as? String ?? "") ?? .none,
                        detail: o["detail"] as? String)
    }

    static func attempt(_ o: [String: Any]) throws -> DeliveryAttempt? {
        guard let n = Int.exactly(o["attempt"], in: 1...1_000_000), let url = o["url"] as? String,
              let started = (o["started_at"] as? String).flatMap(Timestamp.init(iso8601:)) else { return nil }
        return DeliveryAttempt(attempt: n, kind: DeliveryAttempt.Kind(rawValue: o["kind"] as? String ?? "") ?? .forward, url: url,
                               startedAt: started, durationMicros: try milliseconds(o["duration_ms"], "deliveries.duration_ms"),
                               status: try status(o["status"], "deliveries.status"), error: o["error"] as? String)
    }

    // Numbers from a file are checked, never trusted: a bad one is the entry's error.

    static func bodySize(_ value: Any?, _ body: [UInt8]) throws -> Int {
        guard let value, !(value is NSNull) else { return body.count }
        guard let n = Int.exactly(value, in: body.count...Int.max) else {
            throw Failure("body_size \(value) is not a whole number of bytes of at least \(body.count)")
        }
        return n
    }

    static func status(_ value: Any?, _ field: String) throws -> Int? {
        guard let value, !(value is NSNull) else { return nil }
        // HAR writes 0 for "no response"; keep it as the absence it means.
        if Int.exactly(value, in: 0...0) != nil { return nil }
        guard let n = Int.exactly(value, in: 100...999) else { throw Failure("\(field) \(value) is not an HTTP status") }
        return n
    }

    static func milliseconds(_ value: Any?, _ field: String) throws -> Int64 {
        guard let value, !(value is NSNull) else { return 0 }
        // HAR uses -1 for "not applicable".
        if let ms = value as? Double, ms == -1 { return 0 }
        guard let ms = value as? Double, let micros = Int64.microseconds(fromMilliseconds: ms) else {
            throw Failure("\(field) \(value) is not a duration in milliseconds (0 to 100 years)")
        }
        return micros
    }
}
