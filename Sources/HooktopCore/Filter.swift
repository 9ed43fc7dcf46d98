/// The filter language of SPEC ("Filter language"): `~m POST & ~p /stripe/*`,
/// `!~sig valid`, `(~c 5xx | ~d failed) ~src github`, bare words. Parsed once
/// into a tree that the store turns into SQL and `FilterEvaluator` runs on
/// values; both follow the same rules.
public indirect enum Filter: Sendable, Equatable {
    case method(String)
    case path(Glob)
    case header(name: String, value: String?)
    case body(String)
    case source(String)
    case signature(SignatureStatus)
    case delivery(DeliveryState)
    case code(ClosedRange<Int>)
    /// Older than (`>`) or younger than (`<`) this many microseconds.
    case age(olderThan: Bool, micros: Int64)
    case duplicate
    /// Came to an expected-callback URL with this label.
    case label(String)
    /// Came to an expected-callback URL, by its deadline (`done`) or after
    /// it (`overdue`); no request matches `waiting`.
    case expect(Expectation.State)
    case word(String)
    case not(Filter)
    case and(Filter, Filter)
    case or(Filter, Filter)

    /// The limits of its `~t` terms: what it matches changes as requests age past them.
    public var ageLimits: [Int64] {
        switch self {
        case .age(_, let micros): [micros]
        case .not(let f): f.ageLimits
        case .and(let a, let b), .or(let a, let b): a.ageLimits + b.ageLimits
        default: []
        }
    }

    /// The terms every match must satisfy: the filter itself, or the terms of a top-level `&`.
    public var conjuncts: [Filter] {
        if case .and(let a, let b) = self { return a.conjuncts + b.conjuncts }
        return [self]
    }

    public static func parse(_ text: String) throws(FilterError) -> Filter {
        var parser = FilterParser(text)
        return try parser.parse()
    }
}

/// What is wrong with a filter and where: `column` counts from 1.
public struct FilterError: Error, CustomStringConvertible, Equatable {
    public let column: Int
    public let message: String
    public var description: String { "\(message) at column \(column)" }
}

private struct FilterParser {
    struct Token {
        enum Kind: Equatable { case op(String), word(String), quoted(String), lparen, rparen, not, and, or, end }
        var kind: Kind
        var column: Int
    }

    var tokens: [Token] = []
    var index = 0
    let source: String
    var lexError: FilterError?

    init(_ text: String) {
        source = text
        tokenize(Array(text.unicodeScalars))
    }

