/// An in-memory grid of cells: what views draw into and what tests read as
/// text. The terminal backend is only told about cells that changed.
public struct Screen: Equatable, Sendable {
    public struct Cell: Equatable, Sendable {
        /// The glyph, or "" for the second column of a wide one.
        public var text: String
        public var role: Role
        public static let blank = Cell(text: " ", role: .normal)
    }

    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = Array(repeating: .blank, count: self.width * self.height)
    }

    public subscript(x: Int, y: Int) -> Cell {
        cells[y * width + x]
    }

    /// Writes text at (x, y) clipped to `maxWidth` columns; returns the columns used.
    /// The text must already be safe (see `TerminalText`): controls are dropped here as a last guard.
    @discardableResult
    public mutating func put(_ text: String, x: Int, y: Int, role: Role, maxWidth: Int? = nil) -> Int {
        guard y >= 0, y < height, x < width else { return 0 }
        let limit = min(width, x + (maxWidth ?? width))
        var col = x
        for ch in text {
            let w = CharWidth.of(ch)
            if w == 0 {
                if ch.unicodeScalars.allSatisfy({ $0.value < 0x20 || ($0.value >= 0x7F && $0.value < 0xA0) }) { continue }
                if col > x, col - 1 >= 0 { cells[y * width + col - 1].text.append(ch) }  // combining mark
                continue
            }
            if col + w > limit { break }
            if col >= 0 {
                cells[y * width + col] = Cell(text: String(ch), role: role)
                if w == 2 { cells[y * width + col + 1] = Cell(text: "", role: role) }
            }
            col += w
        }
        return col - x
    }

    /// Paints a run of cells with a role (a selection bar, a header line), keeping their text.
    public mutating func fill(y: Int, from x: Int = 0, to end: Int? = nil, role: Role) {
        let from = max(0, x), to = min(width, end ?? width)
        guard y >= 0, y < height, from < to else { return }
        for col in from..<to { cells[y * width + col].role = role }
    }

    public mutating func clearLine(_ y: Int, role: Role = .normal) {
        guard y >= 0, y < height else { return }
        for col in 0..<width { cells[y * width + col] = Cell(text: " ", role: role) }
    }

    /// The screen as plain text, one line per row, trailing spaces trimmed: for snapshots.
    /// Rewrites every cell (the ASCII fallback).
    mutating func mapCells(_ transform: (Cell) -> Cell) {
        for i in cells.indices { cells[i] = transform(cells[i]) }
    }

    public var text: String {
        (0..<height).map { y in
            var line = ""
            for x in 0..<width { line += cells[y * width + x].text }
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// The (x, y) of every cell that differs from `previous`.
    public func changes(since previous: Screen?) -> [(x: Int, y: Int)] {
        guard let previous, previous.width == width, previous.height == height else {
            return (0..<height).flatMap { y in (0..<width).map { (x: $0, y: y) } }
        }
        var out: [(x: Int, y: Int)] = []
        for i in 0..<cells.count where cells[i] != previous.cells[i] { out.append((x: i % width, y: i / width)) }
        return out
    }
}
