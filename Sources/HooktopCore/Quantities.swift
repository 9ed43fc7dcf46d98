/// Parses sizes such as `10MiB`, `512k`, `1048576`.
public enum ByteSize {
    public static func parse(_ text: String) -> Int? {
        let trimmed = text.trimmingSpaces()
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        guard !digits.isEmpty, let n = Int(digits) else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingSpaces().lowercased()
        let factors: [String: Int] = [
            "": 1, "b": 1,
            "k": 1 << 10, "kb": 1000, "kib": 1 << 10,
            "m": 1 << 20, "mb": 1_000_000, "mib": 1 << 20,
            "g": 1 << 30, "gb": 1_000_000_000, "gib": 1 << 30,
        ]
        guard let factor = factors[unit] else { return nil }
        let (product, overflow) = n.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
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
    public static func parse(_ text: String) -> Int64? {
        let units: [String: Int64] = [
            "us": 1, "ms": 1_000, "s": 1_000_000, "m": 60_000_000,
            "h": 3_600_000_000, "d": 86_400_000_000, "w": 604_800_000_000,
        ]
        var rest = Substring(text.trimmingSpaces())
        guard !rest.isEmpty else { return nil }
        var total: Int64 = 0
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, let value = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix { $0.isASCII && $0.isLetter }
            rest = rest.dropFirst(unit.count)
            guard let factor = units[String(unit).lowercased()] else { return nil }
            let micros = value * Double(factor)
            guard micros.isFinite, micros < 9e18 else { return nil }
            total += Int64(micros)
        }
        return total
    }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
