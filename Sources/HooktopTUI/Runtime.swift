import Foundation
import HooktopCore
import HooktopExport
import HooktopStore

/// How a replay from the dashboard differs from the stored request.
public struct ReplayOptions: Sendable, Equatable {
    /// Somewhere else than its target (`T`).
    public var to: String?
    /// Edited headers and body (`E`).
    public var headers: HeaderList?
    public var body: [UInt8]?
    public init(to: String? = nil, headers: HeaderList? = nil, body: [UInt8]? = nil) {
        self.to = to
        self.headers = headers
        self.body = body
    }
}

/// Replay, retry and editing, as the executable wires them (to the delivery
/// code and $EDITOR).
public struct TUIActions: Sendable {
    public var replay: @Sendable (Int64, ReplayOptions) async -> Result<String, ActionFailure>
    public var retry: @Sendable (Int64) async -> Result<String, ActionFailure>
    /// Opens the request's headers and body in an editor (the terminal is
    /// handed over meanwhile); nil when the user gave up.
    public var edit: @Sendable (CapturedRequest) -> (HeaderList, [UInt8])?

    public init(replay: @escaping @Sendable (Int64, ReplayOptions) async -> Result<String, ActionFailure>,
                retry: @escaping @Sendable (Int64) async -> Result<String, ActionFailure>,
                edit: @escaping @Sendable (CapturedRequest) -> (HeaderList, [UInt8])? = { _ in nil }) {
        self.replay = replay
        self.retry = retry
        self.edit = edit
    }

    public static let none = TUIActions(replay: { _, _ in .failure(ActionFailure("no target configured")) },
                                        retry: { _ in .failure(ActionFailure("no target configured")) })
}

public struct ActionFailure: Error, Sendable {
    public let text: String
    public init(_ text: String) { self.text = text }
}

/// Runs the loop: read a key or wait for the next tick, update the model,
/// perform the effects it asks for, draw what changed.
public final class Runtime {
    private var model: Model
    private let data: TUIData
    private let terminal: any Terminal
    private let themes: [Theme]
    private let actions: TUIActions
    private let inbox = Inbox()
    private var previous: Screen?
    private let detailCache = DetailCache()
    private var lastRefresh = Timestamp(microseconds: .min)
    private var refreshPending = false
    /// How long a filtered list waits between refreshes (µs), so that they cost at most a
    /// twentieth of a core: 2 s, or forty times what its last count took (a page costs about as much).
    private var filteredRefreshInterval: Int64 = 2_000_000
    private var lastVersion: Int64 = -1
    private var lastAlert: String?
    /// When the banner's alert stops being recent, if nothing is committed before.
    private var alertAskAgain: Timestamp?
    /// When a request next ages past the filter's `~t` limit.
    private var filterAskAgain: Timestamp?
    /// The header's counters are a pass over an index each (16 ms on a million rows): read at
    /// most once a second while commits come, kept up to date from the new rows between.
    private var statsReadAt = Timestamp(microseconds: .min)
    private var statsStale = false
    private var detailStamp: String?
    private var stopRequested: @Sendable () -> Bool
    private let clock: () -> Timestamp
    /// The model changed since the last frame: only then is a frame drawn, so
    /// an idle dashboard costs a poll every 100 ms and a tick a second, whatever is on screen.
    private var changed = true

    /// - clock: the time ticks and rates are counted against (tests hold it still or move it on).
    public init(model: Model, data: TUIData, terminal: any Terminal, themes: [Theme], actions: TUIActions,
                stopRequested: @escaping @Sendable () -> Bool = { false }, clock: @escaping () -> Timestamp = { .now() }) {
        var model = model
        model.themeNames = themes.map(\.name)
        self.model = model
        self.data = data
        self.terminal = terminal
        self.themes = themes.isEmpty ? [.monochrome] : themes
        self.actions = actions
        self.stopRequested = stopRequested
        self.clock = clock
    }

