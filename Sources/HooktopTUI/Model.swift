import HooktopCore
import HooktopExport
import HooktopStore

/// Everything the TUI shows, as a value. `update` changes it; views draw it.
public struct Model: Sendable {
    public enum Tab: String, CaseIterable, Sendable { case overview = "Overview", headers = "Headers", body = "Body",
                                                            signature = "Signature", deliveries = "Deliveries", raw = "Raw" }

    public enum Mode: Sendable, Equatable {
        case list
        case detail
        /// The callbacks `hooktop expect` handed out, with their countdowns.
        case expectations
        case help(returnTo: KeyContext)
        case input(Input, text: String, returnTo: KeyContext)
    }

    public enum Input: Sendable, Equatable { case filter, export, search, replayTo(Int64) }

    /// How the Body tab shows a body (`m` cycles): picked from the content, or forced.
    public enum BodyView: String, CaseIterable, Sendable { case auto, json, form, text, hex, raw }

    public struct Stats: Sendable, Equatable {
        public var total: Int?
        public var signatureFailures: Int?
        public var failingDeliveries: Int?
        /// Requests per second over the last 30 s, oldest first; the last is the second under way (`lastSecond`).
        public var perSecond: [Int] = Array(repeating: 0, count: 30)
        public var lastSecond: Int64 = 0
        /// The newest id these counts include: new arrivals are counted after it.
        public var throughID: Int64 = 0
        public init() {}

        /// Adds requests counted by second of arrival (seconds since 1970) to the window, which
        /// ends at `lastSecond`; seconds outside it are left out.
        mutating func add(_ bySecond: [Int64: Int]) {
            for (second, n) in bySecond {
                let age = lastSecond.saturatingSubtracting(second)
                if age >= 0 && age < perSecond.count { perSecond[perSecond.count - 1 - Int(age)] += n }
            }
        }
    }

    public var width: Int
    public var height: Int
    /// "127.0.0.1:8080" for the built-in daemon, nil when attached to a database.
    public var listening: String?
    /// The terminal cannot show UTF-8 (C locale): glyphs are drawn in ASCII.
    public var asciiOnly = false
    public var databasePath: String
    /// A store many daemons write (PostgreSQL): the list shows which node captured each request.
    public var showsNodes = false

    /// The visible page of the list, newest first; only this is in memory.
    public var page: [CapturedRequest] = []
    public var selected = 0
    /// Whether `page` starts at the newest matching request.
    public var atNewest = true
    /// The newest id seen (the id column is as wide as it).
    public var newestID: Int64 = 0
    public var matching: Int?
    public var follow = true
    public var filterText = ""
    public var filter: Filter?

    public var mode: Mode = .list
    public var detail: CapturedRequest?
    /// Why the open request could not be read (again): gone from the store, or an error. What
    /// was read before stays on screen, marked with this.
    public var detailProblem: String?
    public var tab: Tab = .overview
    public var detailScroll = 0
    public var bodyView: BodyView = .auto
    /// Text searched for in the open request (`/` in the detail view), and which match is shown.
    public var search: String?
    public var searchHit = 0
    /// Columns scrolled right when long lines are not wrapped.
    public var detailColumn = 0
    public var wrap = true

    /// The expected callbacks, newest first, and the one selected.
    public var expectations: [Expectation] = []
    public var expectationSelected = 0
    /// The time countdowns are drawn against; the runtime ticks it while they are shown.
    public var now = Timestamp(microseconds: 0)

    public var themeNames: [String] = ["default"]
    public var themeIndex = 0
    /// The status line's message: what just happened, or what went wrong.
    public var notice: Notice?
    /// `hooktop tui --read-only`: commands that change something outside the
    /// TUI (the key table's `acts`) are refused and not offered.
    public var readOnly = false
    public var banner: String?
    public var stats = Stats()

    public init(width: Int, height: Int, listening: String?, databasePath: String) {
        self.width = width
        self.height = height
        self.listening = listening
        self.databasePath = databasePath
    }

    /// Rows available to the list: the screen less header, column titles and status line.
    public var listRows: Int { max(1, height - headerLines - 2) }
    public var headerLines: Int { banner == nil ? 1 : 2 }
    public var selectedRequest: CapturedRequest? { page.indices.contains(selected) ? page[selected] : nil }
    public var context: KeyContext {
        switch mode {
        case .detail: return .detail
        case .expectations: return .expectations
        case .help(let c), .input(_, _, let c): return c
        case .list: return .list
        }
    }
}

/// A line for the status bar, with what kind of news it is: the kind, not
/// the words, picks its colour.
public struct Notice: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A mode or setting changed ("follow off").
        case info
        /// Something slow was started ("replaying #3…").
        case progress
        case success
        case error
    }

    public var kind: Kind
    public var text: String

    public init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text
    }

    public static func info(_ text: String) -> Notice { Notice(.info, text) }
    public static func progress(_ text: String) -> Notice { Notice(.progress, text) }
    public static func success(_ text: String) -> Notice { Notice(.success, text) }
    public static func error(_ text: String) -> Notice { Notice(.error, text) }
}

/// What happened: a key, a result from the runtime, a tick of the clock.
public enum Message: Sendable {
    case key(Key)
    case resized(width: Int, height: Int)
    case pageLoaded([CapturedRequest], atNewest: Bool, select: Int)
    /// Requests committed since the header's counts, counted, and the time they were read at.
    case arrived(Arrivals, now: Timestamp)
    case counted(Int)
    case statsLoaded(Model.Stats)
    case detailLoaded(CapturedRequest)
    /// The request with this id could not be read: why, for people.
    case detailUnavailable(Int64, String)
    /// A slow effect ended (a replay, an export): what to tell the user.
    case finished(Notice)
    /// The banner's text; nil clears it (its cause is gone).
    case alert(String?)
    /// Something was committed (by this process or another): what is on screen may be stale.
    case storeChanged
    case expectationsLoaded([Expectation])
    /// The clock, for countdowns.
    case tick(Timestamp)
}

/// What the runtime should do. `update` never does I/O itself.
public enum Effect: Sendable, Equatable {
    public enum Page: Sendable, Equatable {
        case newest
        case oldest
        /// The page that starts `rows` rows newer (positive) or older (negative)
        /// than the request `from`; clamped at both ends.
        case shift(from: Int64, rows: Int)
    }

    case loadPage(Page, select: Int)
    /// Re-read the visible page and the count after a commit: at once without
    /// a filter (index lookups), at most every 2 s with one (a body filter
    /// scans the table).
    case refresh
    case loadDetail(Int64)
    case loadExpectations
    case count
    case replay(Int64, ReplayOptions)
    /// Hands the terminal to $EDITOR on a copy of the request, then replays what was saved.
    case editAndReplay(Int64)
    case retry(Int64)
    case export(ExportFormat, path: String)
    /// Copies the request as a curl command (OSC 52).
    case copyCurl(Int64)
    case quit
}

extension Model.Mode {
    /// The mode a key context's screen is shown in (after help or a prompt).
    public init(showing context: KeyContext) {
        switch context {
        case .list: self = .list
        case .detail: self = .detail
        case .expectations: self = .expectations
        }
    }
}
