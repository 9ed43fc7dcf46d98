import HooktopCore
import HooktopStore
import PostgresNIO

/// How a `CapturedRequest` maps onto PostgreSQL's `requests` table.
enum PostgresRows {
    /// What a request query selects, in this order (`decode` reads it so).
    static func selectSQL(withBody: Bool) -> String {
        """
        SELECT id, received_at, remote, method, target, version, headers, \(withBody ? "body" : "''::bytea"),
            body_size, body_truncated, source, sig_scheme, sig_status, sig_detail,
            response_status, response_headers, \(withBody ? "response_body" : "''::bytea"), response_duration_us,
            delivery_state, delivery_id,
            (SELECT min(o.id) FROM requests o WHERE o.delivery_id = requests.delivery_id AND o.id < requests.id),
            target_url, next_attempt_at, scheduled_attempts, delivery_note, error, trailers, label, expect_arrival, node
        FROM requests
        """
    }

    static func decode(_ row: PostgresRow) -> CapturedRequest {
        let c = PGRow(row)
        var r = CapturedRequest(
            id: c.int(0),
            receivedAt: Timestamp(microseconds: c.int(1)),
            remote: c.text(2) ?? "",
            method: c.text(3) ?? "",
            target: c.text(4) ?? "",
            version: c.text(5) ?? "",
            headers: HeaderList(wireEncoded: c.text(6) ?? ""),
            body: c.bytes(7),
            bodySize: Int(exactly: c.int(8)) ?? 0,
            bodyTruncated: c.bool(9),
            source: c.text(10),
            signature: SignatureResult(scheme: c.text(11), status: SignatureStatus(rawValue: c.text(12) ?? "") ?? .none, detail: c.text(13)),
            response: RecordedResponse(status: Int(exactly: c.int(14)) ?? 0, headers: HeaderList(wireEncoded: c.text(15) ?? ""),
                                       body: c.bytes(16), durationMicros: c.int(17)),
            deliveryState: DeliveryState(rawValue: c.text(18) ?? "") ?? .none,
            deliveryID: c.text(19),
            duplicateOf: c.optionalInt(20),
            targetURL: c.text(21),
            nextAttemptAt: c.optionalInt(22).map(Timestamp.init(microseconds:)),
            scheduledAttempts: Int(exactly: c.int(23)) ?? 0,
            deliveryNote: c.text(24))
        r.error = c.text(25)
        r.trailers = HeaderList(wireEncoded: c.text(26) ?? "")
        r.label = c.text(27)
        r.arrival = c.text(28).flatMap(Expectation.State.init(rawValue:))
        r.node = c.text(29)
        return r
    }

    /// The columns an insert sets, and the parameters each row binds.
    static let insertColumns = """
        received_at, remote, method, target, version, headers, body, body_size, body_truncated, source,
        sig_scheme, sig_status, sig_detail, response_status, response_headers, response_body, response_duration_us,
        delivery_state, delivery_id, target_url, next_attempt_at, leased_by, leased_node, scheduled_attempts, delivery_note,
        error, trailers, node, label, expect_arrival
        """
    /// Parameters a row binds: 30 columns, and the callback token when it went to an expected callback's URL.
    static func binds(toExpectation: Bool) -> Int { toExpectation ? 31 : 30 }

    /// One row's VALUES tuple, its parameters starting at `$first`. A request
    /// to an expected callback's URL (`toExpectation`) takes its label and
    /// arrival from the expectation; other rows skip those two lookups.
    static func valuesTuple(first n: Int, toExpectation: Bool = true) -> String {
        let p = (0..<binds(toExpectation: toExpectation)).map { "$\(n + $0)" }
        guard toExpectation else { return "(" + p.joined(separator: ", ") + ")" }
        let token = p[30], received = p[0]
        return "(" + p[0..<28].joined(separator: ", ")
            + ", coalesce(\(p[28]), (SELECT label FROM expectations WHERE token = \(token)))"
            + ", coalesce(\(p[29]), (SELECT CASE WHEN deadline IS NULL OR \(received) <= deadline THEN 'done' ELSE 'overdue' END"
            + " FROM expectations WHERE token = \(token))))"
    }

