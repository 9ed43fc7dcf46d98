#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A UTC instant with microsecond precision, stored as microseconds since 1970.
public struct Timestamp: Sendable, Hashable, Comparable {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    /// Clamped to the representable range: a hostile `t=` never traps.
    public init(seconds: Int64) { self.microseconds = seconds.saturatingMultiplied(by: 1_000_000) }

    /// Years 1 to 9999: what RFC 3339 can write, and every instant an import,
    /// a header or a flag may name. Anything outside is refused as out of range.
    public static let representable = Timestamp(microseconds: -62_135_596_800_000_000)...Timestamp(microseconds: 253_402_300_799_999_999)

    public static func now() -> Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1_000)
    }

    public var seconds: Int64 { microseconds.floorDiv(1_000_000) }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    /// Saturates instead of trapping: `now + 100 years` is far, not a crash.
    public func adding(microseconds delta: Int64) -> Timestamp {
        Timestamp(microseconds: microseconds.saturatingAdding(delta))
    }

    /// `self - earlier` in microseconds, clamped to the representable range.
    public func elapsedMicroseconds(since earlier: Timestamp) -> Int64 {
        microseconds.saturatingSubtracting(earlier.microseconds)
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-28T23:12:07.473Z`.
    /// Written as 24 bytes for years 0 to 9999 (it is on every access log
    /// line and every exported request); other years as before, padded.
    public var iso8601: String {
        let (date, time) = civil
        guard (0...9999).contains(date.y) else {
            return "\(pad(date.y, 4))-\(pad(date.m, 2))-\(pad(date.d, 2))T"
                + "\(pad(time.h, 2)):\(pad(time.min, 2)):\(pad(time.s, 2)).\(pad(time.ms, 3))Z"
        }
        return String(unsafeUninitializedCapacity: 24) { out in
            func digits(_ value: Int64, _ width: Int, at start: Int) {
                var v = value
                for i in stride(from: start + width - 1, through: start, by: -1) {
                    out[i] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                    v /= 10
                }
            }
            digits(date.y, 4, at: 0); out[4] = UInt8(ascii: "-"); digits(date.m, 2, at: 5); out[7] = UInt8(ascii: "-")
            digits(date.d, 2, at: 8); out[10] = UInt8(ascii: "T"); digits(time.h, 2, at: 11); out[13] = UInt8(ascii: ":")
            digits(time.min, 2, at: 14); out[16] = UInt8(ascii: ":"); digits(time.s, 2, at: 17); out[19] = UInt8(ascii: ".")
            digits(time.ms, 3, at: 20); out[23] = UInt8(ascii: "Z")
            return 24
        }
    }

    /// `HH:MM:SS.mmm` in UTC, for tables and live lines.
    public var timeOfDay: String {
        let time = civil.1
        return "\(pad(time.h, 2)):\(pad(time.min, 2)):\(pad(time.s, 2)).\(pad(time.ms, 3))"
    }

    /// Parses what `iso8601` writes (fraction optional, `Z` or `+00:00`).
    public init?(iso8601 text: String) {
        let u = Array(text.utf8)
        func num(_ from: Int, _ len: Int) -> Int64? {
            guard from + len <= u.count else { return nil }
            var v: Int64 = 0
            for c in u[from..<from + len] {
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        guard u.count >= 20, let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2),
              let h = num(11, 2), let mi = num(14, 2), let s = num(17, 2) else { return nil }
        var i = 19
        var micros: Int64 = 0
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 48, u[i] <= 57 {
                if digits < 6 { micros = micros * 10 + Int64(u[i] - 48); digits += 1 }
                i += 1
            }
            while digits < 6 { micros *= 10; digits += 1 }
        }
        var offset: Int64 = 0
        if i < u.count, u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-") {
            guard let oh = num(i + 1, 2), let om = num(i + 4, 2) else { return nil }
            offset = (oh * 3600 + om * 60) * (u[i] == UInt8(ascii: "+") ? 1 : -1)
        } else if !(i < u.count && (u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z"))) {
            return nil
        }
        guard (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61 else { return nil }
        let days = Timestamp.daysFromCivil(y, mo, d)
        let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset
        let parsed = Timestamp(microseconds: secs * 1_000_000 + micros)
        guard Timestamp.representable.contains(parsed) else { return nil }
        self = parsed
    }

    private var civil: ((y: Int64, m: Int64, d: Int64), (h: Int64, min: Int64, s: Int64, ms: Int64)) {
        let secs = seconds
        let days = secs.floorDiv(86_400)
        let rem = secs - days * 86_400
        let fraction = microseconds % 1_000_000  // secs * 1_000_000 may not fit at the extremes
        let ms = (fraction < 0 ? fraction + 1_000_000 : fraction) / 1_000
        return (Timestamp.civilFromDays(days), (rem / 3600, rem % 3600 / 60, rem % 60, ms))
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ z0: Int64) -> (y: Int64, m: Int64, d: Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }
}

private func pad(_ value: Int64, _ width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}

extension Int64 {
    func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d != 0 && (self < 0) != (d < 0)) ? q - 1 : q
    }
}
