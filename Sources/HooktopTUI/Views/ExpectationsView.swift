import HooktopCore

/// The callbacks `hooktop expect` handed out: label, state, the time left
/// (or how late), the requests that came, and the URL.
enum ExpectationsView {
    static func draw(_ model: Model, into screen: inout Screen) {
        HeaderView.draw(model, into: &screen)
        let top = model.headerLines
        let label = 16, state = 8, deadline = 12, callbacks = 12
        let url = max(10, screen.width - label - state - deadline - callbacks - 4)
        screen.put(Layout.fit("EXPECTED", label) + " " + Layout.fit("STATE", state) + " " + Layout.fit("DEADLINE", deadline) + " "
                   + Layout.fit("CALLBACKS", callbacks) + " " + Layout.fit("URL", url), x: 0, y: top, role: .dim)
        if model.expectations.isEmpty {
            screen.put("No expected callbacks. Make one: hooktop expect --label NAME --within 10m", x: 2, y: top + 2, role: .dim)
        }
        for (i, e) in model.expectations.prefix(max(0, screen.height - top - 2)).enumerated() {
            let y = top + 1 + i
            let s = e.state(now: model.now)
            let line: Line = [
                Span(Layout.fit(TerminalText.inline(e.label), label) + " ", .highlight),
                Span(Layout.fit(s.rawValue, state) + " ", role(s)),
                Span(Layout.fit(countdown(e, now: model.now), deadline) + " ", s == .overdue ? .error : .normal),
                Span(Layout.fit(e.callbacks.isEmpty ? "–" : e.callbacks.map { "#\($0)" }.joined(separator: " "), callbacks) + " "),
                Span(Layout.fit(TerminalText.inline(e.url), url), .dim),
            ]
            screen.draw(line, x: 0, y: y)
            if i == model.expectationSelected { screen.fill(y: y, role: .selection) }
        }
        StatusBar.draw(model, into: &screen)
    }

    /// `4m 10s left`, `2m 5s late`, `no deadline`; once a callback came, when it came against the deadline.
    static func countdown(_ e: Expectation, now: Timestamp) -> String {
        guard let deadline = e.deadline else { return "no deadline" }
        let at = e.firstCallbackAt ?? now
        let left = deadline.elapsedMicroseconds(since: at) / 1_000_000
        if e.firstCallbackAt != nil { return left >= 0 ? "in time" : DurationText.short(seconds: -left) + " late" }
        return left >= 0 ? DurationText.short(seconds: left) + " left" : DurationText.short(seconds: -left) + " late"
    }

    static func role(_ s: Expectation.State) -> Role {
        switch s {
        case .waiting: .deliveryPending
        case .overdue: .error
        case .done: .deliveryOK
        }
    }
}