    mutating func tokenize(_ chars: [Unicode.Scalar]) {
        var i = 0
        func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }
        while i < chars.count {
            let c = chars[i]
            let column = i + 1
            if isSpace(c) { i += 1; continue }
            switch c {
            case "(": tokens.append(Token(kind: .lparen, column: column)); i += 1
            case ")": tokens.append(Token(kind: .rparen, column: column)); i += 1
            case "!": tokens.append(Token(kind: .not, column: column)); i += 1
            case "&": tokens.append(Token(kind: .and, column: column)); i += 1
            case "|": tokens.append(Token(kind: .or, column: column)); i += 1
            case "\"", "'":
                var j = i + 1
                var text = ""
                while j < chars.count, chars[j] != c {
                    if chars[j] == "\\", j + 1 < chars.count { j += 1 }
                    text.unicodeScalars.append(chars[j])
                    j += 1
                }
                guard j < chars.count else {
                    lexError = FilterError(column: column, message: "unterminated quote \(c)")
                    return
                }
                tokens.append(Token(kind: .quoted(text), column: column))
                i = j + 1
            default:
                var j = i
                var text = ""
                while j < chars.count, !isSpace(chars[j]), !"()&|".unicodeScalars.contains(chars[j]) {
                    text.unicodeScalars.append(chars[j])
                    j += 1
                }
                tokens.append(Token(kind: text.hasPrefix("~") ? .op(text) : .word(text), column: column))
                i = j
            }
        }
        tokens.append(Token(kind: .end, column: chars.count + 1))
    }

    var current: Token { tokens[index] }

    mutating func parse() throws(FilterError) -> Filter {
        if let lexError { throw lexError }
        guard current.kind != .end else { throw FilterError(column: 1, message: "empty filter") }
        let filter = try orExpr()
        switch current.kind {
        case .end: return filter
        case .rparen: throw FilterError(column: current.column, message: "unbalanced ')'")
        default: throw FilterError(column: current.column, message: "unexpected input")
        }
    }

    mutating func orExpr() throws(FilterError) -> Filter {
        var left = try andExpr()
        while current.kind == .or {
            index += 1
            left = .or(left, try andExpr())
        }
        return left
    }

    mutating func andExpr() throws(FilterError) -> Filter {
        var left = try unary()
        while true {
            switch current.kind {
            case .and:
                index += 1
                left = .and(left, try unary())
            case .op, .word, .quoted, .lparen, .not:
                left = .and(left, try unary())  // a space means "and"
            default:
                return left
            }
        }
    }

    mutating func unary() throws(FilterError) -> Filter {
        let token = current
        switch token.kind {
        case .not:
            index += 1
            return .not(try unary())
        case .lparen:
            index += 1
            let inner = try orExpr()
            guard current.kind == .rparen else {
                throw FilterError(column: token.column, message: "unbalanced '(': no matching ')'")
            }
            index += 1
            return inner
        case .word(let w), .quoted(let w):
            index += 1
            return .word(w)
        case .op(let op):
            index += 1
            return try term(op, column: token.column)
        case .end:
            throw FilterError(column: token.column, message: "expected a filter expression")
        case .rparen:
            throw FilterError(column: token.column, message: "unbalanced ')'")
        case .and, .or:
            throw FilterError(column: token.column, message: "expected a filter expression before '\(token.kind == .and ? "&" : "|")'")
        }
    }

    mutating func value(after op: String, column: Int) throws(FilterError) -> String {
        switch current.kind {
        case .word(let w), .quoted(let w):
            index += 1
            return w
        default:
            throw FilterError(column: current.column, message: "expected a value after \(op)")
        }
    }

    mutating func term(_ op: String, column: Int) throws(FilterError) -> Filter {
        switch op {
        case "~dup":
            return .duplicate
        case "~m":
            return .method(try value(after: op, column: column))
        case "~p":
            return .path(Glob(try value(after: op, column: column)))
        case "~h":
            let v = try value(after: op, column: column)
            guard let colon = v.firstIndex(of: ":") else { return .header(name: v, value: nil) }
            return .header(name: String(v[..<colon]), value: String(v[v.index(after: colon)...]).trimmingSpaces())
        case "~b":
            return .body(try value(after: op, column: column))
        case "~src":
            return .source(try value(after: op, column: column))
        case "~sig":
            let valueColumn = current.column
            let v = try value(after: op, column: column)
            guard let status = SignatureStatus(rawValue: v) else {
                throw FilterError(column: valueColumn, message: "~sig takes \(SignatureStatus.allCases.map(\.rawValue).joined(separator: ", ")); got '\(v)'")
            }
            return .signature(status)
        case "~d":
            let valueColumn = current.column
            let v = try value(after: op, column: column)
            guard let state = DeliveryState(rawValue: v) else {
                throw FilterError(column: valueColumn, message: "~d takes \(DeliveryState.allCases.map(\.rawValue).joined(separator: ", ")); got '\(v)'")
            }
            return .delivery(state)
        case "~c":
            let valueColumn = current.column
            let v = try value(after: op, column: column).lowercased()
            if v.count == 3, v.hasSuffix("xx"), let d = Int(v.prefix(1)), (1...5).contains(d) { return .code(d * 100...d * 100 + 99) }
            guard let code = Int(v), (100...599).contains(code) else {
                throw FilterError(column: valueColumn, message: "~c takes a status code (404) or class (5xx); got '\(v)'")
            }
            return .code(code...code)
        case "~t":
            let valueColumn = current.column
            var v = try value(after: op, column: column)
            var older = false
            if v.hasPrefix(">") { older = true; v.removeFirst() } else if v.hasPrefix("<") { v.removeFirst() }
            guard let micros = DurationText.parse(v) else {
                throw FilterError(column: valueColumn, message: "~t takes an age like >10m or <2h; got '\(v)'")
            }
            return .age(olderThan: older, micros: micros)
        case "~label":
            return .label(try value(after: op, column: column))
        case "~expect":
            let valueColumn = current.column
            let v = try value(after: op, column: column)
            guard let state = Expectation.State(rawValue: v) else {
                throw FilterError(column: valueColumn, message: "~expect takes \(Expectation.State.allCases.map(\.rawValue).joined(separator: ", ")); got '\(v)'")
            }
            return .expect(state)
        default:
            throw FilterError(column: column, message: "unknown filter \(op) (known: ~m ~p ~h ~b ~src ~sig ~d ~c ~t ~dup ~label ~expect)")
        }
    }
}
