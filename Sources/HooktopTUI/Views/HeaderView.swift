import HooktopCore

/// The top line (and the alert banner under it).
enum HeaderView {
    static func draw(_ model: Model, into screen: inout Screen) {
        screen.clearLine(0, role: .header)
        var line: Line = [Span(" hooktop ", .headerAccent)]
        line.append(Span(model.listening.map { " ● \($0) " } ?? " attached ", .header))
        let narrow = screen.width < 100
        line.append(Span(" db \(shortPath(model.databasePath, narrow ? screen.width / 7 : screen.width / 4)) ", .header))
        let total = model.stats.total.map { Layout.thousands($0) } ?? "…"
        line.append(Span(" \(total) req ", .header))
        // Whole seconds only: the one under way is still counting, and would show a rate that is not there.
        let recent = Array(model.stats.perSecond.dropLast().suffix(narrow ? 6 : 12))
        line.append(Span(" " + Marks.sparkline(recent) + " \(recent.last ?? 0)/s ", .header))
        if let bad = model.stats.signatureFailures, bad > 0 { line.append(Span(" ✗\(Layout.thousands(bad)) sig ", .sigInvalid)) }
        if let failing = model.stats.failingDeliveries, failing > 0 { line.append(Span(" ⚠\(Layout.thousands(failing)) failing ", .deliveryFailed)) }
        if !model.follow { line.append(Span(" paused ", .header)) }
        screen.draw(line, x: 0, y: 0)
        screen.fill(y: 0, role: .header)
        for (i, span) in line.enumerated() where span.role != .header {
            // Accents keep their own colour over the header bar.
            let x = line.prefix(i).reduce(0) { $0 + CharWidth.of($1.text) }
            screen.fill(y: 0, from: x, to: x + CharWidth.of(span.text), role: span.role)
        }
        if let banner = model.banner {
            screen.clearLine(1, role: .banner)
            screen.put(" ⚠ " + TerminalText.inline(banner), x: 0, y: 1, role: .banner)
        }
    }

    static func shortPath(_ path: String, _ width: Int) -> String {
        CharWidth.of(path) <= max(10, width) ? path : "…" + String(path.suffix(max(9, width - 1)))
    }
}
