import HooktopCore

/// How a `CapturedRequest` maps onto the `requests` table.
enum RequestRows {
    static let insertSQL = """
        INSERT INTO requests (received_at, remote, method, target, version, headers, body,
            body_size, body_truncated, source, sig_scheme, sig_status, sig_detail,
            response_status, response_headers, response_body, response_duration_us, delivery_state, delivery_id,
            target_url, next_attempt_at, leased_by, scheduled_attempts, delivery_note, error, trailers)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
        """

    /// - leasedBy: the pid that will make the first attempt itself (the
    ///   capturing daemon), so no other process takes it meanwhile.
    static func bindInsert(_ s: Statement, _ r: CapturedRequest, leasedBy: Int32? = nil) {
        s.bind(1, r.receivedAt.microseconds)
        s.bind(2, r.remote)
        s.bind(3, r.method)
        s.bind(4, r.target)
        s.bind(5, r.version)
        s.bind(6, r.headers.wireEncoded)
        s.bind(7, blob: r.body)
        s.bind(8, r.bodySize)
        s.bind(9, r.bodyTruncated)
        s.bind(10, r.source)
        s.bind(11, r.signature.scheme)
        s.bind(12, r.signature.status.rawValue)
        s.bind(13, r.signature.detail)
        s.bind(14, r.response.status)
        s.bind(15, r.response.headers.wireEncoded)
        s.bind(16, blob: r.response.body)
        s.bind(17, r.response.durationMicros)
        s.bind(18, r.deliveryState.rawValue)
        s.bind(19, r.deliveryID)
        s.bind(20, r.targetURL)
        if let next = r.nextAttemptAt { s.bind(21, next.microseconds) } else { s.bindNull(21) }
        if let leasedBy { s.bind(22, Int64(leasedBy)) } else { s.bindNull(22) }
        s.bind(23, r.scheduledAttempts)
        s.bind(24, r.deliveryNote)
        s.bind(25, r.error)
        s.bind(26, r.trailers.isEmpty ? nil : r.trailers.wireEncoded)
    }

    /// Columns read back, in order. The body is selected as an empty blob when
    /// the caller does not want it, so listing never reads payloads.
    static func selectSQL(withBody: Bool) -> String {
        """
        SELECT id, received_at, remote, method, target, version, headers,
            \(withBody ? "body" : "x''"), body_size, body_truncated, source, sig_scheme, sig_status, sig_detail,
            response_status, response_headers, \(withBody ? "response_body" : "x''"), response_duration_us, delivery_state,
            delivery_id, (SELECT min(o.id) FROM requests o WHERE o.delivery_id = requests.delivery_id AND o.id < requests.id),
            target_url, next_attempt_at, scheduled_attempts, delivery_note, error, trailers
        FROM requests
        """
    }

    static func decode(_ s: Statement) -> CapturedRequest {
        var r = CapturedRequest(
            id: s.int(0),
            receivedAt: Timestamp(microseconds: s.int(1)),
            remote: s.text(2) ?? "",
            method: s.text(3) ?? "",
            target: s.text(4) ?? "",
            version: s.text(5) ?? "",
            headers: HeaderList(wireEncoded: s.text(6) ?? ""),
            body: s.blob(7),
            bodySize: Int(s.int(8)),
            bodyTruncated: s.int(9) != 0,
            source: s.text(10),
            signature: SignatureResult(
                scheme: s.text(11),
                status: SignatureStatus(rawValue: s.text(12) ?? "") ?? .none,
                detail: s.text(13)),
            response: RecordedResponse(
                status: Int(s.int(14)),
                headers: HeaderList(wireEncoded: s.text(15) ?? ""),
                body: s.blob(16),
                durationMicros: s.int(17)),
            deliveryState: DeliveryState(rawValue: s.text(18) ?? "") ?? .none,
            deliveryID: s.text(19),
            duplicateOf: s.isNull(20) ? nil : s.int(20),
            targetURL: s.text(21),
            nextAttemptAt: s.isNull(22) ? nil : Timestamp(microseconds: s.int(22)),
            scheduledAttempts: Int(s.int(23)),
            deliveryNote: s.text(24))
        r.error = s.text(25)
        r.trailers = HeaderList(wireEncoded: s.text(26) ?? "")
        return r
    }

    static let insertAttemptSQL = """
        INSERT INTO deliveries (request_id, attempt, kind, url, started_at, duration_us, status, error, response_headers, response_body)
        VALUES (?,?,?,?,?,?,?,?,?,?)
        """

    /// Numbers the attempt after the request's last one.
    static let appendAttemptSQL = """
        INSERT INTO deliveries (request_id, attempt, kind, url, started_at, duration_us, status, error, response_headers, response_body)
        VALUES (?1, (SELECT coalesce(max(attempt), 0) + 1 FROM deliveries WHERE request_id = ?1), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
        """

    static func bindAttempt(_ s: Statement, _ a: DeliveryAttempt, requestID: Int64) {
        s.bind(1, requestID)
        s.bind(2, a.attempt)
        s.bind(3, a.kind.rawValue)
        s.bind(4, a.url)
        s.bind(5, a.startedAt.microseconds)
        s.bind(6, a.durationMicros)
        if let status = a.status { s.bind(7, status) } else { s.bindNull(7) }
        s.bind(8, a.error)
        s.bind(9, a.responseHeaders.wireEncoded)
        s.bind(10, blob: a.responseBody)
    }

    static let deliveriesSQL = """
        SELECT attempt, kind, url, started_at, duration_us, status, error, response_headers, response_body
        FROM deliveries WHERE request_id = ? ORDER BY attempt, id
        """

    static func decodeAttempt(_ s: Statement) -> DeliveryAttempt {
        DeliveryAttempt(
            attempt: Int(s.int(0)),
            kind: DeliveryAttempt.Kind(rawValue: s.text(1) ?? "") ?? .forward,
            url: s.text(2) ?? "",
            startedAt: Timestamp(microseconds: s.int(3)),
            durationMicros: s.int(4),
            status: s.isNull(5) ? nil : Int(s.int(5)),
            error: s.text(6),
            responseHeaders: HeaderList(wireEncoded: s.text(7) ?? ""),
            responseBody: s.blob(8))
    }
}
