import HooktopCore
import HooktopExport

/// The TUI's one state transition: pure, returns the effects for the runtime.
public func update(_ model: inout Model, _ message: Message) -> [Effect] {
    switch message {
    case .resized(let w, let h):
        model.width = w
        model.height = h
        return [.loadPage(model.atNewest ? .newest : .shift(from: model.page.first?.id ?? 0, rows: 0), select: model.selected)]

    case .pageLoaded(let rows, let atNewest, let select):
        model.page = rows
        model.atNewest = atNewest
        model.selected = rows.isEmpty ? 0 : min(max(0, select), rows.count - 1)
        if let first = rows.first, atNewest { model.newestID = max(model.newestID, first.id) }
        return []

    case .arrived(let arrivals, let now):
        // Counted already by the header's last full read, or nothing new.
        guard arrivals.lastID > model.stats.throughID, arrivals.count > 0 else { return [] }
        model.stats.throughID = arrivals.lastID
        model.newestID = max(model.newestID, arrivals.lastID)
        advanceRate(&model.stats, to: now.seconds)
        model.stats.add(arrivals.perSecond)
        model.stats.total = model.stats.total.map { $0 + arrivals.count }
        model.stats.signatureFailures = model.stats.signatureFailures.map { $0 + arrivals.signatureFailures }
        if let matching = arrivals.matching { model.matching = model.matching.map { $0 + matching } }
        // The page is read again only when something it would show came: with a filter, a match
        // (reading a filtered page can take a walk through every request).
        guard (arrivals.matching ?? arrivals.count) > 0, model.atNewest else { return [] }
        if (model.follow && model.mode == .list) || model.selected == 0 {
            return [.loadPage(.newest, select: 0)]
        }
        return []

    case .counted(let n):
        model.matching = n
        return []

    case .statsLoaded(let stats):
        model.stats = stats
        return []

    case .detailLoaded(let request):
        model.detail = request
        model.detailProblem = nil
        return []

    case .detailUnavailable(let id, let why):
        // Only for the request that is open (or opening): a late answer for another one is old news.
        if model.context == .detail, model.detail.map({ $0.id == id }) ?? true { model.detailProblem = why }
        return []

    case .finished(let notice):
        model.notice = notice
        return notice.kind != .error && model.mode == .detail ? model.detail.map { [.loadDetail($0.id)] } ?? [] : []

    case .alert(let text):
        model.banner = text
        return []

    case .storeChanged:
        return model.mode == .expectations ? [.refresh, .loadExpectations] : [.refresh]

    case .expectationsLoaded(let list):
        model.expectations = list
        model.expectationSelected = list.isEmpty ? 0 : min(model.expectationSelected, list.count - 1)
        return []

    case .tick(let now):
        model.now = now
        // Seconds without a request count as none: the rate falls to 0/s when the traffic stops.
        advanceRate(&model.stats, to: now.seconds)
        return []

    case .key(let key):
        return handleKey(&model, key)
    }
}

/// Moves the per-second window on to `now`: the seconds it passes start empty.
private func advanceRate(_ stats: inout Model.Stats, to now: Int64) {
    guard now > stats.lastSecond else { return }
    let shift = Int(min(Int64(stats.perSecond.count), now.saturatingSubtracting(stats.lastSecond)))
    stats.perSecond = Array(stats.perSecond.dropFirst(shift)) + Array(repeating: 0, count: shift)
    stats.lastSecond = now
}

private func handleKey(_ model: inout Model, _ key: Key) -> [Effect] {
    switch model.mode {
    case .input(let input, let text, let returnTo):
        return handleInput(&model, key, input: input, text: text, returnTo: returnTo)
    case .help(let returnTo):
        model.mode = Model.Mode(showing: returnTo)
        return []
    case .list, .detail, .expectations:
        break
    }
    if case .click(_, let y) = key, model.mode == .list {
        let row = y - model.headerLines - 1
        if model.page.indices.contains(row) { model.selected = row }
        return []
    }
    guard let binding = KeyBinding.binding(for: key, in: model.context) else { return [] }
    model.notice = nil
    if model.readOnly && binding.acts {
        model.notice = .error("read-only: \(binding.help) is not available")
        return []
    }
    return run(binding.command, &model)
}

