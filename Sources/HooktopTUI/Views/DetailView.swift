import Foundation
import HooktopCore

/// One request: a summary line, the tabs, and the selected tab's lines.
enum DetailView {
    static func draw(_ model: Model, into screen: inout Screen, cache: DetailCache? = nil) {
        HeaderView.draw(model, into: &screen)
        let top = model.headerLines
        guard let r = model.detail else {
            if let problem = model.detailProblem {
                screen.put("this request is " + TerminalText.inline(problem), x: 2, y: top + 1, role: .error)
            } else {
                screen.put("loading…", x: 2, y: top + 1, role: .dim)
            }
            StatusBar.draw(model, into: &screen)
            return
        }
        let (mark, markRole) = Marks.signature(r.signature.status)
        var title: Line = [
            Span("#\(r.id) ", .highlight), Span(TerminalText.inline(r.method) + " ", Marks.method(r.method)),
            Span(TerminalText.inline(r.target) + "  "), Span("\(r.response.status) ", Marks.status(r.response.status)),
            Span("\(mark) \(r.signature.status.rawValue)", markRole),
        ]
        // The problem goes first, so a long target cannot push it off the line.
        if let problem = model.detailProblem { title.insert(Span("(" + TerminalText.inline(problem) + ") ", .error), at: 1) }
        screen.draw(title, x: 0, y: top)
        var x = 0
        for tab in Model.Tab.allCases {
            let active = tab == model.tab
            x += screen.put(active ? "[\(tab.rawValue)]" : " \(tab.rawValue) ", x: x, y: top + 1, role: active ? .tabActive : .tabInactive)
            x += screen.put(" ", x: x, y: top + 1, role: .normal)
        }
        let contentTop = top + 2
        let height = max(0, screen.height - 1 - contentTop)
        let lines = cache?.document(model, r) ?? Self.document(model, r)
        let maxScroll = max(0, lines.count - height)
        let scroll = min(model.detailScroll, maxScroll)
        // Only the visible lines are laid out, cut, highlighted and drawn: the cost of a frame does not grow with the body.
        for (i, full) in (scroll..<min(lines.count, scroll + height)).map(lines.row).enumerated() {
            var line = !model.wrap && model.detailColumn > 0 ? Layout.dropColumns(full, model.detailColumn) : full
            if let search = model.search, !search.isEmpty, matches(full, search) { line = line.map { Span($0.text, .highlight) } }
            let used = screen.draw(line, x: 0, y: contentTop + i)
            if !model.wrap, used >= screen.width - 1, CharWidth.of(line.map(\.text).joined()) > screen.width {
                screen.put("…", x: screen.width - 1, y: contentTop + i, role: .dim)
            }
        }
        if lines.count > height {
            let position = "\(scroll + 1)–\(min(lines.count, scroll + height))/\(lines.count)"
            screen.put(position, x: max(0, min(screen.width - 16, screen.width - position.count - 1)), y: top + 1, role: .dim)
        }
        StatusBar.draw(model, into: &screen)
    }

    /// The open tab's lines as the view lays them out (wrapped when wrapping):
    /// what scrolling and search count in.
    static func document(_ model: Model, _ r: CapturedRequest) -> DetailDocument {
        document(model, content(r, tab: model.tab, bodyView: model.bodyView))
    }

    /// `parts` (the tab's content) wrapped as the model says.
    static func document(_ model: Model, _ parts: [DetailDocument.Part]) -> DetailDocument {
        DetailDocument(parts, wrapWidth: model.wrap ? model.width - 1 : nil)
    }

    static func matches(_ line: Line, _ search: String) -> Bool {
        line.map(\.text).joined().range(of: search, options: .caseInsensitive) != nil
    }

    static func content(_ r: CapturedRequest, tab: Model.Tab, bodyView: Model.BodyView = .auto) -> [DetailDocument.Part] {
        switch tab {
        case .overview: return [.lines(overview(r))]
        case .headers:
            return [.lines(r.headers.map { [Span(TerminalText.inline($0.name), .jsonKey), Span(": ", .jsonPunct), Span(TerminalText.inline($0.value))] })]
        case .body:
            return BodyFormatter.parts(body: r.body, contentType: r.headers.first("Content-Type"), truncated: r.bodyTruncated, view: bodyView)
        case .signature:
            return [.lines(signature(r))]
        case .deliveries:
            return [.lines(deliveries(r))]
        case .raw:
            // As on the wire, CR LF shown as line ends (the head's), the body's bytes escaped.
            let head = "\(r.method) \(r.target) \(r.version)\n" + r.headers.wireEncoded.replacingOccurrences(of: "\r\n", with: "\n") + "\n"
            return [.text(TextLines(Array(head.utf8) + r.body, expandTabs: true))]
        }
    }

    static func field(_ name: String, _ value: String, _ role: Role = .normal) -> Line {
        [Span(Layout.fit(name, 12), .dim), Span(value, role)]
    }

