import HooktopCore

/// Counts the rows a line wraps into from its code points, as `Layout.wrap`
/// lays out its characters (grapheme clusters) with `CharWidth`, without
/// making a String or breaking it into characters. It knows the clusters
/// that text from callbacks is made of: code points that stand alone, and
/// after them combining marks, variation selectors, emoji modifiers,
/// zero-width joiners between pictographs, and pairs of regional indicators
/// (flags). Anything else (spacing marks, Hangul jamo, the scripts whose
/// letters join in other ways) it does not guess at: `add` returns false and
/// the caller lays the line out. Tests check every table here against the
/// standard library's own grapheme breaking, code point by code point.
struct ClusterRows {
    private var cursor: Layout.WrapCursor
    /// The columns of the cluster being read, placed when the next one starts.
    private var pending: Int?
    /// Regional indicators in a row just before this code point.
    private var indicators = 0
    private var joining = Joining.none

    /// Where the cluster being read stands for rule GB11 (pictograph,
    /// extenders, joiner: the next pictograph joins it).
    private enum Joining { case none, pictograph, joiner }

    init(width: Int) { cursor = Layout.WrapCursor(width: width) }

    /// The rows so far, the last cluster placed.
    var rows: Int {
        var done = cursor
        if let pending { _ = done.put(pending) }
        return done.rows
    }

    /// The rows `Layout.wrap` makes of a line laid out already, or nil.
    static func rows(_ line: Line, width: Int) -> Int? {
        var counter = ClusterRows(width: width)
        for span in line {
            counter.breakCluster()  // `wrap` reads each span's characters on their own
            var text = span.text
            let counted = text.withUTF8 { utf8 in counter.count(utf8, from: 0, to: utf8.count) { counter, _ in counter.control() } }
            if !counted { return nil }
        }
        return counter.rows
    }

    /// Counts the UTF-8 `bytes[from..<to]`: printable ASCII a column each,
    /// other bytes below 0x80 as `control` says. False at a code point this
    /// does not count (or bytes that are not UTF-8).
    mutating func count(_ bytes: UnsafeBufferPointer<UInt8>, from: Int, to: Int,
                        control: (inout ClusterRows, UInt8) -> Void) -> Bool {
        var k = from
        while k < to {
            let b = bytes[k]
            if b >= 0x20 && b < 0x7F {
                ascii()
                k += 1
            } else if b < 0x80 {
                control(&self, b)
                k += 1
            } else {
                guard let (scalar, length) = TerminalText.decodeScalar(bytes, at: k, end: to), add(scalar) else { return false }
                k += length
            }
        }
        return true
    }

    /// A printable ASCII character (one column, never joining what came before).
    mutating func ascii() {
        start(1)
        joining = .none
        indicators = 0
    }

    /// A control kept as it is (a raw tab): a cluster of its own, and what
    /// follows starts the next one (rule GB4).
    mutating func control() {
        start(0)
        breakCluster()
    }

    /// Ends the cluster being read: what follows starts the next one.
    mutating func breakCluster() {
        if let pending { _ = cursor.put(pending) }
        pending = nil
        joining = .none
        indicators = 0
    }

    /// The next code point; false when it is not one this counts.
    mutating func add(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        switch v {
        case 0x200D:  // zero-width joiner
            extend(0)
            joining = joining == .pictograph ? .joiner : .none
            indicators = 0
            return true
        case 0x1F1E6...0x1F1FF:  // a regional indicator joins the one before it when that one starts a pair
            if indicators % 2 == 1 { extend(2) } else { start(2) }
            indicators += 1
            joining = .none
            return true
        case 0x1F3FB...0x1F3FF, 0xFE0F:  // emoji modifiers, the emoji presentation selector: two columns
            extender(2)
            return true
        default:
            break
        }
        let kind = Kind.of(v)
        guard kind.counted else { return false }
        if kind.mark {
            extender(kind.columns)
            return true
        }
        if joining == .joiner && kind.pictograph { extend(kind.columns) } else { start(kind.columns) }
        joining = kind.pictograph ? .pictograph : .none
        indicators = 0
        return true
    }

    /// What a code point other than a joiner, regional indicator or emoji
    /// modifier is to the counter: a standalone character (a pictograph or
    /// not) or a combining or enclosing mark, with its columns; or nothing
    /// counted. Worked out once, for the code points text is mostly made of,
    /// from the tables below: asking them per code point made text in mixed
    /// scripts slower to count than to lay out.
    struct Kind {
        let bits: UInt8
        var counted: Bool { bits & 0x80 != 0 }
        var mark: Bool { bits & 0x40 != 0 }
        var pictograph: Bool { bits & 0x20 != 0 }
        var columns: Int { Int(bits & 0x03) }

        static func of(_ v: UInt32) -> Kind {
            if v < 0x3100 { return Kind(bits: low[Int(v)]) }
            if v >= 0x1F000 && v < 0x20000 { return Kind(bits: emoji[Int(v - 0x1F000)]) }
            switch v {
            case 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7A3, 0x20000...0x3FFFD: return Kind(bits: 0x80 | 2)  // CJK, Hangul: two columns, no pictographs
            default: return Unicode.Scalar(v).map(classify) ?? Kind(bits: 0)
            }
        }

        /// Latin to kana (with CJK punctuation), and the emoji planes' block.
        private static let low = table(0..<0x3100)
        private static let emoji = table(0x1F000..<0x20000)

