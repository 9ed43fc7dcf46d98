/// Arithmetic on values that a sender, a file or a user controls. Swift traps
/// on overflow and on inexact conversions; these never do. Every number that
/// comes from outside goes through one of them (docs/RELIABILITY.md).
extension Int64 {
    /// `self + other`, clamped to the representable range.
    public func saturatingAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other > 0 ? .max : .min
    }

    /// `self - other`, clamped to the representable range.
    public func saturatingSubtracting(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other > 0 ? .min : .max
    }

    /// `self * other`, clamped to the representable range.
    public func saturatingMultiplied(by other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) == (other < 0) ? .max : .min
    }

    /// Milliseconds as a JSON number (`12.5`) to microseconds; nil for NaN,
    /// infinities, negatives and anything past `limit`.
    public static func microseconds(fromMilliseconds ms: Double, limit: Int64 = DurationText.maximum) -> Int64? {
        guard ms.isFinite, ms >= 0 else { return nil }
        let micros = (ms * 1000).rounded()
        guard micros <= Double(limit) else { return nil }
        return Int64(exactly: micros)
    }
}

extension Int {
    /// A whole number from a JSON value that Foundation decoded (`Int`,
    /// `Int64`, or a `Double` such as `1e300`), if it is one and fits `range`.
    public static func exactly(_ value: Any?, in range: ClosedRange<Int>) -> Int? {
        let n: Int?
        switch value {
        case let i as Int: n = i
        case let i as Int64: n = Int(exactly: i)
        case let d as Double: n = d.isFinite ? Int(exactly: d) : nil
        default: n = nil
        }
        guard let n, range.contains(n) else { return nil }
        return n
    }
}