    static func overview(_ r: CapturedRequest) -> [Line] {
        var out: [Line] = [
            field("received", "\(r.receivedAt.iso8601) from \(r.remote)" + (r.node.map { " by node " + TerminalText.inline($0) } ?? "")),
            field("request", "\(TerminalText.inline(r.method)) \(TerminalText.inline(r.target)) \(r.version)", Marks.method(r.method)),
            field("body", ByteSize.describe(r.bodySize) + (r.bodyTruncated ? " (truncated)" : "")
                  + (r.headers.first("Content-Type").map { "  " + TerminalText.inline($0) } ?? "")),
            field("source", r.source.map(TerminalText.inline) ?? "–"),
            field("signature", "\(Marks.signature(r.signature.status).0) \(r.signature.status.rawValue)"
                  + (r.signature.scheme.map { " (\($0))" } ?? ""), Marks.signature(r.signature.status).1),
            field("answered", "\(r.response.status) in " + DurationText.milliseconds(r.response.durationMicros) + " ms",
                  Marks.status(r.response.status)),
            field("delivery", r.deliveryState.rawValue + (r.targetURL.map { " → " + TerminalText.inline($0) } ?? ""), Marks.delivery(r.deliveryState)),
        ]
        if let error = r.error { out.insert(field("broken", TerminalText.inline(error), .error), at: 0) }
        if let oauth = OAuthRedirect(r) {
            out.insert(field("oauth", "redirect: " + TerminalText.inline(oauth.summary), oauth.succeeded ? .highlight : .error), at: 2)
        }
        if let label = r.label {
            let when = r.arrival == .overdue ? " (came after its deadline)" : " (came by its deadline)"
            out.insert(field("expected", TerminalText.inline(label) + when, r.arrival == .overdue ? .error : .highlight), at: 2)
        }
        if !r.trailers.isEmpty {
            out.append(field("trailers", r.trailers.map { "\(TerminalText.inline($0.name)): \(TerminalText.inline($0.value))" }.joined(separator: "; ")))
        }
        if let next = r.nextAttemptAt, r.deliveryState == .retrying { out.append(field("next try", next.iso8601)) }
        if let note = r.deliveryNote { out.append(field("", TerminalText.inline(note), .deliveryFailed)) }
        if let dup = r.duplicateOf { out.append(field("duplicate", "same delivery id as #\(dup): \(TerminalText.inline(r.deliveryID ?? ""))", .duplicate)) }
        let query = FormDecoding.pairs(r.query)
        if !query.isEmpty {
            out.append([])
            out.append([Span("query parameters", .dim)])
            let keyWidth = min(20, query.map { CharWidth.of(TerminalText.inline($0.0)) }.max() ?? 0)
            for (key, value) in query {
                // The parts of an OAuth redirect a person looks for first.
                let important = ["code", "state", "error", "error_description", "id_token", "access_token"].contains(key)
                out.append([Span("  " + Layout.fit(TerminalText.inline(key), keyWidth), important ? .highlight : .jsonKey), Span(" = ", .jsonPunct),
                            Span(TerminalText.inline(value), key.hasPrefix("error") ? .error : (important ? .highlight : .jsonString))])
            }
        }
        return out
    }

    static func signature(_ r: CapturedRequest) -> [Line] {
        let (mark, role) = Marks.signature(r.signature.status)
        var out: [Line] = [
            field("scheme", r.signature.scheme ?? "none detected"),
            field("status", "\(mark) \(r.signature.status.rawValue)", role),
        ]
        if let detail = r.signature.detail {
            out.append([])
            for part in detail.components(separatedBy: "; ") { out.append([Span("• ", .dim), Span(TerminalText.inline(part))]) }
        }
        return out
    }

    static func deliveries(_ r: CapturedRequest) -> [Line] {
        guard !r.deliveries.isEmpty else {
            return [[Span(r.targetURL == nil ? "No target: start with --forward-to URL or set forward_to in a source." : "No attempt yet.", .dim)]]
        }
        // The state first, so a retry landing is seen at a glance.
        var state = [Span("state ", .dim), Span(r.deliveryState.rawValue, Marks.delivery(r.deliveryState))]
        if let next = r.nextAttemptAt, r.deliveryState == .retrying { state.append(Span("  next attempt " + next.iso8601, .dim)) }
        if let note = r.deliveryNote { state.append(Span("  " + TerminalText.inline(note), .deliveryFailed)) }
        var out: [Line] = [state, []]
        for d in r.deliveries {
            let outcome: Span = d.status.map { Span("HTTP \($0)", Marks.status($0)) } ?? Span(TerminalText.inline(d.error ?? "no answer"), .deliveryFailed)
            out.append([Span("#\(d.attempt) ", .highlight), Span(Layout.fit(d.kind.rawValue, 8), .dim), Span(d.startedAt.iso8601 + "  "),
                        outcome, Span("  \(DurationText.milliseconds(d.durationMicros)) ms", .dim)])
            out.append([Span("   " + TerminalText.inline(d.url), .dim)])
            if !d.responseBody.isEmpty {
                let preview = TerminalText.inline(String(decoding: d.responseBody.prefix(200), as: UTF8.self))
                out.append([Span("   ← ", .dim), Span(preview)])
            }
        }
        return out
    }
}
