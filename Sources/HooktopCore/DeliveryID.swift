/// The id a provider gives each delivery (the same on its retries), so the
/// same callback arriving twice can be linked: `webhook-id`, `svix-id`,
/// `X-GitHub-Delivery`, `X-Shopify-Webhook-Id`, a Stripe event's `id`, …
public enum DeliveryID {
    /// Headers that carry a delivery id, most specific first.
    public static let headers = [
        "webhook-id", "svix-id", "X-GitHub-Delivery", "X-Shopify-Webhook-Id", "X-Gitlab-Event-UUID",
        "Twitch-Eventsub-Message-Id", "Linear-Delivery", "BOX-DELIVERY-ID", "X-Twilio-Idempotency-Token",
        "Idempotency-Key", "X-Request-Id-Webhook", "X-Zm-Trackingid", "X-Webhook-Id", "X-Event-Id",
    ]

    private static let prefixes = headers.map { $0.lowercased() }

    /// The names' ranks by their length in bytes: a field is compared only
    /// with the names as long as it (most fields with none).
    private static let ranksByLength: [[Int]] = {
        var table = [[Int]](repeating: [], count: (headers.map(\.utf8.count).max() ?? 0) + 1)
        for (rank, name) in headers.enumerated() { table[name.utf8.count].append(rank) }
        return table
    }()

    /// The delivery id, prefixed with where it came from (`svix-id:msg_…`), or nil.
    /// One pass over the request's fields (this runs for every captured
    /// request; a lookup per known name walked the fields fourteen times).
    public static func extract(headers list: HeaderList, body: [UInt8]) -> String? {
        var found: (rank: Int, value: String)?
        var seen: UInt64 = 0  // the names whose first field was looked at (fewer than 64)
        var stripe = false
        for i in list.fields.indices {
            let name = list.fields[i].name
            let length = name.utf8.count
            if length < ranksByLength.count, let rank = ranksByLength[length].first(where: { name.caseInsensitiveEquals(headers[$0]) }) {
                // The most specific name wins, by its first field; an empty one counts as none.
                guard seen & (1 << rank) == 0 else { continue }
                seen |= 1 << rank
                let value = list.fields[i].value
                if !value.isEmpty, rank < found?.rank ?? .max { found = (rank, value) }
            } else if name.caseInsensitiveEquals("Stripe-Signature") {
                stripe = true
            }
        }
        if let found { return "\(prefixes[found.rank]):\(found.value)" }
        if stripe, let id = stripeEventID(body) { return "stripe:\(id)" }
        return nil
    }

    private static let idKey = Array(#""id""#.utf8)

    /// The top-level `"id": "evt_…"` of a Stripe event, found without parsing
    /// the whole body (this runs for every captured Stripe request).
    static func stripeEventID(_ body: [UInt8]) -> String? {
        let key = idKey
        var i = 0
        let limit = min(body.count, 4096)  // Stripe puts the id first; do not scan megabytes
        while i + key.count < limit {
            if body[i] == key[0], body[i..<i + key.count].elementsEqual(key) {
                var j = i + key.count
                while j < limit, body[j] == 0x20 || body[j] == 0x0A || body[j] == 0x0D || body[j] == 0x09 { j += 1 }
                guard j < limit, body[j] == UInt8(ascii: ":") else { i += 1; continue }
                j += 1
                while j < limit, body[j] == 0x20 || body[j] == 0x0A || body[j] == 0x0D || body[j] == 0x09 { j += 1 }
                guard j < limit, body[j] == UInt8(ascii: "\"") else { return nil }
                let start = j + 1
                var end = start
                while end < limit, body[end] != UInt8(ascii: "\""), end - start < 128 { end += 1 }
                // A whole string only: one cut short (a truncated body, an id
                // over 128 bytes) would link unrelated requests as duplicates.
                guard end < limit, body[end] == UInt8(ascii: "\"") else { return nil }
                let id = String(decoding: body[start..<end], as: UTF8.self)
                return id.hasPrefix("evt_") && id.utf8.count > 4 ? id : nil
            }
            i += 1
        }
        return nil
    }
}
