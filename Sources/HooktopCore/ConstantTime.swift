/// Comparing secrets without telling an attacker, by how long it takes,
/// how much of a guess was right.
public enum ConstantTime {
    /// Equal bytes, compared in time that depends only on the lengths.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
