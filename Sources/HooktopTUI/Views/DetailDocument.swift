#if canImport(Glibc)
import Glibc
#endif
import HooktopCore

/// The open tab as the detail view shows it: `count` rows, any row on
/// demand. A body's text and hex dump are laid out from its bytes lazily:
/// one pass finds where lines start, a line's wrapped height is worked out
/// from its bytes when each character in it is one grapheme of known width
/// (`TextLines.rows`), and only the rows on screen are escaped and cut.
/// Opening, scrolling and idling cost about the same for a 1 KB body and a
/// 10 MiB one.
final class DetailDocument {
    /// Lines before wrapping, from one of three kinds of source.
    enum Part {
        /// Lines laid out already (the overview, pretty JSON, forms…).
        case lines([Line])
        /// The lines of a text, escaped when drawn.
        case text(TextLines)
        /// A hex dump of the bytes, 16 to a line.
        case hex([UInt8])

        var count: Int {
            switch self {
            case .lines(let lines): lines.count
            case .text(let text): text.count
            case .hex(let bytes): (bytes.count + 15) / 16
            }
        }
    }

    private let parts: [Part]
    /// The first source line of each part.
    private let partStarts: [Int]
    private let sourceCount: Int
    /// Columns a row holds when wrapping; nil: one row per line.
    private let wrapWidth: Int?
    /// When wrapping: the first row of each source line (and the total at the end).
    private let rowStarts: [UInt32]
    let count: Int
    /// Wrapped rows of the source lines drawn last (a long line spans many rows on screen).
    private var wrapped: [Int: [Line]] = [:]
    /// Source lines escaped and laid out so far: a frame costs the lines on
    /// screen, not the body (tests hold it to that).
    private(set) var linesLaidOut = 0

    init(_ parts: [Part], wrapWidth: Int?) {
        self.parts = parts
        var starts: [Int] = []
        var total = 0
        for part in parts {
            starts.append(total)
            total += part.count
        }
        partStarts = starts
        sourceCount = total
        self.wrapWidth = wrapWidth.map { max(1, $0) }
        guard let width = self.wrapWidth else {
            rowStarts = []
            count = total
            return
        }
        var rows: [UInt32] = []
        rows.reserveCapacity(total + 1)
        var row = 0
        var slow = 0
        for part in parts {
            for i in 0..<part.count {
                rows.append(UInt32(clamping: row))
                if let rows = Self.plainRows(part, i, width: width) {
                    row += rows
                } else {
                    row += Layout.rowCount(Self.line(part, i), width: width)
                    slow += 1
                }
            }
        }
        rows.append(UInt32(clamping: row))
        rowStarts = rows
        count = row
        linesLaidOut = slow
    }

    /// Row `index` (0 ..< count) as drawn.
    func row(_ index: Int) -> Line {
        guard index >= 0, index < count else { return [] }
        guard let width = wrapWidth else { return sourceLine(index) }
        let source = sourceIndex(ofRow: index)
        let rows = rows(ofSource: source, width: width)
        let k = index - Int(rowStarts[source])
        return rows.indices.contains(k) ? rows[k] : []  // counted as laid out (tests hold them equal); never a trap
    }

    /// Every row, in order (small documents and tests).
    var allRows: [Line] { (0..<count).map(row) }

