import Foundation
import HooktopCore

/// Turns a body into lines to read: pretty JSON with colour, forms as a
/// table, multipart parts, text, or a hex dump. Everything from the payload
/// is made safe first: nothing in it reaches the terminal as a control.
enum BodyFormatter {
    typealias Part = DetailDocument.Part

    /// Every line, laid out (small bodies and tests; the view asks for `parts`).
    static func lines(body: [UInt8], contentType: String?, truncated: Bool = false, view: Model.BodyView = .auto) -> [Line] {
        DetailDocument(parts(body: body, contentType: contentType, truncated: truncated, view: view), wrapWidth: nil).allRows
    }

    /// The body as the view shows it: text and hex dumps stay bytes until a line is drawn.
    static func parts(body: [UInt8], contentType: String?, truncated: Bool = false, view: Model.BodyView = .auto) -> [Part] {
        var out: [Part] = []
        if truncated { out.append(.lines([[Span("(body truncated at --max-body; showing what was kept)", .dim)]])) }
        if body.isEmpty { return out + [.lines([[Span("(no body)", .dim)]])] }
        switch view {
        case .auto: break
        case .json: return out + (JSONPretty.lines(body).map { [.lines($0)] } ?? [.lines([[Span("(not JSON)", .dim)]]), text(body)])
        case .form: return out + [.lines(form(body))]
        case .text: return out + [text(body)]
        case .hex: return out + [.hex(body)]
        case .raw: return out + [.text(TextLines(body, expandTabs: false))]
        }
        let type = (contentType ?? "").lowercased()
        if type.contains("json") || body.first == UInt8(ascii: "{") || body.first == UInt8(ascii: "[") {
            if let pretty = JSONPretty.lines(body) { return out + [.lines(pretty)] }
        }
        if type.hasPrefix("application/x-www-form-urlencoded") {
            return out + [.lines(form(body))]
        }
        if type.hasPrefix("multipart/"), let boundary = boundary(type: contentType ?? "") {
            return out + [.lines(multipart(body, boundary: boundary))]
        }
        if TerminalText.looksLikeText(body) {
            return out + [text(body)]
        }
        return out + [.lines([[Span("binary, \(body.count) bytes", .dim)]]), .hex(body)]
    }

    static func text(_ body: [UInt8]) -> Part {
        .text(TextLines(body, expandTabs: true))
    }

    static func form(_ body: [UInt8]) -> [Line] {
        let pairs = FormDecoding.pairs(body)
        let keyWidth = min(24, pairs.map { CharWidth.of(TerminalText.inline($0.0)) }.max() ?? 0)
        return [[Span("form fields", .dim)]] + pairs.map { key, value in
            [Span(Layout.fit(TerminalText.inline(key), keyWidth), .jsonKey), Span(" = ", .jsonPunct), Span(TerminalText.inline(value), .jsonString)]
        }
    }

    static func boundary(type: String) -> String? {
        guard let range = type.range(of: "boundary=", options: .caseInsensitive) else { return nil }
        var b = String(type[range.upperBound...].prefix { $0 != ";" })
        if b.hasPrefix("\"") && b.hasSuffix("\"") && b.count >= 2 { b = String(b.dropFirst().dropLast()) }
        return b.isEmpty ? nil : b
    }

    static func multipart(_ body: [UInt8], boundary: String) -> [Line] {
        let delimiter = Array("--\(boundary)".utf8)
        var parts: [[UInt8]] = []
        var starts: [Int] = []
        var i = 0
        while i + delimiter.count <= body.count {
            if body[i] == delimiter[0], body[i..<i + delimiter.count].elementsEqual(delimiter) { starts.append(i); i += delimiter.count } else { i += 1 }
        }
        for (n, start) in starts.enumerated() where n + 1 < starts.count {
            var part = Array(body[(start + delimiter.count)..<starts[n + 1]])
            if part.starts(with: [13, 10]) { part.removeFirst(2) }
            if part.suffix(2) == [13, 10] { part.removeLast(2) }
            parts.append(part)
        }
        guard !parts.isEmpty else { return DetailDocument([text(body)], wrapWidth: nil).allRows }
        var out: [Line] = []
        for (n, part) in parts.enumerated() {
            out.append([Span("── part \(n + 1) of \(parts.count) ──", .highlight)])
            var split = 0
            while split + 3 < part.count, !(part[split] == 13 && part[split + 1] == 10 && part[split + 2] == 13 && part[split + 3] == 10) { split += 1 }
            let head = Array(part[..<min(split, part.count)])
            let content = split + 4 <= part.count ? Array(part[(split + 4)...]) : []
            for line in String(decoding: head, as: UTF8.self).split(separator: "\r\n") {
                out.append([Span(TerminalText.inline(String(line)), .jsonKey)])
            }
            if TerminalText.looksLikeText(content) { out += DetailDocument([text(content)], wrapWidth: nil).allRows } else { out.append([Span("(\(content.count) bytes of binary data)", .dim)]) }
        }
        return out
    }
}