private func run(_ command: Command, _ model: inout Model) -> [Effect] {
    if model.mode == .expectations, let effects = runInExpectations(command, &model) { return effects }
    let inDetail = model.mode == .detail
    switch command {
    case .quit:
        return [.quit]
    case .help:
        model.mode = .help(returnTo: model.context)
        return []
    case .moveDown:
        if inDetail { model.detailScroll += 1; return [] }
        model.follow = false
        if model.selected + 1 < model.page.count { model.selected += 1; return [] }
        // At the bottom of a full page: shift the window down one row.
        guard model.page.count >= model.listRows, let first = model.page.first else { return [] }
        return [.loadPage(.shift(from: first.id, rows: -1), select: Int.max)]
    case .moveUp:
        if inDetail { model.detailScroll = max(0, model.detailScroll - 1); return [] }
        if model.selected > 0 { model.selected -= 1; return [] }
        guard let first = model.page.first, !model.atNewest else { return [] }
        return [.loadPage(.shift(from: first.id, rows: 1), select: 0)]
    case .pageDown:
        if inDetail { model.detailScroll += max(1, model.height - 4); return [] }
        model.follow = false
        guard let first = model.page.first else { return [] }
        if model.page.count < model.listRows { model.selected = model.page.count - 1; return [] }
        return [.loadPage(.shift(from: first.id, rows: -model.listRows), select: model.selected)]
    case .pageUp:
        if inDetail { model.detailScroll = max(0, model.detailScroll - max(1, model.height - 4)); return [] }
        guard let first = model.page.first, !model.atNewest else { model.selected = 0; return [] }
        return [.loadPage(.shift(from: first.id, rows: model.listRows), select: model.selected)]
    case .top:
        if inDetail { model.detailScroll = 0; return [] }
        return [.loadPage(.newest, select: 0)]
    case .bottom:
        if inDetail { model.detailScroll = Int.max / 2; return [] }
        model.follow = false
        return [.loadPage(.oldest, select: Int.max)]
    case .open:
        guard let request = model.selectedRequest else { return [] }
        model.mode = .detail
        model.detail = nil
        model.detailProblem = nil
        model.detailScroll = 0
        model.detailColumn = 0
        return [.loadDetail(request.id)]
    case .back:
        model.mode = .list
        model.detail = nil
        model.detailProblem = nil
        return []
    case .scrollLeft:
        // Like less: ← scrolls back to the left edge, and from there leaves the request.
        if model.detailColumn == 0 { return run(.back, &model) }
        model.detailColumn = max(0, model.detailColumn - 8)
        return []
    case .scrollRight:
        if model.wrap { model.notice = .info("lines wrap; w to scroll them instead") } else { model.detailColumn += 8 }
        return []
    case .nextTab, .prevTab:
        let tabs = Model.Tab.allCases
        let i = tabs.firstIndex(of: model.tab) ?? 0
        model.tab = tabs[(i + (command == .nextTab ? 1 : tabs.count - 1)) % tabs.count]
        model.detailScroll = 0
        return []
    case .filter:
        model.mode = .input(.filter, text: model.filterText, returnTo: model.context)
        return []
    case .search:
        model.mode = .input(.search, text: model.search ?? "", returnTo: .detail)
        return []
    case .nextMatch, .previousMatch:
        return showMatch(&model, step: command == .nextMatch ? 1 : -1)
    case .bodyView:
        let views = Model.BodyView.allCases
        model.bodyView = views[((views.firstIndex(of: model.bodyView) ?? 0) + 1) % views.count]
        model.tab = .body
        model.detailScroll = 0
        model.notice = .info("body view: \(model.bodyView.rawValue)")
        return []
    case .nextRequest, .previousRequest:
        // The neighbour in the list, without going back to it; the list follows.
        guard let current = model.detail, let i = model.page.firstIndex(where: { $0.id == current.id }) else { return [] }
        let j = i + (command == .nextRequest ? 1 : -1)
        guard model.page.indices.contains(j) else {
            model.notice = .info(command == .nextRequest ? "no older request on this page" : "no newer request on this page")
            return []
        }
        model.selected = j
        model.detail = nil
        model.detailScroll = 0
        model.detailColumn = 0
        return [.loadDetail(model.page[j].id)]
    case .follow:
        model.follow.toggle()
        model.notice = .info(model.follow ? "following new requests" : "follow off")
        return model.follow ? [.loadPage(.newest, select: 0)] : []
    case .replay, .retry:
        guard let id = inDetail ? model.detail?.id : model.selectedRequest?.id else { return [] }
        model.notice = .progress("\(command == .replay ? "replaying" : "retrying") #\(id)…")
        return [command == .replay ? .replay(id, ReplayOptions()) : .retry(id)]
    case .editReplay:
        guard let id = inDetail ? model.detail?.id : model.selectedRequest?.id else { return [] }
        model.notice = .progress("editing #\(id)…")
        return [.editAndReplay(id)]
    case .replayTo:
        guard let id = inDetail ? model.detail?.id : model.selectedRequest?.id else { return [] }
        model.mode = .input(.replayTo(id), text: "http://", returnTo: model.context)
        return []
    case .export:
        model.mode = .input(.export, text: "har:hooktop-export.har", returnTo: model.context)
        return []
    case .copyCurl:
        guard let id = inDetail ? model.detail?.id : model.selectedRequest?.id else { return [] }
        return [.copyCurl(id)]
    case .nextTheme:
        model.themeIndex = (model.themeIndex + 1) % max(1, model.themeNames.count)
        model.notice = .info("theme: \(model.themeNames[model.themeIndex])")
        return []
    case .expectations:
        model.mode = .expectations
        model.expectationSelected = 0
        return [.loadExpectations]
    case .wrap:
        model.wrap.toggle()
        model.detailColumn = 0
        model.notice = .info(model.wrap ? "wrapping long lines" : "long lines scroll: ← →")
        return []
    }
}

