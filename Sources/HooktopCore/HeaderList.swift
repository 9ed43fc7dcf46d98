/// HTTP header fields exactly as they arrived: order, letter case and duplicates kept.
public struct HeaderList: Sendable, Equatable, Sequence {
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public private(set) var fields: [Field]

    public init(_ fields: [Field] = []) { self.fields = fields }

    public init(_ pairs: [(String, String)]) {
        self.fields = pairs.map { Field($0.0, $0.1) }
    }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }
    public func makeIterator() -> IndexingIterator<[Field]> { fields.makeIterator() }

    /// Room for `n` fields, so that a parsed head's fields go in without the array growing on the way.
    public mutating func reserveCapacity(_ n: Int) { fields.reserveCapacity(n) }

    public mutating func append(_ name: String, _ value: String) {
        fields.append(Field(name, value))
    }

    /// Removes every field with this name (any letter case).
    public mutating func remove(_ name: String) {
        fields.removeAll { $0.name.caseInsensitiveEquals(name) }
    }

    /// Each named field set to its value: the first field of that name keeps
    /// its place and spelling and any repeats go; a new name is appended.
    public func replacing(_ values: [(String, String)]) -> HeaderList {
        var out = self
        for (name, value) in values {
            if let i = out.fields.firstIndex(where: { $0.name.caseInsensitiveEquals(name) }) {
                out.fields[i].value = value
                out.fields = out.fields.enumerated().filter { $0.offset <= i || !$0.element.name.caseInsensitiveEquals(name) }.map(\.element)
            } else {
                out.append(name, value)
            }
        }
        return out
    }

    /// The first value of a field, matching the name case-insensitively.
    public func first(_ name: String) -> String? {
        for i in fields.indices where fields[i].name.caseInsensitiveEquals(name) { return fields[i].value }
        return nil
    }

    /// Every value of a field, in order.
    public func all(_ name: String) -> [String] {
        fields.filter { $0.name.caseInsensitiveEquals(name) }.map(\.value)
    }

    public func contains(_ name: String) -> Bool { first(name) != nil }
}

// MARK: - Wire form

extension HeaderList {
    /// `Name: value\r\n` per field: the form they had on the wire. HTTP/1.1 header
    /// names cannot hold `:` and values cannot hold CR or LF (the parser refuses
    /// them), so this is lossless for anything the capture server accepts.
    public var wireEncoded: String { String(decoding: wireBytes, as: UTF8.self) }

    /// The same as UTF-8 bytes, built by copying each name and value whole
    /// (the store binds this for every captured request).
    public var wireBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(fields.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 })
        for field in fields {
            out.append(contentsOf: field.name.utf8)
            out.append(UInt8(ascii: ":"))
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: field.value.utf8)
            out.append(13)
            out.append(10)
        }
        return out
    }

    /// Read byte by byte: every row a command or the dashboard reads comes
    /// through here (it was 17 % of a HAR export), and a search by Character
    /// did not see the `:` or the space before a value that starts with a
    /// combining mark, which then came back with a space in front.
    public init(wireEncoded text: String) {
        var fields: [Field] = []
        var text = text
        text.withUTF8 { bytes in
            var lineStart = 0
            var i = 0
            func take(_ lineEnd: Int) {
                guard lineEnd > lineStart,
                      let colon = bytes[lineStart..<lineEnd].firstIndex(of: UInt8(ascii: ":")) else { return }
                var valueStart = colon + 1
                if valueStart < lineEnd, bytes[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
                fields.append(Field(String(decoding: UnsafeBufferPointer(rebasing: bytes[lineStart..<colon]), as: UTF8.self),
                                    String(decoding: UnsafeBufferPointer(rebasing: bytes[valueStart..<lineEnd]), as: UTF8.self)))
            }
            while i + 1 < bytes.count {
                if bytes[i] == 0x0D, bytes[i + 1] == 0x0A {
                    take(i)
                    i += 2
                    lineStart = i
                } else {
                    i += 1
                }
            }
            take(bytes.count)
        }
        self.fields = fields
    }
}

extension String {
    /// ASCII case-insensitive equality on the UTF-8 bytes: the header lookups
    /// of the capture path run this for every request, so it avoids the
    /// generic `StringProtocol` path below.
    public func caseInsensitiveEquals(_ other: String) -> Bool {
        guard utf8.count == other.utf8.count else { return false }
        var a = self, b = other
        return a.withUTF8 { x in
            b.withUTF8 { y in
                for i in 0..<x.count where x[i] != y[i] {
                    let l = x[i] | 0x20
                    guard l == y[i] | 0x20, l >= 0x61, l <= 0x7A else { return false }
                }
                return true
            }
        }
    }
}

extension StringProtocol {
    /// ASCII case-insensitive equality, as HTTP field names and methods compare.
    public func caseInsensitiveEquals<S: StringProtocol>(_ other: S) -> Bool {
        let a = self.utf8, b = other.utf8
        guard a.count == b.count else { return false }
        return zip(a, b).allSatisfy { x, y in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= 0x61 && (x | 0x20) <= 0x7A)
        }
    }
}
