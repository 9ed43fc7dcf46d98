/// What the runtime needs from a terminal. One real backend (ncurses); tests
/// render to `Screen` directly.
public protocol Terminal: AnyObject {
    /// Columns and rows now (after a resize, the new ones).
    var size: (width: Int, height: Int) { get }
    /// Shows `screen`, sending only what differs from `previous`.
    func draw(_ screen: Screen, previous: Screen?, theme: Theme)
    /// The next key, or nil when `timeoutMillis` passed without one.
    func readKey(timeoutMillis: Int) -> Key?
    /// Puts text on the user's clipboard (OSC 52, over SSH too; tmux's own
    /// buffer inside tmux) and says, for the status line, what it did.
    func copyToClipboard(_ text: String) -> String
    /// Whether the terminal's locale shows UTF-8; false draws ASCII fallbacks.
    var unicode: Bool { get }
    /// Gives the terminal back for `body` (an editor), then takes it again.
    func suspend(_ body: () -> Void)
}

extension Terminal {
    public var unicode: Bool { true }
    public func suspend(_ body: () -> Void) { body() }
}
