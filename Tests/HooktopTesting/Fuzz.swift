import HooktopCore

/// A fixed-seed generator (SplitMix64): every CI run fuzzes the same cases,
/// so a failure found once is found again.
public struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    public mutating func chance(_ percent: UInt64) -> Bool { next() % 100 < percent }
}

/// Inputs that break numeric code: the extremes of every integer type, 20-digit
/// numbers, floats past Int64, NaN, signs, whitespace, digits that are not ASCII.
public enum FuzzValues {
    public static let numbers: [String] = [
        "0", "-0", "+0", "1", "-1", "+1", "00000000000000000001", "300", "-300",
        "9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
        "18446744073709551615", "18446744073709551616", "99999999999999999999", "-99999999999999999999",
        "2147483647", "-2147483648", "4294967296", "253402300799", "253402300800", "-62135596800",
        "1e308", "-1e308", "1e309", "1e300", "1.7976931348623157e308", "5e-324", "NaN", "nan", "-nan", "inf", "-inf",
        "Infinity", "0x7fffffffffffffff", "0b1", "0o777", "1_000", "1.5", ".5", "5.", ".", "-", "+", "--1", "+-1",
        "", " ", "\t", " 1", "1 ", " 1 ", "\t42\t", "1\n", "1,2", "1;2", "１２３", "٣", "¹", "1e", "e1", "0e0",
        "1700000000", "1700000000000", "1700000000000000", "-1700000000",
    ]

    /// Numbers with a unit, as durations and sizes are written.
    public static let quantities: [String] = numbers.flatMap { n in ["", "s", "ms", "m", "h", "d", "w", "us", "k", "KiB", "MB", "GiB", "x"].map { n + $0 } }
        + ["8000000w8000000w", "1h30m", "1h-30m", "99999999999999999w", "1e308s", "0.0000001us", "1.5.5s", "ss", "5 m", "9223372036854775807us9223372036854775807us"]

    /// Strings that are long, deeply nested, hostile to terminals, or odd Unicode.
    public static let strings: [String] = [
        "", " ", "é", "\u{1b}[2J\u{1b}]52;c;aGk=\u{07}", "\u{0}", "\u{7f}", "\u{9b}31m", "😀", "👩‍👩‍👧", "🇫🇷", "e\u{301}", "\u{200b}",
        String(repeating: "a", count: 70_000), String(repeating: "[", count: 20_000), String(repeating: "{\"a\":", count: 5_000),
        "\u{FFFD}", "\\", "\"", "'", "=", ",", ";", "t=", "v1=", "%00", "%", "\r", "\n", "\r\n",
    ]

    /// Bytes that are not valid UTF-8, or only just are.
    public static let byteRuns: [[UInt8]] = [
        [], [0xFF], [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80],
        [0xC3, 0xA9], [0x1B, 0x5B, 0x32, 0x4A], [0x00], [0xC2, 0x9B], Array(repeating: 0xFF, count: 5000),
    ]

    /// A random string from the pools above, sometimes several glued together.
    public static func text(_ rng: inout SeededRandom) -> String {
        var out = ""
        for _ in 0...(rng.next() % 3) {
            out += rng.chance(60) ? rng.pick(numbers) : rng.pick(strings)
        }
        return out
    }

    /// Random bytes: text, invalid UTF-8 and noise mixed.
    public static func bytes(_ rng: inout SeededRandom) -> [UInt8] {
        var out: [UInt8] = []
        for _ in 0...(rng.next() % 4) {
            switch rng.next() % 3 {
            case 0: out += rng.pick(byteRuns)
            case 1: out += Array(text(&rng).utf8)
            default: out += (0..<(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
        }
        return out
    }
}
