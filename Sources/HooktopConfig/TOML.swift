/// A TOML reader for hooktop's config and theme files. Every value keeps the
/// line it was written on, so validation can say `file:line: what is wrong`.
/// Supports the whole of TOML that such files use: tables, arrays of tables,
/// dotted keys, inline tables, arrays, basic/literal/multi-line strings,
/// integers, floats and booleans. Dates are refused with a clear message.
public struct TOMLValue: Sendable {
    public enum Kind: Sendable {
        case string(String)
        case integer(Int64)
        case float(Double)
        case bool(Bool)
        case array([TOMLValue])
        case table(TOMLTable)
    }

    public var kind: Kind
    public var line: Int

    public var typeName: String {
        switch kind {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .bool: "a boolean"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

public struct TOMLTable: Sendable {
    public var entries: [(key: String, value: TOMLValue)] = []
    public var line: Int
    /// Defined by a `[header]` or as a value; a dotted key only implies it.
    var explicitlyDefined = false

    public init(line: Int) { self.line = line }

    public subscript(key: String) -> TOMLValue? {
        entries.first { $0.key == key }?.value
    }

    mutating func set(_ key: String, _ value: TOMLValue) {
        if let i = entries.firstIndex(where: { $0.key == key }) { entries[i].value = value } else { entries.append((key, value)) }
    }
}

public struct TOMLError: Error, CustomStringConvertible, Equatable {
    public let line: Int
    public let message: String
    public var description: String { "line \(line): \(message)" }
}

public enum TOML {
    public static func parse(_ text: String) throws(TOMLError) -> TOMLTable {
        var parser = TOMLParser(Array(text.utf8))
        return try parser.document()
    }
}

struct TOMLParser {
    let s: [UInt8]
    var i = 0
    var line = 1
    var root = TOMLTable(line: 1)
    /// Path of the table that `key = value` lines go into.
    var current: [String] = []
    /// Arrays and inline tables open around the value being read: bounded,
    /// so a hostile file is an error, not a stack overflow.
    var depth = 0
    static let maximumDepth = 64

    init(_ bytes: [UInt8]) {
        s = bytes
        root.explicitlyDefined = true
    }

    func fail(_ message: String) -> TOMLError { TOMLError(line: line, message: message) }

    var peek: UInt8? { i < s.count ? s[i] : nil }

    mutating func document() throws(TOMLError) -> TOMLTable {
        if s.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        while true {
            skipBlankAndComments()
            guard let c = peek else { break }
            if c == UInt8(ascii: "[") {
                try header()
            } else {
                let keyLine = line
                let path = try key()
                skipSpaces()
                guard peek == UInt8(ascii: "=") else { throw fail("expected '=' after key '\(path.joined(separator: "."))'") }
                i += 1
                skipSpaces()
                let value = try value()
                try insert(value, at: current, key: path, line: keyLine)
            }
            try endOfLine()
        }
        return root
    }

    // MARK: structure

    mutating func header() throws(TOMLError) {
        i += 1
        let isArray = peek == UInt8(ascii: "[")
        if isArray { i += 1 }
        skipSpaces()
        let path = try key()
        skipSpaces()
        guard peek == UInt8(ascii: "]") else { throw fail("expected ']' to close the table header") }
        i += 1
        if isArray {
            guard peek == UInt8(ascii: "]") else { throw fail("expected ']]' to close the array-of-tables header") }
            i += 1
        }
        let headerLine = line
        if isArray {
            try modify(root: &root, path: Array(path.dropLast()), createLine: headerLine) { (t: inout TOMLTable) throws(TOMLError) in
                let last = path.last!
                var table = TOMLTable(line: headerLine)
                table.explicitlyDefined = true
                if let existing = t[last] {
                    guard case .array(var items) = existing.kind, items.allSatisfy({ if case .table = $0.kind { true } else { false } }) else {
                        throw TOMLError(line: headerLine, message: "'\(last)' is already defined as \(existing.typeName) on line \(existing.line)")
                    }
                    items.append(TOMLValue(kind: .table(table), line: headerLine))
                    t.set(last, TOMLValue(kind: .array(items), line: existing.line))
                } else {
                    t.set(last, TOMLValue(kind: .array([TOMLValue(kind: .table(table), line: headerLine)]), line: headerLine))
                }
            }
        } else {
            try modify(root: &root, path: Array(path.dropLast()), createLine: headerLine) { (t: inout TOMLTable) throws(TOMLError) in
                let last = path.last!
                if let existing = t[last] {
                    guard case .table(var inner) = existing.kind, !inner.explicitlyDefined else {
                        throw TOMLError(line: headerLine, message: "table [\(path.joined(separator: "."))] is defined twice (first on line \(existing.line))")
                    }
                    inner.explicitlyDefined = true
                    t.set(last, TOMLValue(kind: .table(inner), line: existing.line))
                } else {
                    var table = TOMLTable(line: headerLine)
                    table.explicitlyDefined = true
                    t.set(last, TOMLValue(kind: .table(table), line: headerLine))
                }
            }
        }
        current = path
    }

    mutating func insert(_ value: TOMLValue, at base: [String], key: [String], line keyLine: Int) throws(TOMLError) {
        try modify(root: &root, path: base + key.dropLast(), createLine: keyLine) { (t: inout TOMLTable) throws(TOMLError) in
            let last = key.last!
            if let existing = t[last] {
                throw TOMLError(line: keyLine, message: "key '\(key.joined(separator: "."))' is defined twice (first on line \(existing.line))")
            }
            t.set(last, value)
        }
    }

    /// Walks to the table at `path` (the last element of an array of tables),
    /// creating implicit tables, and applies `body` to it.
    func modify(root: inout TOMLTable, path: [String], createLine: Int,
                _ body: (inout TOMLTable) throws(TOMLError) -> Void) throws(TOMLError) {
        guard let first = path.first else { return try body(&root) }
        let rest = Array(path.dropFirst())
        var child: TOMLValue
        if let existing = root[first] {
            child = existing
        } else {
            child = TOMLValue(kind: .table(TOMLTable(line: createLine)), line: createLine)
        }
        switch child.kind {
        case .table(var table):
            try modify(root: &table, path: rest, createLine: createLine, body)
            child.kind = .table(table)
        case .array(var items):
            guard let lastItem = items.last, case .table(var table) = lastItem.kind else {
                throw TOMLError(line: createLine, message: "'\(first)' is an array of values, not tables (line \(child.line))")
            }
            try modify(root: &table, path: rest, createLine: createLine, body)
            items[items.count - 1].kind = .table(table)
            child.kind = .array(items)
        default:
            throw TOMLError(line: createLine, message: "'\(first)' is already \(child.typeName) (line \(child.line)), not a table")
        }
        root.set(first, child)
    }

    // MARK: keys

    mutating func key() throws(TOMLError) -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let c = peek else { throw fail("expected a key") }
            if c == UInt8(ascii: "\"") {
                parts.append(try basicString())
            } else if c == UInt8(ascii: "'") {
                parts.append(try literalString())
            } else {
                let start = i
                while let c = peek, isBareKey(c) { i += 1 }
                guard i > start else { throw fail("expected a key, found '\(Character(Unicode.Scalar(c)))'") }
                parts.append(String(decoding: s[start..<i], as: UTF8.self))
            }
            skipSpaces()
            guard peek == UInt8(ascii: ".") else { return parts }
            i += 1
        }
    }

    func isBareKey(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
    }

    // MARK: values

    mutating func value() throws(TOMLError) -> TOMLValue {
        let valueLine = line
        guard let c = peek else { throw fail("expected a value") }
        if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
            guard depth < Self.maximumDepth else { throw fail("arrays and tables nest more than \(Self.maximumDepth) deep") }
            depth += 1
        }
        defer { if c == UInt8(ascii: "[") || c == UInt8(ascii: "{") { depth -= 1 } }
        switch c {
        case UInt8(ascii: "\""):
            if s[i...].starts(with: Array("\"\"\"".utf8)) { return TOMLValue(kind: .string(try multilineBasic()), line: valueLine) }
            return TOMLValue(kind: .string(try basicString()), line: valueLine)
        case UInt8(ascii: "'"):
            if s[i...].starts(with: Array("'''".utf8)) { return TOMLValue(kind: .string(try multilineLiteral()), line: valueLine) }
            return TOMLValue(kind: .string(try literalString()), line: valueLine)
        case UInt8(ascii: "["):
            return TOMLValue(kind: .array(try array()), line: valueLine)
        case UInt8(ascii: "{"):
            return TOMLValue(kind: .table(try inlineTable()), line: valueLine)
        default:
            return try scalar()
        }
    }

