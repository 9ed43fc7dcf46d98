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

    /// Calls `each` for every request in the file, in file order. An entry
    /// that cannot be read is handed to `skipped` with its place ("entry 3",
    /// "line 7") and the reason, and the rest are still read.
    public static func read(path: String, skipped: (Failure) -> Void = { _ in },
                            _ each: (CapturedRequest) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Failure("cannot open \(path)") }
        defer { try? handle.close() }
        let head = Array(handle.readData(ofLength: 256))
        try handle.seek(toOffset: 0)
        switch detect(head) {
        case .har:
            let data = handle.readDataToEndOfFile()
            guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let log = root["log"] as? [String: Any], let entries = log["entries"] as? [[String: Any]] else {
                throw Failure("\(path): not a HAR file (no log.entries)")
            }
            for (i, entry) in entries.enumerated() {
                let request: CapturedRequest
                do { request = try harEntry(entry) } catch let e as Failure {
                    skipped(Failure("\(path): entry \(i + 1): \(e)"))
                    continue
                }
                try each(request)
            }
        case .ndjson:
            var lineNumber = 0
            var pending = Data()
            while true {
                let chunk = handle.readData(ofLength: 1 << 20)
                pending += chunk
                while let nl = pending.firstIndex(of: 0x0A) {
                    lineNumber += 1
                    let line = pending[pending.startIndex..<nl]
                    pending = Data(pending[(nl + 1)...])
                    try parseLine(line, lineNumber, path, skipped, each)
                }
                if chunk.isEmpty { break }
            }
            if !pending.isEmpty { try parseLine(pending, lineNumber + 1, path, skipped, each) }
        }
    }

    private static func parseLine(_ line: Data, _ number: Int, _ path: String, _ skipped: (Failure) -> Void,
                                  _ each: (CapturedRequest) throws -> Void) throws {
        guard line.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0D) }) else { return }
        guard let object = try? JSONSerialization.jsonObject(with: line) as? [String: Any] else {
            return skipped(Failure("\(path):\(number): not a JSON object"))
        }
        let request: CapturedRequest
        do { request = try ndjsonObject(object) } catch let e as Failure { return skipped(Failure("\(path):\(number): \(e)")) }
        try each(request)
    }

    /// One SPEC JSON object (as `show --json` prints it).
    public static func ndjsonObject(_ o: [String: Any]) throws -> CapturedRequest {
        var r = try ndjsonFields(o)
        r.error = o["error"] as? String
        r.trailers = try headerPairs(o["trailers"])
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

    static func harEntry(_ e: [String: Any]) throws -> CapturedRequest {
        var r = try harFields(e)
        let extra = e["_hooktop"] as? [String: Any] ?? [:]
        r.error = extra["error"] as? String
        r.trailers = try headerPairs(extra["trailers"])
        return r
    }

    static func harFields(_ e: [String: Any]) throws -> CapturedRequest {
        guard let req = e["request"] as? [String: Any], let method = req["method"] as? String, let url = req["url"] as? String else {
            throw Failure("missing request.method or request.url")
        }
        let extra = e["_hooktop"] as? [String: Any] ?? [:]
        let target = extra["target"] as? String ?? targetOf(url)
        var at = Int.exactly(extra["received_at_us"], in: Int.min...Int.max)
            .map { Timestamp(microseconds: Int64($0)) }.flatMap { Timestamp.representable.contains($0) ? $0 : nil }
        if at == nil { at = (e["startedDateTime"] as? String).flatMap(Timestamp.init(iso8601:)) }
        guard let receivedAt = at else { throw Failure("missing or bad startedDateTime") }
        let body = harBody(req["postData"] as? [String: Any])
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

    static func targetOf(_ url: String) -> String {
        guard let c = URLComponents(string: url) else { return url }
        let path = c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath
        return path + (c.percentEncodedQuery.map { "?" + $0 } ?? "")
    }

    static func harBody(_ o: [String: Any]?) -> [UInt8] {
        guard let o, let text = o["text"] as? String else { return [] }
        if o["encoding"] as? String == "base64" { return Data(base64Encoded: text).map(Array.init) ?? [] }
        return Array(text.utf8)
    }

    static func headerPairs(_ value: Any?) throws -> HeaderList {
        guard let pairs = value as? [[String]] else { return HeaderList() }
        return HeaderList(try pairs.map { pair throws -> (String, String) in
            guard pair.count == 2 else { throw Failure("a header is not a [name, value] pair") }
            return (pair[0], pair[1])
        })
    }

    static func harHeaders(_ value: Any?) throws -> HeaderList {
        guard let list = value as? [[String: Any]] else { return HeaderList() }
        return HeaderList(list.compactMap { h in (h["name"] as? String).map { ($0, h["value"] as? String ?? "") } })
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