    /// - leasedBy: the pid (on `node`) that makes the first attempt itself.
    /// - headerBytes, responseHeaderBytes: the header blocks' wire form, when
    ///   the caller built it already (`GroupCommit.Insert`, on the sender's thread).
    /// Binds `binds(toExpectation:)` parameters, for `valuesTuple`.
    static func bindInsert(_ b: inout PostgresBindings, _ r: CapturedRequest, leasedBy: Int32?, node: String?,
                           headerBytes: [UInt8]? = nil, responseHeaderBytes: [UInt8]? = nil) {
        b.int(r.receivedAt.microseconds)
        b.text(r.remote)
        b.text(r.method)
        b.text(r.target)
        b.text(r.version)
        b.text(headerBytes.map { String(decoding: $0, as: UTF8.self) } ?? r.headers.wireEncoded)
        b.bytes(r.body)
        b.int(r.bodySize)
        b.append(r.bodyTruncated)
        b.text(r.source)
        b.text(r.signature.scheme)
        b.text(r.signature.status.rawValue)
        b.text(r.signature.detail)
        b.int(r.response.status)
        b.text(responseHeaderBytes.map { String(decoding: $0, as: UTF8.self) } ?? r.response.headers.wireEncoded)
        b.bytes(r.response.body)
        b.int(r.response.durationMicros)
        b.text(r.deliveryState.rawValue)
        b.text(r.deliveryID)
        b.text(r.targetURL)
        b.int(r.nextAttemptAt?.microseconds)
        b.int(leasedBy.map(Int64.init))
        b.text(leasedBy == nil ? nil : node)
        b.int(r.scheduledAttempts)
        b.text(r.deliveryNote)
        b.text(r.error)
        b.text(r.trailers.isEmpty ? nil : r.trailers.wireEncoded)
        b.text(r.node ?? node)
        // A request to an expected callback's URL takes its label (the store knows the expectations).
        b.text(r.label)
        b.text(r.arrival?.rawValue)
        if let token = Expectation.token(inTarget: r.target) { b.text(token) }
    }

    static let deliveriesSQL = """
        SELECT attempt, kind, url, started_at, duration_us, status, error, response_headers, response_body
        FROM deliveries WHERE request_id = $1 ORDER BY attempt, id
        """

    static func decodeAttempt(_ row: PostgresRow) -> DeliveryAttempt {
        let c = PGRow(row)
        return DeliveryAttempt(
            attempt: Int(exactly: c.int(0)) ?? 0,
            kind: DeliveryAttempt.Kind(rawValue: c.text(1) ?? "") ?? .forward,
            url: c.text(2) ?? "",
            startedAt: Timestamp(microseconds: c.int(3)),
            durationMicros: c.int(4),
            status: c.optionalInt(5).flatMap { Int(exactly: $0) },
            error: c.text(6),
            responseHeaders: HeaderList(wireEncoded: c.text(7) ?? ""),
            responseBody: c.bytes(8))
    }

    /// Appends an attempt; numbered after the request's last one unless `attempt` is given (an import).
    static func insertAttempt(_ a: DeliveryAttempt, requestID: Int64, numbered: Bool) -> (String, PostgresBindings) {
        var b = PostgresBindings()
        b.int(requestID)
        b.text(a.kind.rawValue)
        b.text(a.url)
        b.int(a.startedAt.microseconds)
        b.int(a.durationMicros)
        b.int(a.status.map(Int64.init))
        b.text(a.error)
        b.text(a.responseHeaders.wireEncoded)
        b.bytes(a.responseBody)
        b.int(a.attempt)
        let number = numbered ? "$10" : "(SELECT coalesce(max(attempt), 0) + 1 FROM deliveries WHERE request_id = $1)"
        return ("""
            INSERT INTO deliveries (request_id, attempt, kind, url, started_at, duration_us, status, error, response_headers, response_body)
            VALUES ($1, \(number), $2, $3, $4, $5, $6, $7, $8, $9)
            """, b)
    }
}