    mutating func scalar() throws(TOMLError) -> TOMLValue {
        let start = i
        while let c = peek, !(c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == UInt8(ascii: ",")
                              || c == UInt8(ascii: "]") || c == UInt8(ascii: "}") || c == UInt8(ascii: "#")) { i += 1 }
        let word = String(decoding: s[start..<i], as: UTF8.self)
        switch word {
        case "true": return TOMLValue(kind: .bool(true), line: line)
        case "false": return TOMLValue(kind: .bool(false), line: line)
        case "inf", "+inf": return TOMLValue(kind: .float(.infinity), line: line)
        case "-inf": return TOMLValue(kind: .float(-.infinity), line: line)
        case "nan", "+nan", "-nan": return TOMLValue(kind: .float(.nan), line: line)
        case "": throw fail("expected a value")
        default: break
        }
        let digits = word.replacingOccurrences(of: "_", with: "")
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where digits.hasPrefix(prefix) {
            guard let v = Int64(digits.dropFirst(2), radix: radix) else { throw fail("'\(word)' is not a valid number") }
            return TOMLValue(kind: .integer(v), line: line)
        }
        if let v = Int64(digits) { return TOMLValue(kind: .integer(v), line: line) }
        if word.count >= 10, word.dropFirst(4).first == "-", word.first?.isNumber == true {
            throw fail("dates and times are not supported here; write durations like \"5m\" as strings")
        }
        if digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), let v = Double(digits) {
            return TOMLValue(kind: .float(v), line: line)
        }
        throw fail("'\(word)' is not a value (strings need quotes)")
    }

    mutating func array() throws(TOMLError) -> [TOMLValue] {
        i += 1
        var items: [TOMLValue] = []
        while true {
            skipBlankAndComments()
            guard let c = peek else { throw fail("unterminated array (missing ']')") }
            if c == UInt8(ascii: "]") { i += 1; return items }
            items.append(try value())
            skipBlankAndComments()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            guard peek != nil else { throw fail("unterminated array (missing ']')") }
            guard peek == UInt8(ascii: "]") else { throw fail("expected ',' or ']' in array") }
        }
    }

    mutating func inlineTable() throws(TOMLError) -> TOMLTable {
        i += 1
        var table = TOMLTable(line: line)
        table.explicitlyDefined = true
        skipSpaces()
        if peek == UInt8(ascii: "}") { i += 1; return table }
        while true {
            skipSpaces()
            let keyLine = line
            let path = try key()
            skipSpaces()
            guard peek == UInt8(ascii: "=") else { throw fail("expected '=' in inline table") }
            i += 1
            skipSpaces()
            let v = try value()
            try modify(root: &table, path: Array(path.dropLast()), createLine: keyLine) { (t: inout TOMLTable) throws(TOMLError) in
                if t[path.last!] != nil { throw TOMLError(line: keyLine, message: "key '\(path.joined(separator: "."))' is defined twice") }
                t.set(path.last!, v)
            }
            skipSpaces()
            if peek == UInt8(ascii: ",") { i += 1; continue }
            guard peek == UInt8(ascii: "}") else { throw fail("expected ',' or '}' in inline table") }
            i += 1
            return table
        }
    }

    // MARK: whitespace

    mutating func skipSpaces() {
        while let c = peek, c == 0x20 || c == 0x09 { i += 1 }
    }

    mutating func skipBlankAndComments() {
        while let c = peek {
            if c == 0x20 || c == 0x09 || c == 0x0D { i += 1 } else if c == 0x0A { i += 1; line += 1 } else if c == UInt8(ascii: "#") {
                while let d = peek, d != 0x0A { i += 1 }
            } else { return }
        }
    }

    mutating func endOfLine() throws(TOMLError) {
        skipSpaces()
        if peek == UInt8(ascii: "#") { while let d = peek, d != 0x0A { i += 1 } }
        if peek == 0x0D { i += 1 }
        guard let c = peek else { return }
        guard c == 0x0A else { throw fail("unexpected '\(Character(Unicode.Scalar(c)))' after value (one key = value per line)") }
        i += 1
        line += 1
    }
}
