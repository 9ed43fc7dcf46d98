/// A run of text with one role, and a line of them. Payload text must be
/// made safe (`TerminalText`) before it becomes a span.
public struct Span: Equatable, Sendable {
    public var text: String
    public var role: Role
    public init(_ text: String, _ role: Role = .normal) {
        self.text = text
        self.role = role
    }
}

public typealias Line = [Span]

extension Screen {
    /// Draws spans left to right from x, clipped at `maxWidth`; returns the columns used.
    @discardableResult
    mutating func draw(_ line: Line, x: Int, y: Int, maxWidth: Int? = nil) -> Int {
        var col = x
        let limit = x + (maxWidth ?? (width - x))
        for span in line where col < limit {
            col += put(span.text, x: col, y: y, role: span.role, maxWidth: limit - col)
        }
        return col - x
    }
}

enum Layout {
    /// Pads or cuts text to exactly `width` columns (an ellipsis marks a cut).
    static func fit(_ text: String, _ width: Int, alignRight: Bool = false) -> String {
        guard width > 0 else { return "" }
        let w = CharWidth.of(text)
        if w <= width {
            let pad = String(repeating: " ", count: width - w)
            return alignRight ? pad + text : text + pad
        }
        var out = ""
        var used = 0
        for ch in text {
            let cw = CharWidth.of(ch)
            if used + cw > width - 1 { break }
            out.append(ch)
            used += cw
        }
        return out + "…" + String(repeating: " ", count: max(0, width - 1 - used))
    }

    /// Where wrapping breaks: the one rule for `wrap`, `rowCount` and the
    /// detail view's counting from bytes. A character that does not fit in
    /// what is left of the row starts the next one (a wide one at the start
    /// of a one-column row leaves an empty row before it).
    struct WrapCursor {
        let width: Int
        private(set) var rows = 1
        private var used = 0

        init(width: Int) { self.width = width }

        /// Places a character `w` columns wide; true when it starts a new row.
        mutating func put(_ w: Int) -> Bool {
            let breaks = used + w > width
            if breaks {
                rows += 1
                used = 0
            }
            used += w
            return breaks
        }
    }

    /// Splits a line into pieces of at most `width` columns.
    static func wrap(_ line: Line, width: Int) -> [Line] {
        guard width > 0 else { return [line] }
        var out: [Line] = []
        var current: Line = []
        var cursor = WrapCursor(width: width)
        for span in line {
            var piece = ""
            for ch in span.text {
                if cursor.put(CharWidth.of(ch)) {
                    if !piece.isEmpty { current.append(Span(piece, span.role)) }
                    out.append(current)
                    current = []
                    piece = ""
                }
                piece.append(ch)
            }
            if !piece.isEmpty { current.append(Span(piece, span.role)) }
        }
        out.append(current)
        return out
    }

    /// How many pieces `wrap` makes of a line, without making them.
    static func rowCount(_ line: Line, width: Int) -> Int {
        guard width > 0 else { return 1 }
        var cursor = WrapCursor(width: width)
        for span in line {
            for ch in span.text { _ = cursor.put(CharWidth.of(ch)) }
        }
        return cursor.rows
    }

    /// The line without its first `columns` columns (horizontal scrolling).
    static func dropColumns(_ line: Line, _ columns: Int) -> Line {
        var skipped = 0
        var out: Line = []
        for span in line {
            var kept = ""
            for ch in span.text {
                if skipped < columns { skipped += CharWidth.of(ch); continue }
                kept.append(ch)
            }
            if !kept.isEmpty { out.append(Span(kept, span.role)) }
        }
        return out
    }

    static func thousands(_ n: Int) -> String {
        let s = String(n)
        var out = ""
        for (i, ch) in s.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return String(out.reversed())
    }
}