/// Re-indents JSON without reordering anything, colouring keys, strings,
/// numbers and literals. nil when the bytes are not JSON.
enum JSONPretty {
    static func lines(_ body: [UInt8], limit: Int = 20_000) -> [Line]? {
        var out: [Line] = []
        var current: Line = []
        var depth = 0
        var i = 0
        var expectKey = [false]
        // Indentation stops growing past 32 levels: a hostile 10,000-deep
        // body would otherwise cost memory quadratic in its depth.
        func indent() -> Span { Span(String(repeating: "  ", count: min(depth, 32))) }
        func newline() {
            out.append(current)
            current = [indent()]
        }
        func skipSpace() { while i < body.count, [0x20, 0x0A, 0x0D, 0x09].contains(body[i]) { i += 1 } }
        skipSpace()
        guard i < body.count else { return nil }
        while i < body.count {
            if out.count > limit { out.append([Span("… (\(body.count) bytes; the rest in Raw)", .dim)]); return out }
            let c = body[i]
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let close = c == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                i += 1
                skipSpace()
                if i < body.count, body[i] == close {  // {} and [] stay on one line
                    current.append(Span(String(UnicodeScalar(c)) + String(UnicodeScalar(close)), .jsonPunct))
                    i += 1
                    continue
                }
                current.append(Span(String(UnicodeScalar(c)), .jsonPunct))
                depth += 1
                expectKey.append(c == UInt8(ascii: "{"))
                newline()
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth = max(0, depth - 1)
                _ = expectKey.popLast()
                if current.contains(where: { !$0.text.allSatisfy { $0 == " " } }) { out.append(current) }
                current = [indent(), Span(String(UnicodeScalar(c)), .jsonPunct)]
                i += 1
            case UInt8(ascii: ","):
                current.append(Span(",", .jsonPunct))
                i += 1
                newline()
            case UInt8(ascii: ":"):
                current.append(Span(": ", .jsonPunct))
                i += 1
            case UInt8(ascii: "\""):
                var j = i + 1
                while j < body.count, body[j] != UInt8(ascii: "\"") { j += body[j] == UInt8(ascii: "\\") ? 2 : 1 }
                guard j < body.count else { return nil }
                let raw = Array(body[i...j])
                guard !raw.contains(where: { $0 < 0x20 }) else { return nil }  // raw controls: not JSON
                let isKey = (expectKey.last ?? false) && {
                    var k = j + 1
                    while k < body.count, [0x20, 0x0A, 0x0D, 0x09].contains(body[k]) { k += 1 }
                    return k < body.count && body[k] == UInt8(ascii: ":")
                }()
                current.append(Span(TerminalText.inline(String(decoding: raw, as: UTF8.self)), isKey ? .jsonKey : .jsonString))
                i = j + 1
            case 0x20, 0x0A, 0x0D, 0x09:
                i += 1
            default:
                var j = i
                while j < body.count, !",}] \n\r\t:".utf8.contains(body[j]) { j += 1 }
                let word = String(decoding: body[i..<j], as: UTF8.self)
                guard !word.isEmpty else { return nil }
                if word == "true" || word == "false" || word == "null" {
                    current.append(Span(word, .jsonLiteral))
                } else if Double(word) != nil {
                    current.append(Span(word, .jsonNumber))
                } else {
                    return nil
                }
                i = j
            }
        }
        if !current.isEmpty { out.append(current) }
        return depth == 0 ? out : nil
    }
}
