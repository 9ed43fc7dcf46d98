import HooktopCore

/// The request list, between the header and the status line.
enum ListView {
    struct Columns {
        var id = 6, time = 8, node = 8, method = 6, source = 8, sig = 1, status = 3, delivery = 9, size = 7
        var path: Int
        var showSource: Bool
        var showNode: Bool

        /// - widestID: the largest id to show; the column grows past six digits to hold it whole.
        init(width: Int, nodes: Bool = false, widestID: Int64 = 0) {
            id = max(id, String(widestID).count)
            showSource = width >= 90
            showNode = nodes && width >= 60
            let fixed = id + time + method + sig + status + delivery + size + (showSource ? source + 1 : 0) + (showNode ? node + 1 : 0) + 8
            path = max(8, width - fixed)
        }
    }

    static func draw(_ model: Model, into screen: inout Screen) {
        HeaderView.draw(model, into: &screen)
        let top = model.headerLines
        let cols = Columns(width: screen.width, nodes: model.showsNodes, widestID: max(model.newestID, model.page.map(\.id).max() ?? 0))
        var titles = Layout.fit("ID", cols.id, alignRight: true) + " " + Layout.fit("TIME", cols.time) + " "
        if cols.showNode { titles += Layout.fit("NODE", cols.node) + " " }
        titles += Layout.fit("METHOD", cols.method) + " " + Layout.fit("PATH", cols.path) + " "
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
            ]
            if cols.showNode { line.append(Span(Layout.fit(TerminalText.inline(r.node ?? ""), cols.node) + " ", .dim)) }
            line += [
                Span(Layout.fit(TerminalText.inline(r.method), cols.method) + " ", Marks.method(r.method)),
                Span(Layout.fit((r.duplicateOf != nil ? "⟲ " : "") + tag(r) + TerminalText.inline(r.target), cols.path) + " ",
                     r.duplicateOf != nil ? .duplicate : .normal),
            ]
            if cols.showSource { line.append(Span(Layout.fit(TerminalText.inline(r.source ?? ""), cols.source) + " ", .dim)) }
            let (mark, markRole) = Marks.signature(r.signature.status)
            line += [
                Span(Layout.fit(mark, cols.sig) + " ", markRole),
                Span(Layout.fit(String(r.response.status), cols.status) + " ", Marks.status(r.response.status)),
                // A request recorded only as far as it was read says so where its delivery would be.
                r.error != nil ? Span(Layout.fit("broken", cols.delivery) + " ", .error)
                    : Span(Layout.fit(r.deliveryState == .none ? "" : r.deliveryState.rawValue, cols.delivery) + " ", Marks.delivery(r.deliveryState)),
                Span(Layout.fit(ByteSize.describe(r.bodySize) + (r.bodyTruncated ? "+" : ""), cols.size, alignRight: true), .dim),
            ]
            screen.draw(line, x: 0, y: y)
            if i == model.selected { screen.fill(y: y, role: .selection) }
        }
        StatusBar.draw(model, into: &screen)
    }

    static func tag(_ r: CapturedRequest) -> String { r.tag.map { "[\(TerminalText.inline($0))] " } ?? "" }
}
