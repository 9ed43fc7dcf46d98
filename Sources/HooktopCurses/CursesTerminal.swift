import CNcurses
import Foundation
import HooktopTUI
#if canImport(Glibc)
import Glibc
#endif

/// The ncursesw backend: the only code that talks to curses. Draws only the
/// cells that changed; everything it draws went through `Screen`, so no
/// payload byte reaches the terminal as a control.
public final class CursesTerminal: Terminal {
    private var pairs: [Int64: Int16] = [:]
    private let colors: Bool
    private let manyColors: Bool
    private var lastTheme = ""
    private var ended = false

    public let unicode: Bool

    /// Why a terminal cannot host the dashboard, in words.
    public struct Unusable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Whether `TERM` names a terminal the dashboard can draw on (one with
    /// cursor addressing); checked before anything takes the screen over.
    public static func check(environment: [String: String]) throws(Unusable) {
        let term = environment["TERM"] ?? ""
        guard !term.isEmpty, !["dumb", "unknown", "emacs", "cons25"].contains(term) else {
            throw Unusable(description: "TERM=\(term.isEmpty ? "(unset)" : term) cannot show the dashboard (no cursor addressing); "
                           + "use `hooktop serve` and `hooktop list`, or set TERM (e.g. TERM=xterm-256color)")
        }
    }

    /// Takes over the terminal. `noColor` (NO_COLOR) keeps attributes only.
    /// Throws, without touching the screen, for a TERM that terminfo does not know.
    public init(noColor: Bool) throws(Unusable) {
        setlocale(LC_ALL, "")
        unicode = hk_codeset_is_utf8() != 0
        guard hk_start() != 0 else {
            let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
            throw Unusable(description: "TERM=\(term) is not a terminal this system's terminfo knows; set TERM (e.g. TERM=xterm-256color)")
        }
        raw()
        noecho()
        keypad(hk_stdscr(), true)
        curs_set(0)
        set_escdelay(25)
        mousemask(mmask_t(hk_all_mouse_events()), nil)
        mouseinterval(0)
        if !noColor && has_colors() {
            start_color()
            use_default_colors()
            colors = true
            manyColors = hk_colors() >= 256
        } else {
            colors = false
            manyColors = false
        }
        TerminalGuard.install()
    }

    /// Gives the terminal back as it was.
    public func end() {
        guard !ended else { return }
        ended = true
        endwin()
    }

    deinit { end() }

    public var size: (width: Int, height: Int) { (Int(hk_cols()), Int(hk_lines())) }

    public func draw(_ screen: Screen, previous: Screen?, theme: Theme) {
        let full = theme.name != lastTheme || previous == nil
        if full {
            lastTheme = theme.name
            erase()
        }
        for (x, y) in screen.changes(since: full ? nil : previous) {
            let cell = screen[x, y]
            if cell.text.isEmpty { continue }  // the right half of a wide glyph
            let attributes = attributes(for: theme.style(cell.role))
            attrset(Int32(bitPattern: attributes))
            mvaddstr(Int32(y), Int32(x), cell.text)
        }
        attrset(0)
        refresh()
    }

    private func attributes(for style: Style) -> attr_t {
        var a: attr_t = 0
        if style.bold { a |= hk_a_bold() }
        if style.underline { a |= hk_a_underline() }
        if style.reverse { a |= hk_a_reverse() }
        guard colors else { return a }
        let fg = manyColors ? style.fg : style.fg8
        let bg = manyColors ? style.bg : style.bg8
        if fg == nil && bg == nil { return a }
        let key = Int64(fg ?? -1) << 16 | Int64(bg ?? -1) & 0xFFFF
        if let pair = pairs[key] { return a | hk_color_pair(Int32(pair)) }
        let next = Int16(pairs.count + 1)
        guard Int32(next) < hk_color_pairs() else { return a }
        init_pair(next, Int16(fg ?? -1), Int16(bg ?? -1))
        pairs[key] = next
        return a | hk_color_pair(Int32(next))
    }

    public func readKey(timeoutMillis: Int) -> Key? {
        timeout(Int32(timeoutMillis))
        var ch: wint_t = 0
        let rc = wget_wch(hk_stdscr(), &ch)
        if rc == hk_err() { return nil }
        if rc == KEY_CODE_YES {
            switch Int32(ch) {
            case KEY_UP: return .up
            case KEY_DOWN: return .down
            case KEY_LEFT: return .left
            case KEY_RIGHT: return .right
            case KEY_NPAGE: return .pageDown
            case KEY_PPAGE: return .pageUp
            case KEY_HOME: return .home
            case KEY_END: return .end
            case KEY_BTAB: return .backTab
            case KEY_BACKSPACE: return .backspace
            case KEY_ENTER: return .enter
            case hk_key_mouse(): return mouse()
            default: return nil  // KEY_RESIZE and others: the runtime re-reads the size
            }
        }
        switch ch {
        case 10, 13: return .enter
        case 27: return .escape
        case 9: return .tab
        case 8, 127: return .backspace
        case 3: return .ctrlC
        default:
            guard let scalar = Unicode.Scalar(UInt32(ch)), ch >= 32 else { return nil }
            return .char(Character(scalar))
        }
    }

    private func mouse() -> Key? {
        var x: Int32 = 0, y: Int32 = 0
        var state: UInt = 0
        guard hk_getmouse(&x, &y, &state) == OK else { return nil }
        if state & hk_button4_pressed() != 0 { return .wheelUp }
        if hk_button5_pressed() != 0 && state & hk_button5_pressed() != 0 { return .wheelDown }
        if state & hk_button1_clicked() != 0 { return .click(x: Int(x), y: Int(y)) }
        return nil
    }

    /// OSC 52, wrapped for tmux when inside it, written straight to the tty.
    /// Leaves curses for an editor and comes back to the same screen state.
    public func suspend(_ body: () -> Void) {
        def_prog_mode()
        endwin()
        body()
        reset_prog_mode()
        refresh()
    }

    /// Inside tmux: `tmux load-buffer -w -`, which works with tmux's default
    /// `set-clipboard external` (an application's own OSC 52 is ignored there,
    /// and passthrough is off by default): tmux keeps the text in its paste
    /// buffer and sends it to the outer terminal's clipboard itself.
    /// Elsewhere: a plain OSC 52, which terminals (and SSH) carry.
    public func copyToClipboard(_ text: String) -> String {
        if ProcessInfo.processInfo.environment["TMUX"] != nil {
            if runTmux(["load-buffer", "-w", "-"], input: text) {
                return "in tmux's paste buffer (prefix ]) and sent to the terminal's clipboard"
            }
            if runTmux(["load-buffer", "-"], input: text) { return "in tmux's paste buffer (prefix ]); this tmux cannot set the clipboard" }
        }
        let sequence = "\u{1b}]52;c;\(Data(text.utf8).base64EncodedString())\u{07}"
        _ = sequence.withCString { write(1, $0, strlen($0)) }
        return "sent to the terminal's clipboard (OSC 52: the terminal must allow it)"
    }

    private func runTmux(_ arguments: [String], input: String) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["tmux"] + arguments
        let pipe = Pipe()
        process.standardInput = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        pipe.fileHandleForWriting.write(Data(input.utf8))
        try? pipe.fileHandleForWriting.close()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

/// Restores the terminal if the process dies of a fatal signal while the
/// TUI has it (raw mode, hidden cursor, alternate screen).
enum TerminalGuard {
    static func install() {
        for sig in [SIGSEGV, SIGBUS, SIGILL, SIGABRT, SIGFPE, SIGTRAP] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signo in
                // Only async-signal-safe calls: write a reset and re-raise.
                let reset = "\u{1b}[0m\u{1b}[?25h\u{1b}[?1049l\u{1b}[?1000l\r\n"
                _ = reset.withCString { write(2, $0, strlen($0)) }
                signal(signo, SIG_DFL)
                raise(signo)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0  // the handler resets to SIG_DFL itself before re-raising
            sigaction(sig, &action, nil)
        }
    }
}
