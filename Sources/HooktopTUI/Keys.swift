/// A key press (or mouse event) as the TUI sees it, whatever the terminal.
public enum Key: Hashable, Sendable {
    case char(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, escape, tab, backTab, backspace, ctrlC
    case wheelUp, wheelDown
    case click(x: Int, y: Int)
}

/// What a key does.
public enum Command: String, Sendable, CaseIterable {
    case moveUp, moveDown, pageUp, pageDown, top, bottom, open, back, nextTab, prevTab, scrollLeft, scrollRight
    case filter, follow, replay, retry, export, copyCurl, nextTheme, wrap, help, quit
    case search, nextMatch, previousMatch, bodyView, nextRequest, previousRequest, editReplay, replayTo, expectations
}

/// Where a binding applies.
public enum KeyContext: String, Sendable { case list, detail, expectations }

/// One key binding, declared once: the help overlay and the status line are
/// generated from this table.
public struct KeyBinding: Sendable {
    public let keys: [Key]
    public let label: String
    public let contexts: Set<KeyContext>
    public let command: Command
    public let help: String
    /// The word for it in the status line, when it is shown there.
    public let short: String?
    /// True when the command changes something outside the TUI (sends a request, writes a file).
    public let acts: Bool
    /// Shown in the status line (the most used ones).
    public var inStatusLine: Bool { short != nil }

    init(keys: [Key], label: String, contexts: Set<KeyContext>, command: Command, help: String, acts: Bool, short: String? = nil) {
        self.keys = keys
        self.label = label
        self.contexts = contexts
        self.command = command
        self.help = help
        self.short = short
        self.acts = acts
    }

    public static let table: [KeyBinding] = [
        KeyBinding(keys: [.up, .char("k"), .wheelUp], label: "↑/k", contexts: [.list, .detail, .expectations], command: .moveUp, help: "move up / scroll up", acts: false),
        KeyBinding(keys: [.down, .char("j"), .wheelDown], label: "↓/j", contexts: [.list, .detail, .expectations], command: .moveDown, help: "move down / scroll down", acts: false),
        KeyBinding(keys: [.pageUp], label: "PgUp", contexts: [.list, .detail], command: .pageUp, help: "page up", acts: false),
        KeyBinding(keys: [.pageDown, .char(" ")], label: "PgDn", contexts: [.list, .detail], command: .pageDown, help: "page down", acts: false),
        KeyBinding(keys: [.char("g"), .home], label: "g", contexts: [.list, .detail], command: .top, help: "newest request / top", acts: false),
        KeyBinding(keys: [.char("G"), .end], label: "G", contexts: [.list, .detail], command: .bottom, help: "oldest request / bottom", acts: false),
        KeyBinding(keys: [.enter, .right, .char("l")], label: "Enter", contexts: [.list, .expectations], command: .open, help: "open request", acts: false, short: "open"),
        KeyBinding(keys: [.escape], label: "Esc", contexts: [.detail, .expectations], command: .back, help: "back to the list", acts: false, short: "back"),
        KeyBinding(keys: [.left, .char("h")], label: "←/h", contexts: [.detail], command: .scrollLeft, help: "scroll left / back", acts: false),
        KeyBinding(keys: [.right, .char("l")], label: "→/l", contexts: [.detail], command: .scrollRight, help: "scroll right", acts: false),
        KeyBinding(keys: [.tab], label: "Tab", contexts: [.detail], command: .nextTab, help: "next tab", acts: false, short: "tab"),
        KeyBinding(keys: [.backTab], label: "S-Tab", contexts: [.detail], command: .prevTab, help: "previous tab", acts: false),
        KeyBinding(keys: [.char("/")], label: "/", contexts: [.list], command: .filter, help: "filter: ~m POST ~sig …", acts: false, short: "filter"),
        KeyBinding(keys: [.char("/")], label: "/", contexts: [.detail], command: .search, help: "search in this request", acts: false, short: "search"),
        KeyBinding(keys: [.char("n")], label: "n", contexts: [.detail], command: .nextMatch, help: "next match", acts: false),
        KeyBinding(keys: [.char("N")], label: "N", contexts: [.detail], command: .previousMatch, help: "previous match", acts: false),
        KeyBinding(keys: [.char("m")], label: "m", contexts: [.detail], command: .bodyView, help: "body view: json hex raw…", acts: false),
        KeyBinding(keys: [.char("]")], label: "]", contexts: [.detail], command: .nextRequest, help: "older request", acts: false),
        KeyBinding(keys: [.char("[")], label: "[", contexts: [.detail], command: .previousRequest, help: "newer request", acts: false),
        KeyBinding(keys: [.char("f")], label: "f", contexts: [.list], command: .follow, help: "follow new requests", acts: false, short: "follow"),
        KeyBinding(keys: [.char("r")], label: "r", contexts: [.list, .detail], command: .replay, help: "replay to its target", acts: true, short: "replay"),
        KeyBinding(keys: [.char("E")], label: "E", contexts: [.list, .detail], command: .editReplay, help: "edit, then replay", acts: true),
        KeyBinding(keys: [.char("T")], label: "T", contexts: [.list, .detail], command: .replayTo, help: "replay to a URL…", acts: true),
        KeyBinding(keys: [.char("R")], label: "R", contexts: [.list, .detail], command: .retry, help: "retry delivery now", acts: true, short: "retry"),
        KeyBinding(keys: [.char("e")], label: "e", contexts: [.list, .detail], command: .export, help: "export filtered", acts: true),
        KeyBinding(keys: [.char("y")], label: "y", contexts: [.list, .detail], command: .copyCurl, help: "copy as curl (clipboard)", acts: false),
        KeyBinding(keys: [.char("w")], label: "w", contexts: [.detail], command: .wrap, help: "wrap long lines", acts: false),
        KeyBinding(keys: [.char("t")], label: "t", contexts: [.list, .detail], command: .nextTheme, help: "next theme", acts: false),
        KeyBinding(keys: [.char("x")], label: "x", contexts: [.list, .expectations], command: .expectations, help: "expected callbacks", acts: false),
        KeyBinding(keys: [.char("?")], label: "?", contexts: [.list, .detail, .expectations], command: .help, help: "this help", acts: false, short: "help"),
        KeyBinding(keys: [.char("q"), .ctrlC], label: "q", contexts: [.list, .detail, .expectations], command: .quit, help: "quit", acts: false, short: "quit"),
    ]

    public static func binding(for key: Key, in context: KeyContext) -> KeyBinding? {
        table.first { $0.contexts.contains(context) && $0.keys.contains(key) }
    }

    public static func command(for key: Key, in context: KeyContext) -> Command? {
        binding(for: key, in: context)?.command
    }

    /// What a model may offer: everything, or in read-only mode what changes nothing outside.
    public static func offered(readOnly: Bool) -> [KeyBinding] {
        readOnly ? table.filter { !$0.acts } : table
    }
}
