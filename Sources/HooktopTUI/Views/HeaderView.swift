import HooktopCore

/// The top line (and the alert banner under it).
enum HeaderView {
    static func draw(_ model: Model, into screen: inout Screen) {
        screen.clearLine(0, role: .header)
        var line: Line = [Span(" hooktop ", .headerAccent)]
        line.append(Span(model.listening.map { " ● \($0) " } ?? " attached ", .header))
        let narrow = screen.width < 100
        let total = model.stats.total.map { Layout.thousands($0) } ?? "…"
        line.append(Span(" \(total) req ", .header))
        // Whole seconds only: the one under way is still counting, and would show a rate that is not there.
        let seconds = model.stats.perSecond.dropLast()
        let rate = line.count
        line.append(Span(" \(seconds.last ?? 0)/s ", .header))
        if let bad = model.stats.signatureFailures, bad > 0 { line.append(Span(" ✗\(Layout.thousands(bad)) sig ", .sigInvalid)) }
        if let failing = model.stats.failingDeliveries, failing > 0 { line.append(Span(" ⚠\(Layout.thousands(failing)) failing ", .deliveryFailed)) }
        if !model.follow { line.append(Span(" paused ", .header)) }
        // The counters and "paused" are what changes and must not fall off the edge; the sparkline
        // and then the database's path (cut from the left) take the room they leave.
        var room = screen.width - line.reduce(0) { $0 + CharWidth.of($1.text) }
        let bars = min(narrow ? 6 : 12, room - 1)
        if bars >= 3 {
            line[rate].text = " " + Marks.sparkline(Array(seconds.suffix(bars))) + line[rate].text
            room -= bars + 1
        }
        let pathRoom = room - CharWidth.of(" db  ")
        if pathRoom >= 10 {
            line.insert(Span(" db \(shortPath(model.databasePath, min(pathRoom, narrow ? screen.width / 7 : screen.width / 4))) ", .header), at: 2)
        }
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

    /// The path in at most `width` columns (10 at the least), its end kept: "…/state/hooktop.sqlite".
    static func shortPath(_ path: String, _ width: Int) -> String {
        let path = TerminalText.inline(path), width = max(10, width)
        guard CharWidth.of(path) > width else { return path }
        var kept = Substring(), columns = 1
        for c in path.reversed() {
            columns += CharWidth.of(c)
            if columns > width { break }
            kept.insert(c, at: kept.startIndex)
        }
        return "…" + kept
    }
}
