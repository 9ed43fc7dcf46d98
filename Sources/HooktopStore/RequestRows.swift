import HooktopCore

/// How a `CapturedRequest` maps onto the `requests` table.
enum RequestRows {
    /// Inserts `r` and returns its id. A request to an expected callback's
    /// URL (`/cb/<token>`) takes its label and arrival from `expectations`;
    /// any other request binds them as they are, with no lookup per row
    /// (`hooktop-bench populate`: 43-47k -> 48-53k rows/s).
    /// - leasedBy: the pid that will make the first attempt itself (the
    ///   capturing daemon), so no other process takes it meanwhile.
    /// - node: the capturing daemon, for a request that does not name one.
    /// - headerBytes, responseHeaderBytes: the header blocks' wire form, when
    ///   the caller built it already (`GroupCommit.Insert`, on the sender's thread).
    /// - duplicates: the writer's delivery index, which finds `duplicate_of` and learns the new row.
    /// - id: the id it must take (`RequestIDs.next`); nil: SQLite's next.
    static func insert(_ r: CapturedRequest, into db: SQLiteConnection, duplicates: DeliveryIndex, id chosenID: Int64? = nil, leasedBy: Int32? = nil,
                       node: String? = nil, headerBytes: [UInt8]? = nil, responseHeaderBytes: [UInt8]? = nil) throws(StoreError) -> Int64 {
        let token = Expectation.token(inTarget: r.target)
        let headers = headerBytes ?? r.headers.wireBytes, responseHeaders = responseHeaderBytes ?? r.response.headers.wireBytes
        let delivery = r.deliveryID.map { (id: $0, key: deliveryKey($0)) }
        var duplicateOf: Int64?
        if let delivery { duplicateOf = try duplicates.earliest(delivery.key, delivery.id, db) }
        let id = try db.with(token == nil ? plainInsertSQL : expectedInsertSQL) { s throws(StoreError) in
            bindInsert(s, r, token: token, leasedBy: leasedBy, node: node)
            s.bind(":id", chosenID)
            s.bind(":delivery_key", delivery?.key)
            s.bind(":duplicate_of", duplicateOf)
            // The large values are lent to SQLite for the step, not copied by it.
            let failure: StoreError? = r.body.withUnsafeBytes { body in
                r.response.body.withUnsafeBytes { responseBody in
                    headers.withUnsafeBytes { headers in
                        responseHeaders.withUnsafeBytes { responseHeaders in
                            s.bind(":headers", lentText: headers)
                            s.bind(":body", lentBlob: body)
                            s.bind(":response_headers", lentText: responseHeaders)
                            s.bind(":response_body", lentBlob: responseBody)
                            do throws(StoreError) {
                                try s.step()
                                return nil
                            } catch {
                                return error
                            }
                        }
                    }
                }
            }
            if let failure { throw failure }
            return db.lastInsertRowID
        }
        if let delivery { duplicates.record(delivery.key, delivery.id, id: id) } else { duplicates.stored(id: id) }
        return id
    }

    /// The `delivery_key` of a delivery id: FNV-1a, 64 bits, over its UTF-8
    /// (the same in every process and version: it is stored, and
    /// `delivery_keys` finds a provider's retries by it). Also the SQL
    /// function `hooktop_delivery_key`, which filled the column for requests
    /// stored before it existed.
    static func deliveryKey(_ id: String) -> Int64 { deliveryKey(utf8: id.utf8) }

