/// Parses sizes such as `10MiB`, `512k`, `1048576`.
public enum ByteSize {
    /// What `--max-body` / `max_body` may be: SQLite keeps a value of at most
    /// 1,000,000,000 bytes, so a larger limit could only fail at commit time.
    public static let bodyRange = 0...(512 << 20)

    public static func bodyRangeProblem(_ bytes: Int) -> String {
        "\(bytes) bytes is more than hooktop keeps of one body (at most 512MiB)"
    }

    /// What is wrong with a text `parse` refused, for messages: digits with a
    /// known unit can only have failed by not fitting.
    public static func problem(_ text: String) -> String {
        let trimmed = text.trimmingSpaces()
        if trimmed.first?.isASCII == true, trimmed.first?.isNumber == true, unitFactor(trimmed) != nil {
            return "'\(text)' is too large a size"
        }
        return "'\(text)' is not a size (like \"10MiB\", \"512k\", \"1048576\")"
    }

    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingSpaces()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let n = Int(digits) else { return nil }
        guard let factor = unitFactor(trimmed) else { return nil }
        let (product, overflow) = n.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }

    private static func unitFactor(_ text: String) -> Int? {
        let trimmed = text.trimmingSpaces()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let unit = trimmed.dropFirst(digits.count).trimmingSpaces().lowercased()
        let factors: [String: Int] = [
            "": 1, "b": 1,
            "k": 1 << 10, "kb": 1000, "kib": 1 << 10,
            "m": 1 << 20, "mb": 1_000_000, "mib": 1 << 20,
            "g": 1 << 30, "gb": 1_000_000_000, "gib": 1 << 30,
        ]
        return factors[unit]
    }

    /// `1.5 KiB`-style text for people.
    public static func describe(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes) / 1024
        var i = 0
        while value >= 1024, i < units.count - 1 { value /= 1024; i += 1 }
        let rounded = (value * 10).rounded() / 10
        return "\(rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)) \(units[i])"
    }
}

/// Parses durations such as `7d`, `5m`, `250ms`, `1h30m`, `0s`, into microseconds.
public enum DurationText {
    /// Microseconds as milliseconds with one decimal, rounded half up:
    /// 12_549 -> `12.5`. Every duration hooktop shows or logs in ms (the
    /// access log writes one per delivery attempt, so no `String(format:)`).
    public static func milliseconds(_ micros: Int64) -> String {
        let tenths = micros.magnitude / 100 + (micros.magnitude % 100 >= 50 ? 1 : 0)
        return (micros < 0 ? "-" : "") + "\(tenths / 10).\(tenths % 10)"
    }

    /// A span for people, in its two largest units: `12s`, `4m 10s`, `2h 5m`, `3d 1h`.
    public static func short(seconds: Int64) -> String {
        let s = max(seconds, 0)
        if s < 60 { return "\(s)s" }
        if s < 3_600 { return "\(s / 60)m \(s % 60)s" }
        if s < 86_400 { return "\(s / 3_600)h \(s % 3_600 / 60)m" }
        return "\(s / 86_400)d \(s % 86_400 / 3_600)h"
    }

    /// The longest duration hooktop takes anywhere (100 years). Well inside
    /// NIO's `TimeAmount` (nanoseconds in an Int64, about 292 years) and any
    /// timestamp plus it, so no caller has to check again.
    public static let maximum: Int64 = 100 * 365 * 86_400_000_000

    public static func parse(_ text: String) -> Int64? {
        if case .success(let micros) = read(text) { return micros }
        return nil
    }

    /// What is wrong with a text that is not a duration, for messages ("" when it is one).
    public static func problem(_ text: String) -> String {
        switch read(text) {
        case .success: ""
        case .failure(.tooLong): "'\(text)' is too long a duration (at most 100 years)"
        case .failure(.notADuration): "'\(text)' is not a duration (like \"30s\", \"5m\", \"2h\", \"7d\")"
        }
    }

    enum Problem: Error { case notADuration, tooLong }

    static func read(_ text: String) -> Result<Int64, Problem> {
        let units: [String: Int64] = [
            "us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000,
            "h": 3_600_000_000, "d": 86_400_000_000, "w": 604_800_000_000,
        ]
        var rest = Substring(text.trimmingSpaces())
        guard !rest.isEmpty else { return .failure(.notADuration) }
        var total: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, let value = Double(digits) else { return .failure(.notADuration) }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let factor = units[String(unit).lowercased()] else { return .failure(.notADuration) }
            // Past the maximum is refused before any conversion could trap.
            let micros = (value * Double(factor)).rounded(.down)
            guard micros.isFinite, micros <= Double(maximum), let part = Int64(exactly: micros) else { return .failure(.tooLong) }
            total += part  // both at most `maximum`: no overflow
            guard total <= maximum else { return .failure(.tooLong) }
        }
        return .success(total)
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