    /// Runs until `q`; returns normally so the caller restores the terminal.
    public func run() {
        let size = terminal.size
        model.width = size.width
        model.height = size.height
        model.asciiOnly = !terminal.unicode
        // The version the first page is read at: a commit before the first poll is not missed.
        lastVersion = (try? data.dataVersion()) ?? -1
        perform([.loadPage(.newest, select: 0)])
        draw()
        perform([.count])
        loadStats()
        loadAlert()
        draw()
        while !stopRequested() {
            let key = terminal.readKey(timeoutMillis: 100)
            var effects: [Effect] = []
            let size = terminal.size
            if size.width != model.width || size.height != model.height {
                effects += apply(.resized(width: size.width, height: size.height))
            }
            if let key { effects += apply(.key(key)) }
            // The clock moves the header's rate and the countdowns on, once a second.
            let now = clock()
            if now.seconds != model.now.seconds { effects += apply(.tick(now)) }
            if let due = alertAskAgain, now >= due { loadAlert() }
            if let due = filterAskAgain, now >= due {
                filterAskAgain = nil
                effects.append(.refresh)
            }
            for message in drainInbox() { effects += apply(message) }
            if effects.contains(.quit) { return }
            perform(effects)
            if key == nil { poll() }
            if changed { draw() }
        }
    }

    private func draw() {
        let screen = Render.screen(model, cache: detailCache)
        terminal.draw(screen, previous: previous, theme: themes[model.themeIndex % themes.count])
        previous = screen
        changed = false
    }

    /// Every change to the model goes through here, and asks for a frame.
    private func apply(_ message: Message) -> [Effect] {
        changed = true
        return update(&model, message)
    }

    private func drainInbox() -> [Message] { inbox.drain() }

    /// A commit from any process (a new request, an attempt, a retry, a
    /// prune): fetch the rows after the newest seen, then bring what is on
    /// screen up to date — the visible page, the counters, the open request
    /// (only when its delivery moved, so a large body is not read again) and
    /// the banner, which clears when its cause is gone.
    private func poll() {
        guard let version = try? data.dataVersion() else { return }
        if refreshPending && clock().elapsedMicroseconds(since: lastRefresh) >= filteredRefreshInterval { perform([.refresh]) }
        if version != lastVersion { follow(version) }
        if statsStale && clock().elapsedMicroseconds(since: statsReadAt) >= 1_000_000 { loadStats() }
    }

    private func follow(_ version: Int64) {
        let first = lastVersion == -1
        lastVersion = version
        // Counted from the header's last full read on (none yet: nothing to add to).
        let now = clock()
        if model.stats.total != nil, let arrivals = try? data.arrivals(after: model.stats.throughID, filter: model.filter, now: now) {
            perform(apply(.arrived(arrivals, now: now)))
        }
        if !first { perform(apply(.storeChanged)) }
        if let open = model.detail, model.context == .detail,
           let stamp = try? data.deliveryStamp(id: open.id), stamp != detailStamp {
            detailStamp = stamp
            perform([.loadDetail(open.id)])
        }
        loadAlert()
        statsStale = true
    }

    /// The banner, again: after a commit, or when the one shown may have expired.
    private func loadAlert() {
        let now = clock()
        let alert = try? data.latestAlert(now: now)
        // Past it already, the alert lasts while its cause does (a failed delivery): a commit will say when that ends.
        alertAskAgain = alert.map(\.askAgain).flatMap { $0 > now ? $0 : nil }
        if alert?.text != lastAlert {
            lastAlert = alert?.text
            perform(apply(.alert(alert?.text)))
        }
    }

    private func loadStats() {
        statsReadAt = clock()
        statsStale = false
        if let stats = try? data.stats(now: statsReadAt) { perform(apply(.statsLoaded(stats))) }
    }

