import Foundation
import HooktopCore

/// Text for people: the list table, the live line and `show`. Everything that
/// came from a request goes through `TerminalText` first.
enum RequestFormat {
    static let tableHeader = pad("ID", 7) + "  " + pad("TIME (UTC)", 23) + "  " + pad("METHOD", 7) + "  "
        + pad("STATUS", 6) + "  " + pad("SIG", 9) + "  " + pad("DELIVERY", 9) + "  " + pad("SIZE", 9) + "  DUP  TARGET"

    static func tableRow(_ r: CapturedRequest) -> String {
        pad(String(r.id), 7) + "  " + pad(r.receivedAt.iso8601, 23) + "  " + pad(TerminalText.inline(r.method), 7) + "  "
            + pad(String(r.response.status), 6) + "  " + pad(r.signature.status.rawValue, 9) + "  "
            + pad(r.deliveryState == .none ? "-" : r.deliveryState.rawValue, 9) + "  " + pad(size(r), 9) + "  " + (r.error != nil ? "ERR  " : r.duplicateOf != nil ? "dup  " : "     ")
            + (r.tag.map { "[\(TerminalText.inline($0))] " } ?? "") + TerminalText.inline(r.target)
    }

    static let liveHeader = "hooktop: capturing; one line per request (Ctrl-C stops)"

    static func liveLine(_ r: CapturedRequest) -> String {
        "\(r.receivedAt.timeOfDay)  #\(r.id)  \(TerminalText.inline(r.method)) \(TerminalText.inline(r.target))  "
            + "\(r.response.status)  \(size(r))  from \(r.remote)"
    }

    static func detail(_ r: CapturedRequest) -> String {
        var lines = [
            "#\(r.id)  \(TerminalText.inline(r.method)) \(TerminalText.inline(r.target))  \(r.version)",
            "received   \(r.receivedAt.iso8601) from \(r.remote)" + (r.node.map { " by node \(TerminalText.inline($0))" } ?? ""),
            "body       \(size(r))" + (r.headers.first("content-type").map { " (\(TerminalText.inline($0)))" } ?? ""),
            "source     \(r.source ?? "-")",
            "signature  \(r.signature.status.rawValue)" + (r.signature.scheme.map { " (\($0))" } ?? "")
                + (r.signature.detail.map { ": \(TerminalText.inline($0))" } ?? ""),
            "response   \(r.response.status) in \(r.response.durationMicros / 1000).\(pad3(r.response.durationMicros % 1000)) ms",
            "delivery   \(r.deliveryState.rawValue)" + (r.targetURL.map { " to \($0)" } ?? "")
                + (r.nextAttemptAt.map { r.deliveryState == .retrying ? "; next attempt \($0.iso8601)" : "" } ?? "")
                + (r.deliveryNote.map { "; \($0)" } ?? ""),
            "error      " + (r.error.map { TerminalText.inline($0) } ?? "none"),
            "duplicate  " + (r.duplicateOf.map { "yes: the same delivery id as #\($0) (\(TerminalText.inline(r.deliveryID ?? "")))" } ?? "no"),
            "",
        ]
        lines += r.headers.map { "\(TerminalText.inline($0.name)): \(TerminalText.inline($0.value))" }
        if !r.body.isEmpty {
            lines.append("")
            lines.append(TerminalText.looksLikeText(r.body)
                ? TerminalText.block(r.body)
                : TerminalText.hexDump(r.body, limit: 4096))
        }
        if !r.deliveries.isEmpty { lines.append("") }
        for d in r.deliveries {
            lines.append("attempt \(d.attempt)  \(d.startedAt.iso8601)  \(d.kind.rawValue)  \(d.url)  "
                + (d.status.map { "HTTP \($0)" } ?? d.error ?? "?") + "  \(DurationText.milliseconds(d.durationMicros)) ms")
        }
        return lines.joined(separator: "\n")
    }

    static func size(_ r: CapturedRequest) -> String {
        ByteSize.describe(r.bodySize) + (r.bodyTruncated ? "+" : "")
    }

    private static func pad3(_ n: Int64) -> String {
        let s = String(n)
        return String(repeating: "0", count: 3 - s.count) + s
    }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
    }
}
