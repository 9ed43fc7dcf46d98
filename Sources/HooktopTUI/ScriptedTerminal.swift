/// A terminal without a tty: plays a script of keys and keeps the last
/// screen. Drives the real runtime in tests and benchmarks.
public final class ScriptedTerminal: Terminal {
    public var size: (width: Int, height: Int)
    public private(set) var screen: Screen?
    public private(set) var frames = 0
    public private(set) var copied: [String] = []
    /// Plays a terminal without UTF-8 when false.
    public var unicode = true
    private var keys: [Key?]
    /// Called before each key is handed over (to let a test add data in between).
    public var beforeKey: ((Int) -> Void)?
    private var handed = 0

    /// `nil` in the script is one idle tick (the runtime polls for new data).
    public init(width: Int, height: Int, keys: [Key?]) {
        size = (width, height)
        self.keys = keys
    }

    public func draw(_ screen: Screen, previous: Screen?, theme: Theme) {
        frames += 1
        if !finished { self.screen = screen }  // keep the screen as the script left it
    }

    private var finished = false

    public func readKey(timeoutMillis: Int) -> Key? {
        beforeKey?(handed)
        handed += 1
        guard !keys.isEmpty else {
            finished = true
            return .ctrlC  // leaves any prompt, then quits
        }
        return keys.removeFirst()
    }

    public func copyToClipboard(_ text: String) -> String {
        copied.append(text)
        return "kept by the scripted terminal"
    }

    /// Turns "jj\r" style text into keys: \r is Enter, \t Tab, \u{1b} Esc.
    public static func keys(_ text: String) -> [Key?] {
        text.map { c in
            switch c {
            case "\r": .enter
            case "\t": .tab
            case "\u{1b}": .escape
            default: .char(c)
            }
        }
    }
}