    static func deliveryKey(utf8 bytes: some Sequence<UInt8>) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        // A hash: wrapping multiplication is the algorithm, not an overflow.
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return Int64(bitPattern: hash)
    }

    private static let columns = """
        INSERT INTO requests (id, received_at, remote, method, target, version, headers, body,
            body_size, body_truncated, source, sig_scheme, sig_status, sig_detail,
            response_status, response_headers, response_body, response_duration_us, delivery_state, delivery_id, delivery_key,
            target_url, next_attempt_at, leased_by, scheduled_attempts, delivery_note, error, trailers,
            label, expect_arrival, node, duplicate_of)
        VALUES (:id, :received_at, :remote, :method, :target, :version, :headers, :body,
            :body_size, :body_truncated, :source, :sig_scheme, :sig_status, :sig_detail,
            :response_status, :response_headers, :response_body, :response_duration_us, :delivery_state, :delivery_id, :delivery_key,
            :target_url, :next_attempt_at, :leased_by, :scheduled_attempts, :delivery_note, :error, :trailers,
        """

    private static let plainInsertSQL = columns + ":label, :arrival, :node, :duplicate_of)"

    private static let expectedInsertSQL = columns + """
            coalesce(:label, (SELECT label FROM expectations WHERE token = :cb_token)),
            coalesce(:arrival, (SELECT CASE WHEN deadline IS NULL OR :received_at <= deadline THEN 'done' ELSE 'overdue' END
                                FROM expectations WHERE token = :cb_token)), :node, :duplicate_of)
        """

    private static func bindInsert(_ s: Statement, _ r: CapturedRequest, token: String?, leasedBy: Int32?, node: String?) {
        s.bind(":received_at", r.receivedAt.microseconds)
        s.bind(":remote", r.remote)
        s.bind(":method", r.method)
        s.bind(":target", r.target)
        s.bind(":version", r.version)
        s.bind(":body_size", r.bodySize)
        s.bind(":body_truncated", r.bodyTruncated)
        s.bind(":source", r.source)
        s.bind(":sig_scheme", r.signature.scheme)
        s.bind(":sig_status", r.signature.status.rawValue)
        s.bind(":sig_detail", r.signature.detail)
        s.bind(":response_status", r.response.status)
        s.bind(":response_duration_us", r.response.durationMicros)
        s.bind(":delivery_state", r.deliveryState.rawValue)
        s.bind(":delivery_id", r.deliveryID)
        s.bind(":target_url", r.targetURL)
        s.bind(":next_attempt_at", r.nextAttemptAt?.microseconds)
        s.bind(":leased_by", leasedBy.map(Int64.init))
        s.bind(":scheduled_attempts", r.scheduledAttempts)
        s.bind(":delivery_note", r.deliveryNote)
        s.bind(":error", r.error)
        s.bind(":trailers", r.trailers.isEmpty ? nil : r.trailers.wireEncoded)
        // A request to an expected callback's URL takes its label (the store knows the expectations).
        s.bind(":label", r.label)
        s.bind(":arrival", r.arrival?.rawValue)
        if let token { s.bind(":cb_token", token) }
        s.bind(":node", r.node ?? node)
    }

    /// What a request query selects: each field's SQL, in the order the
    /// result has them. The body is an empty blob when the caller does not
    /// want it, so listing never reads payloads.
    enum Field: Int32, CaseIterable, ResultColumn {
        case id, receivedAt, remote, method, target, version, headers, body, bodySize, bodyTruncated, source,
             sigScheme, sigStatus, sigDetail, responseStatus, responseHeaders, responseBody, responseDurationUs,
             deliveryState, deliveryID, duplicateOf, targetURL, nextAttemptAt, scheduledAttempts, deliveryNote, error, trailers,
             label, expectArrival, node

        func sql(withBody: Bool) -> String {
            switch self {
            case .body: withBody ? "body" : "x''"
            case .responseBody: withBody ? "response_body" : "x''"
            case .duplicateOf: "duplicate_of"
            case .deliveryID: "delivery_id"
            case .targetURL: "target_url"
            default: RequestRows.column(self)
            }
        }
    }

    static func selectSQL(withBody: Bool) -> String {
        "SELECT " + Field.allCases.map { $0.sql(withBody: withBody) }.joined(separator: ", ") + " FROM requests"
    }

    static func decode(_ s: Statement) -> CapturedRequest {
        var r = CapturedRequest(
            id: s.int(Field.id),
            receivedAt: Timestamp(microseconds: s.int(Field.receivedAt)),
            remote: s.text(Field.remote) ?? "",
            method: s.text(Field.method) ?? "",
            target: s.text(Field.target) ?? "",
            version: s.text(Field.version) ?? "",
            headers: HeaderList(wireEncoded: s.text(Field.headers) ?? ""),
            body: s.blob(Field.body),
            bodySize: Int(s.int(Field.bodySize)),
            bodyTruncated: s.int(Field.bodyTruncated) != 0,
            source: s.text(Field.source),
            signature: SignatureResult(
                scheme: s.text(Field.sigScheme),
                status: SignatureStatus(rawValue: s.text(Field.sigStatus) ?? "") ?? .none,
                detail: s.text(Field.sigDetail)),
            response: RecordedResponse(
                status: Int(s.int(Field.responseStatus)),
                headers: HeaderList(wireEncoded: s.text(Field.responseHeaders) ?? ""),
                body: s.blob(Field.responseBody),
                durationMicros: s.int(Field.responseDurationUs)),
            deliveryState: DeliveryState(rawValue: s.text(Field.deliveryState) ?? "") ?? .none,
            deliveryID: s.text(Field.deliveryID),
            duplicateOf: s.optionalInt(Field.duplicateOf),
            targetURL: s.text(Field.targetURL),
            nextAttemptAt: s.optionalInt(Field.nextAttemptAt).map(Timestamp.init(microseconds:)),
            scheduledAttempts: Int(s.int(Field.scheduledAttempts)),
            deliveryNote: s.text(Field.deliveryNote))
        r.error = s.text(Field.error)
        r.trailers = HeaderList(wireEncoded: s.text(Field.trailers) ?? "")
        r.label = s.text(Field.label)
        r.arrival = s.text(Field.expectArrival).flatMap(Expectation.State.init(rawValue:))
        r.node = s.text(Field.node)
        return r
    }

    static let insertAttemptSQL = """
        INSERT INTO deliveries (request_id, attempt, kind, url, started_at, duration_us, status, error, response_headers, response_body)
        VALUES (:request_id, :attempt, :kind, :url, :started_at, :duration_us, :status, :error, :response_headers, :response_body)
        """

    /// Numbers the attempt after the request's last one.
    static let appendAttemptSQL = """
        INSERT INTO deliveries (request_id, attempt, kind, url, started_at, duration_us, status, error, response_headers, response_body)
        VALUES (:request_id, (SELECT coalesce(max(attempt), 0) + 1 FROM deliveries WHERE request_id = :request_id),
                :kind, :url, :started_at, :duration_us, :status, :error, :response_headers, :response_body)
        """

    /// Binds an attempt; `:attempt` only where the SQL has it (an import keeps the file's numbers).
    static func bindAttempt(_ s: Statement, _ a: DeliveryAttempt, requestID: Int64, numbered: Bool) {
        s.bind(":request_id", requestID)
        if numbered { s.bind(":attempt", a.attempt) }
        s.bind(":kind", a.kind.rawValue)
        s.bind(":url", a.url)
        s.bind(":started_at", a.startedAt.microseconds)
        s.bind(":duration_us", a.durationMicros)
        s.bind(":status", a.status.map(Int64.init))
        s.bind(":error", a.error)
        s.bind(":response_headers", a.responseHeaders.wireEncoded)
        s.bind(":response_body", blob: a.responseBody)
    }

    /// What an attempts query selects, in the order the result has them.
    enum AttemptField: Int32, CaseIterable, ResultColumn {
        case attempt, kind, url, startedAt, durationUs, status, error, responseHeaders, responseBody
    }

    static let deliveriesSQL = "SELECT " + AttemptField.allCases.map(column).joined(separator: ", ")
        + " FROM deliveries WHERE request_id = :request_id ORDER BY attempt, id"

    /// A field's column: its name in snake case (`startedAt` is `started_at`).
    static func column(_ field: some ResultColumn) -> String {
        String(describing: field).reduce(into: "") { out, c in out += c.isUppercase ? "_" + c.lowercased() : String(c) }
    }

    static func decodeAttempt(_ s: Statement) -> DeliveryAttempt {
        DeliveryAttempt(
            attempt: Int(s.int(AttemptField.attempt)),
            kind: DeliveryAttempt.Kind(rawValue: s.text(AttemptField.kind) ?? "") ?? .forward,
            url: s.text(AttemptField.url) ?? "",
            startedAt: Timestamp(microseconds: s.int(AttemptField.startedAt)),
            durationMicros: s.int(AttemptField.durationUs),
            status: s.optionalInt(AttemptField.status).map { Int($0) },
            error: s.text(AttemptField.error),
            responseHeaders: HeaderList(wireEncoded: s.text(AttemptField.responseHeaders) ?? ""),
            responseBody: s.blob(AttemptField.responseBody))
    }
}
