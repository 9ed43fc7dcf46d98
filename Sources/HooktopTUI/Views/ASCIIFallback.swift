/// The dashboard on a terminal without UTF-8 (`LANG` unset, `LC_ALL=C`,
/// common over SSH and in containers): every glyph becomes one ASCII
/// character in the same cell, so layout and widths stay as they are.
/// Marks keep a meaning (`v` valid, `x` invalid, `D` duplicate); any other
/// character a payload holds becomes `?` (that terminal could not show it).
enum ASCIIFallback {
    static let table: [Character: Character] = [
        "✓": "v", "✗": "x", "⏱": "t", "–": "-", "—": "-", "⟲": "D", "●": "*", "…": "~", "⚠": "!", "⚡": "*", "•": "*",
        "│": "|", "─": "-", "┌": "+", "┐": "+", "└": "+", "┘": "+", "▏": "|",
        "↑": "^", "↓": "v", "←": "<", "→": ">", "⏎": "E",
        "▁": "_", "▂": ".", "▃": ":", "▄": "-", "▅": "=", "▆": "+", "▇": "#", "█": "@",
    ]

    static func apply(_ screen: inout Screen) {
        screen.mapCells { cell in
            guard cell.text.utf8.contains(where: { $0 >= 0x80 }) else { return cell }
            var out = cell
            out.text = cell.text.first.map { table[$0].map(String.init) ?? "?" } ?? ""
            return out
        }
    }
}