    private func perform(_ effects: [Effect]) {
        for effect in effects {
            switch effect {
            case .quit:
                break
            case .loadPage(let page, let select):
                do {
                    let (rows, atNewest) = try data.page(page, filter: model.filter, limit: model.listRows, now: clock())
                    if model.newestID == 0 { model.newestID = (try? data.newestID()) ?? 0 }  // drawn with the page, just below
                    perform(apply(.pageLoaded(rows, atNewest: atNewest, select: select)))
                } catch {
                    perform(apply(.finished(.error("\(error)"))))
                }
            case .refresh:
                // A filtered page and count can cost a walk through every request (`~b` on a large
                // database: seconds): see `filteredRefreshInterval`. The last one still comes.
                if model.filter != nil && clock().elapsedMicroseconds(since: lastRefresh) < filteredRefreshInterval {
                    refreshPending = true
                    continue
                }
                refreshPending = false
                // The rows on screen in place (their delivery states, a prune…) and the count; the
                // window keeps its first row, so the selection stays on its request.
                let page: Effect.Page = model.page.first.map { .shift(from: $0.id, rows: 0) } ?? .newest
                perform([.loadPage(page, select: model.selected), .count])
            case .loadDetail(let id):
                do {
                    let request = try data.request(id: id)
                    detailStamp = try? data.deliveryStamp(id: id)
                    perform(apply(.detailLoaded(request)))
                } catch {
                    let why = if error == .noSuchRequest(id) { "no longer in the store (pruned or removed)" } else { "cannot be read: \(error)" }
                    perform(apply(.detailUnavailable(id, why)))
                }
            case .loadExpectations:
                if let list = try? data.reader.expectations() {
                    perform(apply(.tick(clock())))
                    perform(apply(.expectationsLoaded(list)))
                }
            case .count:
                // Only a filter's count is shown; the header counts every request.
                guard model.filter != nil else {
                    filterAskAgain = nil
                    continue
                }
                let now = clock()
                let started = ContinuousClock.now
                if let n = try? data.count(filter: model.filter, now: now) { perform(apply(.counted(n))) }
                // The page costs about what the count does: the next refresh waits forty times this.
                let took = started.duration(to: .now).components
                let micros = took.seconds.saturatingMultiplied(by: 1_000_000).saturatingAdding(took.attoseconds / 1_000_000_000_000)
                filteredRefreshInterval = max(2_000_000, micros.saturatingMultiplied(by: 40))
                lastRefresh = now
                // A `~t` filter's matches change with the clock alone: count again when the next request ages past it.
                filterAskAgain = try? data.nextAgeChange(model.filter, now: now)
            case .editAndReplay(let id):
                guard let request = try? data.request(id: id) else { continue }
                var edited: (HeaderList, [UInt8])?
                terminal.suspend { edited = actions.edit(request) }
                previous = nil  // the editor drew over the screen: draw it all again
                changed = true
                guard let (headers, body) = edited else {
                    perform(apply(.finished(.info("edit abandoned; nothing sent"))))
                    continue
                }
                perform([.replay(id, ReplayOptions(headers: headers, body: body))])
            case .replay(let id, _), .retry(let id):
                var options: ReplayOptions?
                if case .replay(_, let o) = effect { options = o }
                let actions = self.actions
                let inbox = self.inbox
                Task {
                    let result = if let options { await actions.replay(id, options) } else { await actions.retry(id) }
                    switch result {
                    case .success(let text): inbox.post(.finished(.success("#\(id): \(text)")))
                    case .failure(let failure): inbox.post(.finished(.error("#\(id): \(failure.text)")))
                    }
                }
            case .export(let format, let path):
                // Off the loop: a large export must not freeze the screen. It reads with its own connection.
                let (filter, destination, backend, inbox) = (model.filter, curlDestination, data.backend, self.inbox)
                Thread {
                    inbox.post(.finished(Self.export(format, to: path, filter: filter, from: backend, curl: destination)))
                }.start()
            case .copyCurl(let id):
                guard let request = try? data.request(id: id) else { continue }
                let how = terminal.copyToClipboard(CurlWriter(destination: curlDestination).command(request))
                perform(apply(.finished(.success("copied #\(id) as curl: \(how)"))))
            }
        }
    }

    /// curl commands go to a request's delivery target, else to this daemon.
    private var curlDestination: CurlWriter.Destination {
        CurlWriter.Destination(daemon: "http://" + (model.listening ?? ListenAddress.default.description))
    }

    private static func export(_ format: ExportFormat, to path: String, filter: Filter?, from backend: any StoreBackend,
                               curl: CurlWriter.Destination) -> Notice {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return .error("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var out = FileOutput(fd: fd)
        let count: Int
        do {
            let reader = try backend.openReader(forScans: true)
            let query = StoreQuery(filter: filter, includeBodies: true, includeDeliveries: format.needsDeliveries)
            count = try format.export(to: &out, curl: curl, bodyFiles: .beside(script: path)) { emit in
                try reader.forEach(query, emit)
            }
        } catch {
            return .error("export: \(error)")
        }
        return .success("exported \(count) request\(count == 1 ? "" : "s") to \(path)")
    }
}

/// Results of async actions, waiting for the loop to pick them up.
private final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [Message] = []  // guarded by lock

    func post(_ message: Message) { lock.withLock { messages.append(message) } }

    func drain() -> [Message] { lock.withLock { defer { messages.removeAll() }; return messages } }
}
