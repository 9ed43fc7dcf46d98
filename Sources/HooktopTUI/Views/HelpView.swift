import HooktopCore

/// The key table as an overlay, in one or two columns.
enum HelpView {
    static func draw(_ model: Model, into screen: inout Screen) {
        let rows = KeyBinding.offered(readOnly: model.readOnly)
        guard screen.width >= 30, screen.height >= 8 else {
            screen.put("keys: see `hooktop --help` (window too small)", x: 0, y: 0, role: .banner)
            return
        }
        // One column when it fits, else two (80x24 shows every key too).
        let oneColumn = rows.count + 4 <= screen.height - 2
        let columns = oneColumn ? 1 : 2
        let boxWidth = min(screen.width - 2, oneColumn ? 60 : 78)
        let perColumn = (rows.count + columns - 1) / columns
        let legend = Self.legend
        let boxHeight = min(screen.height - 1, perColumn + 4 + legend.count)
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
            guard y < y0 + boxHeight - 2 - legend.count else { continue }
            let x = x0 + 2 + column * columnWidth
            screen.put(Layout.fit(b.keys.compactMap(label).joined(separator: " "), keyWidth), x: x, y: y, role: .statusKey)
            screen.put(b.help + (b.acts ? " ⚡" : ""), x: x + keyWidth + 1, y: y, role: .normal, maxWidth: columnWidth - keyWidth - 2)
        }
        let last = y0 + boxHeight - 2
        for (i, line) in legend.enumerated() {
            screen.draw(line, x: x0 + 2, y: last - legend.count + i, maxWidth: boxWidth - 4)
        }
        screen.put("⚡ sends requests or writes files · any key closes", x: x0 + 2, y: last, role: .dim, maxWidth: boxWidth - 4)
        screen.put("└" + String(repeating: "─", count: boxWidth - 2) + "┘", x: x0, y: y0 + boxHeight - 1, role: .border)
    }

    /// What the list's marks mean, from the same table the list draws them with.
    static var legend: [Line] {
        var signatures: Line = [Span("signature ", .dim)]
        for status in SignatureStatus.allCases {
            let (mark, role) = Marks.signature(status)
            signatures += [Span(mark, role), Span(" \(status.rawValue)  ")]
        }
        let other: Line = [Span("⟲", .duplicate), Span(" duplicate delivery id  "), Span("+", .dim), Span(" truncated body  "),
                           Span("broken", .error), Span(" kept as far as read")]
        return [signatures, other]
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
        case .enter: "Enter"
        case .escape: "Esc"
        case .tab: "Tab"
        case .backTab: "S-Tab"
        case .ctrlC: "^C"
        case .backspace, .wheelUp, .wheelDown, .click: nil
        }
    }
}
