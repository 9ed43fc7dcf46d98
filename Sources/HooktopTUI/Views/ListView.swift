import HooktopCore

/// The header line, the request list and the status line.
enum ListView {
    struct Columns {
        var id = 6, time = 8, method = 6, source = 8, sig = 1, status = 3, delivery = 9, size = 7
        var path: Int
        var showSource: Bool

        init(width: Int) {
            showSource = width >= 90
            let fixed = id + time + method + sig + status + delivery + size + (showSource ? source + 1 : 0) + 8
            path = max(8, width - fixed)
        }
    }

    static func draw(_ model: Model, into screen: inout Screen) {
        HeaderView.draw(model, into: &screen)
        let top = model.headerLines
        let cols = Columns(width: screen.width)
        var titles = Layout.fit("ID", cols.id, alignRight: true) + " " + Layout.fit("TIME", cols.time) + " "
            + Layout.fit("METHOD", cols.method) + " " + Layout.fit("PATH", cols.path) + " "
        if cols.showSource { titles += Layout.fit("SOURCE", cols.source) + " " }
        titles += "S " + Layout.fit("ST", cols.status) + " " + Layout.fit("DELIVERY", cols.delivery) + " " + Layout.fit("SIZE", cols.size, alignRight: true)
        screen.put(titles, x: 0, y: top, role: .dim)
        if model.page.isEmpty {
            let hint = model.filter == nil
                ? "No requests yet. Send one: curl -d '{}' http://\(model.listening ?? "HOST:PORT")/hook"
                : "No request matches the filter \(TerminalText.inline(model.filterText))"
            screen.put(hint, x: 2, y: top + 2, role: .dim)
        }
        for (i, r) in model.page.prefix(model.listRows).enumerated() {
            let y = top + 1 + i
            var line: Line = [
                Span(Layout.fit(String(r.id), cols.id, alignRight: true) + " "),
                Span(Layout.fit(String(r.receivedAt.timeOfDay.prefix(8)), cols.time) + " ", .dim),
                Span(Layout.fit(TerminalText.inline(r.method), cols.method) + " ", Marks.method(r.method)),
                Span(Layout.fit((r.duplicateOf != nil ? "⟲ " : "") + TerminalText.inline(r.target), cols.path) + " ",
                     r.duplicateOf != nil ? .duplicate : .normal),
            ]
            if cols.showSource { line.append(Span(Layout.fit(TerminalText.inline(r.source ?? ""), cols.source) + " ", .dim)) }
            let (mark, markRole) = Marks.signature(r.signature.status)
            line += [
                Span(Layout.fit(mark, cols.sig) + " ", markRole),
                Span(Layout.fit(String(r.response.status), cols.status) + " ", Marks.status(r.response.status)),
                Span(Layout.fit(r.deliveryState == .none ? "" : r.deliveryState.rawValue, cols.delivery) + " ", Marks.delivery(r.deliveryState)),
                Span(Layout.fit(ByteSize.describe(r.bodySize) + (r.bodyTruncated ? "+" : ""), cols.size, alignRight: true), .dim),
            ]
            screen.draw(line, x: 0, y: y)
            if i == model.selected { screen.fill(y: y, role: .selection) }
        }
        StatusBar.draw(model, into: &screen)
    }
}