        /// `classify` for every code point of `range`, filled in from the
        /// standalone ranges rather than by searching them once per code point.
        private static func table(_ range: Range<UInt32>) -> [UInt8] {
            var kinds = [UInt8](repeating: 0, count: range.count)
            for v in range {
                if let scalar = Unicode.Scalar(v), let kind = mark(scalar) { kinds[Int(v - range.lowerBound)] = kind.bits }
            }
            for (standalone, columns) in ClusterRows.standalone where standalone.overlaps(range) {
                for v in max(standalone.lowerBound, range.lowerBound)...min(standalone.upperBound, range.upperBound - 1) {
                    let width = columns > 0 ? columns : Unicode.Scalar(v).map(CharWidth.of) ?? 1
                    kinds[Int(v - range.lowerBound)] = Self.standalone(v, columns: width).bits
                }
            }
            return kinds
        }

        private static func classify(_ scalar: Unicode.Scalar) -> Kind {
            if let columns = ClusterRows.standaloneColumns(scalar) { return standalone(scalar.value, columns: columns) }
            return mark(scalar) ?? Kind(bits: 0)
        }

        private static func standalone(_ v: UInt32, columns: Int) -> Kind {
            Kind(bits: 0x80 | (Pictographs.contains(v) ? 0x20 : 0) | UInt8(min(2, max(0, columns))))
        }

        /// A combining or enclosing mark, or nil.
        private static func mark(_ scalar: Unicode.Scalar) -> Kind? {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .enclosingMark: Kind(bits: 0x80 | 0x40 | UInt8(min(2, max(0, CharWidth.of(scalar)))))
            default: nil
            }
        }
    }

    /// An extender (rule GB9): part of the cluster before it, which stays a
    /// pictograph for GB11 unless a joiner came last.
    private mutating func extender(_ columns: Int) {
        extend(columns)
        if joining == .joiner { joining = .none }
        indicators = 0
    }

    private mutating func start(_ columns: Int) {
        if let pending { _ = cursor.put(pending) }
        pending = columns
    }

    private mutating func extend(_ columns: Int) {
        pending = max(pending ?? 0, columns)
    }

    /// Code points that are always a character (grapheme) of their own and
    /// shown as themselves (no combining marks, joiners, variation selectors,
    /// emoji modifiers, regional indicators, Hangul jamo, C1 or format
    /// controls), with the columns `CharWidth` gives them (0: ask it).
    static let standalone: [(range: ClosedRange<UInt32>, columns: Int)] = [
        (0x00A0...0x00AC, 1), (0x00AE...0x02FF, 1), (0x0370...0x0482, 1), (0x048A...0x052F, 1),
        (0x05D0...0x05EA, 1), (0x05EF...0x05F4, 1), (0x0620...0x064A, 1), (0x0660...0x066F, 1), (0x0671...0x06D3, 1),
        (0x2010...0x2027, 1), (0x2030...0x205E, 1), (0x20A0...0x20C0, 1), (0x2100...0x2BFF, 0),
        (0x3000...0x3029, 2), (0x3030...0x303E, 2), (0x3041...0x3096, 2), (0x30A0...0x30FF, 2),
        (0x3400...0x4DBF, 2), (0x4E00...0x9FFF, 2), (0xAC00...0xD7A3, 2), (0xFF01...0xFF60, 2), (0xFFE0...0xFFE6, 2),
        (0x1F300...0x1F3FA, 2), (0x1F400...0x1F64F, 2), (0x1F680...0x1F6FF, 2), (0x1F900...0x1F9FF, 2), (0x1FA70...0x1FAFF, 2),
        (0x20000...0x3FFFD, 2),
    ]

    /// The columns of a code point that stands alone, or nil.
    static func standaloneColumns(_ scalar: Unicode.Scalar) -> Int? {
        let v = scalar.value
        for (range, columns) in standalone {
            if v < range.lowerBound { return nil }
            if v <= range.upperBound { return columns > 0 ? columns : CharWidth.of(scalar) }
        }
        return nil
    }
}

/// Which standalone code points are Extended_Pictographic (a joiner between
/// two of them makes one character), as the standard library breaks
/// characters: asked of it once for the blocks that hold pictographs, kept
/// as bits. The standard library does not publish the property itself.
enum Pictographs {
    /// The blocks with pictographs among the standalone code points; none outside them.
    static let blocks: [ClosedRange<UInt32>] = [0x00A0...0x02FF, 0x2010...0x2BFF, 0x3000...0x303E, 0x1F300...0x1FAFF]

    private static let bits: [[UInt64]] = blocks.map { block in
        var words = [UInt64](repeating: 0, count: block.count / 64 + 1)
        for v in block {
            guard let scalar = Unicode.Scalar(v), joinsAfterJoiner(scalar) else { continue }
            let k = Int(v - block.lowerBound)
            words[k / 64] |= 1 << UInt64(k % 64)
        }
        return words
    }

    /// Whether `v` is one, by the table.
    static func contains(_ v: UInt32) -> Bool {
        for (n, block) in blocks.enumerated() where block.contains(v) {
            let k = Int(v - block.lowerBound)
            return bits[n][k / 64] & (1 << UInt64(k % 64)) != 0
        }
        return false
    }

    /// The standard library's answer: 😀, a joiner and `scalar` make one character.
    static func joinsAfterJoiner(_ scalar: Unicode.Scalar) -> Bool {
        var text = String.UnicodeScalarView()
        text.append(contentsOf: ["\u{1F600}", "\u{200D}", scalar])
        return String(text).count == 1
    }
}
