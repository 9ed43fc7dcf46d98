import Foundation

extension CapturedRequest {
    /// The JSON object of SPEC.md ("JSON of one request"). `list --json` leaves
    /// the body and the attempts out unless asked for them.
    public func json(includeBody: Bool = true, includeDeliveries: Bool = true) -> JSON {
        var members: [(String, JSON)] = [
            ("id", .int(id)),
            ("received_at", .string(receivedAt.iso8601)),
            ("remote", .string(remote)),
            ("method", .string(method)),
            ("target", .string(target)),
            ("path", .string(path)),
            ("query", .string(query)),
            ("version", .string(version)),
            ("headers", .array(headers.map { .array([.string($0.name), .string($0.value)]) })),
        ]
        if includeBody {
            members.append(("body_base64", .string(Data(body).base64EncodedString())))
        }
        members += [
            ("body_size", .int(Int64(bodySize))),
            ("body_truncated", .bool(bodyTruncated)),
            ("source", JSON(source)),
            ("signature", .object([
                ("scheme", JSON(signature.scheme)),
                ("status", .string(signature.status.rawValue)),
                ("detail", JSON(signature.detail)),
            ])),
            ("response", .object(responseMembers(includeBody: includeBody))),
        ]
        if includeDeliveries {
            members.append(("deliveries", .array(deliveries.map(\.json))))
        }
        members.append(("delivery_state", .string(deliveryState.rawValue)))
        if !trailers.isEmpty {
            members.append(("trailers", .array(trailers.map { .array([.string($0.name), .string($0.value)]) })))
        }
        if let label {
            members.append(("label", .string(label)))
            members.append(("arrival", JSON(arrival?.rawValue)))
        }
        if let node { members.append(("node", .string(node))) }
        members.append(("error", JSON(error)))
        return .object(members)
    }
}

extension CapturedRequest {
    /// What hooktop answered: status and time always; its headers, and its
    /// body with the request's, so an export carries the whole exchange.
    func responseMembers(includeBody: Bool) -> [(String, JSON)] {
        var members: [(String, JSON)] = [
            ("status", .int(Int64(response.status))),
            ("duration_ms", .double(milliseconds(response.durationMicros))),
            ("headers", .array(response.headers.map { .array([.string($0.name), .string($0.value)]) })),
        ]
        if includeBody { members.append(("body_base64", .string(Data(response.body).base64EncodedString()))) }
        return members
    }
}

extension DeliveryAttempt {
    public var json: JSON {
        .object([
            ("attempt", .int(Int64(attempt))),
            ("kind", .string(kind.rawValue)),
            ("url", .string(url)),
            ("started_at", .string(startedAt.iso8601)),
            ("duration_ms", .double(milliseconds(durationMicros))),
            ("status", JSON(status)),
            ("error", JSON(error)),
        ])
    }
}

/// Milliseconds with at most three decimals (microsecond resolution).
func milliseconds(_ micros: Int64) -> Double {
    Double(micros) / 1000
}