enum HeaderView {
    static func draw(_ model: Model, into screen: inout Screen) {
        screen.clearLine(0, role: .header)
        var line: Line = [Span(" hooktop ", .headerAccent)]
        line.append(Span(model.listening.map { " ● \($0) " } ?? " attached ", .header))
        let narrow = screen.width < 100
        line.append(Span(" db \(shortPath(model.databasePath, narrow ? screen.width / 7 : screen.width / 4)) ", .header))
        let total = model.stats.total.map { Layout.thousands($0) } ?? "…"
        line.append(Span(" \(total) req ", .header))
        let recent = Array(model.stats.perSecond.suffix(narrow ? 6 : 12))
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

enum StatusBar {
    static func draw(_ model: Model, into screen: inout Screen) {
        let y = screen.height - 1
        screen.clearLine(y, role: .statusBar)
        if case .input(let input, let text, _) = model.mode {
            let prompt = input == .filter ? "filter: " : "export (har|ndjson|curl|raw):file: "
            let used = screen.put(prompt, x: 0, y: y, role: .statusKey)
            screen.put(TerminalText.inline(text) + "▏", x: used, y: y, role: .statusBar)
            if let message = model.message {
                let w = CharWidth.of(message)
                screen.put(message, x: max(used + CharWidth.of(text) + 2, screen.width - w), y: y, role: .error)
            }
            return
        }
        var right = ""
        if let message = model.message { right = message }
        else if !model.filterText.isEmpty { right = "filter: " + TerminalText.inline(model.filterText) + (model.matching.map { " (\(Layout.thousands($0)))" } ?? "") }
        let rightWidth = min(CharWidth.of(right), screen.width)
        // Key hints fill what the message leaves free.
        var x = 0
        for binding in KeyBinding.table where binding.inStatusLine && binding.contexts.contains(model.context) {
            let hint: Line = [Span(" \(binding.label) ", .statusKey), Span(shortHelp(binding.command) + " ", .statusBar)]
            let w = hint.reduce(0) { $0 + CharWidth.of($1.text) }
            if x + w > screen.width - rightWidth - 1 { break }
            x += screen.draw(hint, x: x, y: y)
        }
        if !right.isEmpty {
            screen.put(right, x: max(x + 1, screen.width - rightWidth), y: y,
                       role: model.message?.hasPrefix("error") == true || model.message?.hasPrefix("filter:") == true ? .error : .statusBar)
        }
    }

    static func shortHelp(_ c: Command) -> String {
        switch c {
        case .open: "open"
        case .back: "back"
        case .nextTab: "tab"
        case .filter: "filter"
        case .follow: "follow"
        case .replay: "replay"
        case .retry: "retry"
        case .help: "help"
        case .quit: "quit"
        default: c.rawValue
        }
    }
}

enum HelpView {
    static func draw(_ model: Model, into screen: inout Screen) {
        let rows = KeyBinding.table
        guard screen.width >= 30, screen.height >= 8 else {
            screen.put("keys: see `hooktop --help` (window too small)", x: 0, y: 0, role: .banner)
            return
        }
        // One column when it fits, else two (80x24 shows every key too).
        let oneColumn = rows.count + 4 <= screen.height - 2
        let columns = oneColumn ? 1 : 2
        let boxWidth = min(screen.width - 2, oneColumn ? 60 : 78)
        let perColumn = (rows.count + columns - 1) / columns
        let boxHeight = min(screen.height - 1, perColumn + 4)
        let x0 = (screen.width - boxWidth) / 2, y0 = max(1, (screen.height - boxHeight) / 2)
        for y in y0..<(y0 + boxHeight) {
            screen.put(String(repeating: " ", count: boxWidth), x: x0, y: y, role: .normal)
            screen.put("│", x: x0, y: y, role: .border)
            screen.put("│", x: x0 + boxWidth - 1, y: y, role: .border)
        }
        screen.put("┌" + String(repeating: "─", count: boxWidth - 2) + "┐", x: x0, y: y0, role: .border)
        screen.put(" keys ", x: x0 + 2, y: y0, role: .headerAccent)
        let columnWidth = (boxWidth - 3) / columns
        let keyWidth = oneColumn ? 14 : 10
        for (i, b) in rows.enumerated() {
            let column = i / perColumn, row = i % perColumn
            let y = y0 + 1 + row
            guard y < y0 + boxHeight - 2 else { continue }
            let x = x0 + 2 + column * columnWidth
            screen.put(Layout.fit(b.keys.compactMap(label).joined(separator: " "), keyWidth), x: x, y: y, role: .statusKey)
            screen.put(b.help + (b.acts ? " ⚡" : ""), x: x + keyWidth + 1, y: y, role: .normal, maxWidth: columnWidth - keyWidth - 2)
        }
        let last = y0 + boxHeight - 2
        screen.put("⚡ sends requests or writes files · any key closes", x: x0 + 2, y: last, role: .dim, maxWidth: boxWidth - 4)
        screen.put("└" + String(repeating: "─", count: boxWidth - 2) + "┘", x: x0, y: y0 + boxHeight - 1, role: .border)
    }

    static func label(_ key: Key) -> String? {
        switch key {
        case .char(" "): "Space"
        case .char(let c): String(c)
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "⏎"
        case .escape: "Esc"
        case .tab: "Tab"
        case .backTab: "S-Tab"
        case .ctrlC: "^C"
        case .backspace, .wheelUp, .wheelDown, .click: nil
        }
    }
}

/// The whole screen for a model.
public enum Render {
    public static func screen(_ model: Model) -> Screen {
        var screen = Screen(width: model.width, height: model.height)
        switch model.mode {
        case .detail:
            DetailView.draw(model, into: &screen)
        case .help(let returnTo):
            if returnTo == .detail { DetailView.draw(model, into: &screen) } else { ListView.draw(model, into: &screen) }
            HelpView.draw(model, into: &screen)
        case .input(_, _, let returnTo):
            if returnTo == .detail { DetailView.draw(model, into: &screen) } else { ListView.draw(model, into: &screen) }
            StatusBar.draw(model, into: &screen)
        case .list:
            ListView.draw(model, into: &screen)
        }
        return screen
    }
}