/// The keys of the expected-callbacks view; nil for those that act as anywhere else (help, quit).
private func runInExpectations(_ command: Command, _ model: inout Model) -> [Effect]? {
    switch command {
    case .moveUp:
        model.expectationSelected = max(0, model.expectationSelected - 1)
        return []
    case .moveDown:
        model.expectationSelected = min(max(0, model.expectations.count - 1), model.expectationSelected + 1)
        return []
    case .back, .expectations:
        model.mode = .list
        return []
    case .open:
        // The callbacks that came to it, as the list filtered by its label.
        guard model.expectations.indices.contains(model.expectationSelected) else { return [] }
        let label = model.expectations[model.expectationSelected].label
        model.filter = .label(label)
        model.filterText = "~label \"" + label.replacingOccurrences(of: "\"", with: "") + "\""
        model.matching = nil
        model.mode = .list
        return [.loadPage(.newest, select: 0), .count]
    default:
        return nil
    }
}

/// Scrolls to the next (or previous) line of the open request that holds the
/// search text, wrapping around; says which match of how many.
private func showMatch(_ model: inout Model, step: Int) -> [Effect] {
    guard let search = model.search, !search.isEmpty, let r = model.detail else {
        model.notice = .error("search with / first")
        return []
    }
    let hits = DetailView.document(model, r).matches(search)
    guard !hits.isEmpty else {
        model.notice = .error("no match for \(TerminalText.inline(search)) in \(model.tab.rawValue)")
        return []
    }
    model.searchHit = ((model.searchHit + step) % hits.count + hits.count) % hits.count
    model.detailScroll = max(0, hits[model.searchHit] - 2)
    model.notice = .info("match \(model.searchHit + 1)/\(hits.count) for \(TerminalText.inline(search))")
    return []
}

private func handleInput(_ model: inout Model, _ key: Key, input: Model.Input, text: String, returnTo: KeyContext) -> [Effect] {
    let back = Model.Mode(showing: returnTo)
    switch key {
    case .escape, .ctrlC:
        model.mode = back
        return []
    case .backspace:
        model.mode = .input(input, text: String(text.dropLast()), returnTo: returnTo)
        return []
    case .char(let c):
        model.mode = .input(input, text: text + String(c), returnTo: returnTo)
        return []
    case .enter:
        model.mode = back
        switch input {
        case .filter:
            let trimmed = text.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty {
                model.filter = nil
                model.filterText = ""
            } else {
                do {
                    model.filter = try Filter.parse(trimmed)
                    model.filterText = trimmed
                } catch {
                    model.mode = .input(.filter, text: text, returnTo: returnTo)
                    model.notice = .error("filter: \(error.message) at column \(error.column)")
                    return []
                }
            }
            model.notice = nil
            model.matching = nil
            model.mode = .list
            return [.loadPage(.newest, select: 0), .count]
        case .export:
            let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let format = ExportFormat(rawValue: parts[0]), !parts[1].isEmpty else {
                model.mode = .input(.export, text: text, returnTo: returnTo)
                model.notice = .error("export: write FORMAT:FILE, FORMAT one of har, ndjson, curl, raw")
                return []
            }
            model.notice = .progress("exporting to \(TerminalText.inline(parts[1]))…")
            return [.export(format, path: parts[1])]
        case .replayTo(let id):
            guard !text.isEmpty, text != "http://" else { return [] }
            model.notice = .progress("replaying #\(id) to \(TerminalText.inline(text))…")
            return [.replay(id, ReplayOptions(to: text))]
        case .search:
            model.search = text.isEmpty ? nil : text
            model.searchHit = -1
            return text.isEmpty ? [] : showMatch(&model, step: 1)
        }
    default:
        return []
    }
}
