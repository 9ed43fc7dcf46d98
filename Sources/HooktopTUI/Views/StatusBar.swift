import HooktopCore

/// The bottom line: key hints from the key table, or a prompt, and a message.
enum StatusBar {
    static func draw(_ model: Model, into screen: inout Screen) {
        let y = screen.height - 1
        screen.clearLine(y, role: .statusBar)
        if case .input(let input, let text, _) = model.mode {
            let prompt = switch input {
            case .filter: "filter: "
            case .search: "search: "
            case .export: "export (har|ndjson|curl|raw):file: "
            case .replayTo(let id): "replay #\(id) to: "
            }
            let used = screen.put(prompt, x: 0, y: y, role: .statusKey)
            screen.put(TerminalText.inline(text) + "▏", x: used, y: y, role: .statusBar)
            if let notice = model.notice {
                let w = CharWidth.of(notice.text)
                screen.put(notice.text, x: max(used + CharWidth.of(text) + 2, screen.width - w), y: y, role: role(notice))
            }
            return
        }
        var right = ""
        if let notice = model.notice { right = notice.text }
        else if !model.filterText.isEmpty { right = "filter: " + TerminalText.inline(model.filterText) + (model.matching.map { " (\(Layout.thousands($0)))" } ?? "") }
        let rightWidth = min(CharWidth.of(right), screen.width)
        // Key hints fill what the message leaves free.
        var x = 0
        for binding in KeyBinding.offered(readOnly: model.readOnly) where binding.contexts.contains(model.context) {
            guard let short = binding.short else { continue }
            let hint: Line = [Span(" \(binding.label) ", .statusKey), Span(short + " ", .statusBar)]
            let w = hint.reduce(0) { $0 + CharWidth.of($1.text) }
            if x + w > screen.width - rightWidth - 1 { break }
            x += screen.draw(hint, x: x, y: y)
        }
        if !right.isEmpty {
            screen.put(right, x: max(x + 1, screen.width - rightWidth), y: y, role: model.notice.map(role) ?? .statusBar)
        }
    }

    static func role(_ notice: Notice) -> Role {
        notice.kind == .error ? .error : .statusBar
    }
}