    /// The rows holding `search` (case-insensitively), in order. Lines of plain
    /// ASCII text without it are skipped by their bytes, not laid out.
    func matches(_ search: String) -> [Int] {
        let needle = search.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) ? Array(search.lowercased().utf8) : nil
        var hits: [Int] = []
        for source in 0..<sourceCount {
            let (part, i) = locate(source)
            if let needle, case .text(let text) = part, !text.mayShow(i, needle) { continue }
            let first = wrapWidth == nil ? source : Int(rowStarts[source])
            let lines = wrapWidth.map { rows(ofSource: source, width: $0) } ?? [sourceLine(source)]
            for (k, line) in lines.enumerated() where DetailView.matches(line, search) { hits.append(first + k) }
        }
        return hits
    }

    private func rows(ofSource source: Int, width: Int) -> [Line] {
        if let cached = wrapped[source] { return cached }
        if wrapped.count > 256 { wrapped.removeAll(keepingCapacity: true) }
        let rows = Layout.wrap(sourceLine(source), width: width)
        wrapped[source] = rows
        return rows
    }

    private func sourceLine(_ source: Int) -> Line {
        let (part, i) = locate(source)
        linesLaidOut += 1
        return Self.line(part, i)
    }

    private func locate(_ source: Int) -> (Part, Int) {
        var lo = 0
        var hi = partStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if partStarts[mid] <= source { lo = mid } else { hi = mid - 1 }
        }
        return (parts[lo], source - partStarts[lo])
    }

    private func sourceIndex(ofRow row: Int) -> Int {
        var lo = 0
        var hi = sourceCount - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if Int(rowStarts[mid]) <= row { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    private static func line(_ part: Part, _ i: Int) -> Line {
        switch part {
        case .lines(let lines): lines[i]
        case .text(let text): [Span(text.display(i))]
        case .hex(let bytes): [Span(TerminalText.hexDumpLine(bytes, at: i * 16))]
        }
    }

    /// The rows a source line wraps into when that is known without laying
    /// it out (ASCII lines, text lines of simple characters); nil otherwise.
    private static func plainRows(_ part: Part, _ i: Int, width: Int) -> Int? {
        switch part {
        case .lines(let lines):
            return ClusterRows.rows(lines[i], width: width)
        case .text(let text):
            return text.rows(i, width: width)
        case .hex(let bytes):
            return (62 + min(16, bytes.count - i * 16) + width - 1) / width
        }
    }
}

/// A text's lines: where each starts, found in one pass over the bytes.
/// A line longer than `maxLineBytes` goes on as the next line, so no one
/// line costs more than that to escape and wrap.
struct TextLines {
    static let maxLineBytes = 64 * 1024

    let bytes: [UInt8]
    /// `\t` as four spaces (the text view) or kept (the raw view).
    let expandTabs: Bool
    private let starts: [UInt32]
    /// Where the last line ends: the body's end (at most 4 GiB).
    private let end: Int

    var count: Int { starts.count }

    init(_ bytes: [UInt8], expandTabs: Bool) {
        self.bytes = bytes
        self.expandTabs = expandTabs
        var starts: [UInt32] = [0]
        // Offsets are 32 bits: past 4 GiB (no body the dashboard could hold) the rest is not shown.
        let end = min(bytes.count, Int(UInt32.max))
        bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            var start = 0
            while start < end {
                let span = min(end - start, Self.maxLineBytes)
                if let newline = memchr(base + start, 0x0A, span) {
                    start = base.distance(to: newline.assumingMemoryBound(to: UInt8.self)) + 1
                } else if start + span == end {
                    break
                } else {
                    // A long line: cut at a character's first byte, never inside one.
                    var cut = start + span
                    while cut > start + 1, buffer[cut] & 0xC0 == 0x80 { cut -= 1 }
                    start = cut
                }
                starts.append(UInt32(truncatingIfNeeded: start))  // start < end <= UInt32.max
            }
        }
        self.starts = starts
        self.end = end
    }

    /// The bytes of line `i`, without its newline.
    func range(_ i: Int) -> Range<Int> {
        let start = Int(starts[i])
        guard i + 1 < starts.count else { return start..<end }
        let next = Int(starts[i + 1])
        return start..<(bytes[next - 1] == 0x0A ? next - 1 : next)
    }

    /// Line `i` made safe to show, as the text view shows it.
    func display(_ i: Int) -> String {
        let text = TerminalText.block(bytes[range(i)])
        return expandTabs ? Self.expandingTabs(text) : text
    }

    /// Each tab as four spaces. Byte by byte: a String search for "\t" does
    /// not find a tab that a mark or modifier follows, and `rows` counts every one.
    static func expandingTabs(_ text: String) -> String {
        guard text.utf8.contains(0x09) else { return text }
        var expanded: [UInt8] = []
        expanded.reserveCapacity(text.utf8.count + 12)
        for b in text.utf8 {
            if b == 0x09 { expanded += [0x20, 0x20, 0x20, 0x20] } else { expanded.append(b) }
        }
        return String(decoding: expanded, as: UTF8.self)
    }

    /// How many rows `display(i)` wraps into at `width` columns, worked out
    /// from its bytes as `Layout.wrap` would lay it out: printable ASCII a
    /// column a character, escapes (`\x1b`) and expanded tabs four, and the
    /// characters `ClusterRows` knows (most scripts, emoji, flags, combining
    /// marks) as wide as they are drawn. nil for anything else (spacing
    /// marks, jamo, C1 and format controls, invalid UTF-8): that line is laid out.
    func rows(_ i: Int, width: Int) -> Int? {
        let r = range(i)
        let expandTabs = self.expandTabs
        return bytes.withUnsafeBufferPointer { buffer -> Int? in
            var counter = ClusterRows(width: width)
            let counted = counter.count(buffer, from: r.lowerBound, to: r.upperBound) { counter, b in
                if b == 0x09 && !expandTabs {
                    counter.control()
                } else {
                    for _ in 0..<4 { counter.ascii() }  // four spaces, or `\xNN`
                }
            }
            return counted ? counter.rows : nil
        }
    }

    /// Whether line `i` can show the lower-case ASCII `needle`: false only for
    /// a line of printable ASCII (shown as it is) that does not hold it.
    func mayShow(_ i: Int, _ needle: [UInt8]) -> Bool {
        let r = range(i)
        guard !needle.isEmpty else { return true }
        return bytes.withUnsafeBufferPointer { buffer in
            for k in r where buffer[k] < 0x20 || buffer[k] >= 0x7F { return true }  // escaped or expanded: lay it out
            guard r.count >= needle.count else { return false }
            var k = r.lowerBound
            while k + needle.count <= r.upperBound {
                var m = 0
                while m < needle.count, Self.lower(buffer[k + m]) == needle[m] { m += 1 }
                if m == needle.count { return true }
                k += 1
            }
            return false
        }
    }

    private static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 0x20 : b }
}
