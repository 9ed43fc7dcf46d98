import Foundation
import HooktopConfig
import HooktopCore

/// A UI role: what a piece of text is, not how it looks. Themes map roles to colours.
public enum Role: String, CaseIterable, Sendable {
    case normal, dim, header, headerAccent, banner, selection, statusBar, statusKey, tabActive, tabInactive, border
    case methodGET = "method.get", methodPOST = "method.post", methodPUT = "method.put", methodPATCH = "method.patch"
    case methodDELETE = "method.delete", methodOther = "method.other"
    case status2xx = "status.2xx", status3xx = "status.3xx", status4xx = "status.4xx", status5xx = "status.5xx"
    case sigValid = "signature.valid", sigInvalid = "signature.invalid", sigExpired = "signature.expired"
    case sigMissing = "signature.missing", sigNoSecret = "signature.no_secret", sigNone = "signature.none"
    case deliveryOK = "delivery.delivered", deliveryPending = "delivery.pending", deliveryFailed = "delivery.failed"
    case jsonKey = "json.key", jsonString = "json.string", jsonNumber = "json.number", jsonLiteral = "json.literal"
    case jsonPunct = "json.punctuation", placeholder, highlight, error, filter, duplicate
}

/// How one role looks. Colours are 0–255 (0–7 the basic eight) or nil for the terminal's default.
public struct Style: Equatable, Sendable {
    public var fg: Int?
    public var bg: Int?
    public var bold = false
    public var underline = false
    public var reverse = false
    /// The colours on an 8-colour terminal.
    public var fg8: Int?
    public var bg8: Int?

    public init(fg: Int? = nil, bg: Int? = nil, bold: Bool = false, underline: Bool = false, reverse: Bool = false,
                fg8: Int? = nil, bg8: Int? = nil) {
        self.fg = fg
        self.bg = bg
        self.bold = bold
        self.underline = underline
        self.reverse = reverse
        self.fg8 = fg8 ?? fg.map(Theme.nearestBasic)
        self.bg8 = bg8 ?? bg.map(Theme.nearestBasic)
    }
}

/// A named set of styles per role, read from a TOML file in `themes/`.
extension Theme {
    /// The names of the themes built into the binary (for shell completion).
    public static var builtInNames: [String] { BuiltInThemes.sources.map(\.name) }
}

public struct Theme: Sendable {
    public var name: String
    public var styles: [Role: Style]

    public func style(_ role: Role) -> Style { styles[role] ?? styles[.normal] ?? Style() }

    /// A theme file's error is a config file's: `file:line: what`.
    public typealias Failure = ConfigError

    static let basicNames = ["black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7,
                             "bright-black": 8, "gray": 8, "grey": 8, "bright-red": 9, "bright-green": 10, "bright-yellow": 11,
                             "bright-blue": 12, "bright-magenta": 13, "bright-cyan": 14, "bright-white": 15]

    /// Loads `[palette]` (name = colour) and `[roles]` (role = { fg, bg, bold, underline, reverse, fg8, bg8 }).
    public static func load(_ text: String, name: String, file: String) throws(Failure) -> Theme {
        let root: TOMLTable
        do { root = try TOML.parse(text) } catch { throw ConfigError(file: file, line: error.line, message: error.message) }
        func fail(_ line: Int, _ m: String) -> Failure { ConfigError(file: file, line: line, message: m) }
        var palette: [String: Int] = [:]
        if let p = root["palette"] {
            guard case .table(let t) = p.kind else { throw fail(p.line, "[palette] must be a table") }
            for (key, value) in t.entries { palette[key] = try color(value, palette: [:], fail) }
        }
        guard let r = root["roles"], case .table(let roles) = r.kind else { throw fail(1, "a theme needs a [roles] table") }
        var styles: [Role: Style] = [:]
        for (key, value) in roles.entries {
            guard let role = Role(rawValue: key) else {
                throw fail(value.line, "unknown role '\(key)' (known: \(Role.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard case .table(let t) = value.kind else { throw fail(value.line, "role \(key) must be a table like { fg = \"red\" }") }
            var style = Style()
            for (k, v) in t.entries {
                switch k {
                case "fg": style.fg = try color(v, palette: palette, fail); style.fg8 = style.fg8 ?? style.fg.map(nearestBasic)
                case "bg": style.bg = try color(v, palette: palette, fail); style.bg8 = style.bg8 ?? style.bg.map(nearestBasic)
                case "fg8": style.fg8 = try color(v, palette: palette, fail).map { $0 % 8 }
                case "bg8": style.bg8 = try color(v, palette: palette, fail).map { $0 % 8 }
                case "bold", "underline", "reverse":
                    guard case .bool(let b) = v.kind else { throw fail(v.line, "\(key).\(k) must be true or false") }
                    if k == "bold" { style.bold = b } else if k == "underline" { style.underline = b } else { style.reverse = b }
                default: throw fail(v.line, "unknown key '\(k)' in role \(key) (known: fg, bg, fg8, bg8, bold, underline, reverse)")
                }
            }
            styles[role] = style
        }
        guard styles[.normal] != nil else { throw fail(1, "a theme must style the 'normal' role") }
        return Theme(name: name, styles: styles)
    }

    static func color(_ v: TOMLValue, palette: [String: Int], _ fail: (Int, String) -> Failure) throws(Failure) -> Int? {
        switch v.kind {
        case .integer(let n):
            guard (0...255).contains(n) else { throw fail(v.line, "colour \(n) is not 0–255") }
            return Int(n)
        case .string(let s):
            if s == "default" { return nil }
            if let n = palette[s] ?? basicNames[s] { return n }
            if s.hasPrefix("#"), s.count == 7, let rgb = Int(s.dropFirst(), radix: 16) {
                return xterm256(r: rgb >> 16 & 255, g: rgb >> 8 & 255, b: rgb & 255)
            }
            throw fail(v.line, "'\(s)' is not a colour (a name like \"red\", \"#rrggbb\", 0–255, or a [palette] name)")
        default:
            throw fail(v.line, "a colour is a string or an integer, not \(v.typeName)")
        }
    }

    /// The nearest xterm-256 colour-cube or grey entry.
    static func xterm256(r: Int, g: Int, b: Int) -> Int {
        let steps = [0, 95, 135, 175, 215, 255]
        func idx(_ c: Int) -> Int { steps.enumerated().min { abs($0.element - c) < abs($1.element - c) }!.offset }
        let cube = 16 + 36 * idx(r) + 6 * idx(g) + idx(b)
        let grey = (r + g + b) / 3
        let greyIndex = max(0, min(23, (grey - 8) / 10))
        let greyValue = 8 + greyIndex * 10
        let cubeRGB = (steps[idx(r)], steps[idx(g)], steps[idx(b)])
        let cubeDistance = abs(cubeRGB.0 - r) + abs(cubeRGB.1 - g) + abs(cubeRGB.2 - b)
        let greyDistance = abs(greyValue - r) + abs(greyValue - g) + abs(greyValue - b)
        return greyDistance < cubeDistance ? 232 + greyIndex : cube
    }

    /// The nearest of the eight basic colours, for 8-colour terminals.
    static func nearestBasic(_ c: Int) -> Int {
        if c < 8 { return c }
        if c < 16 { return c - 8 }
        let (r, g, b): (Int, Int, Int)
        if c >= 232 {
            let v = 8 + (c - 232) * 10
            (r, g, b) = (v, v, v)
        } else {
            let i = c - 16
            let steps = [0, 95, 135, 175, 215, 255]
            (r, g, b) = (steps[i / 36], steps[(i / 6) % 6], steps[i % 6])
        }
        let basic = [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229)]
        return basic.enumerated().min { a, z in
            let da = (a.element.0 - r) * (a.element.0 - r) + (a.element.1 - g) * (a.element.1 - g) + (a.element.2 - b) * (a.element.2 - b)
            let dz = (z.element.0 - r) * (z.element.0 - r) + (z.element.1 - g) * (z.element.1 - g) + (z.element.2 - b) * (z.element.2 - b)
            return da < dz
        }!.offset
    }

    /// Every theme in these folders, by file name (later folders win).
    /// The built-in themes first, then every `*.toml` in `folders` (a file
    /// of the same name wins, so a user can change a shipped theme).
    public static func loadAll(from folders: [String]) -> (themes: [Theme], errors: [String]) {
        var byName: [String: Theme] = [:]
        var errors: [String] = []
        for (name, text) in BuiltInThemes.sources {
            do { byName[name] = try load(text, name: name, file: "(built-in \(name).toml)") } catch { errors.append(error.description) }
        }
        for folder in folders {
            guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder) else { continue }
            for file in files.sorted() where file.hasSuffix(".toml") {
                let path = folder + "/" + file
                let name = String(file.dropLast(5))
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { continue }
                do { byName[name] = try load(text, name: name, file: path) } catch { errors.append(error.description) }
            }
        }
        let order = ["default"] + byName.keys.filter { $0 != "default" }.sorted()
        return (order.compactMap { byName[$0] }, errors)
    }

    /// Used when no theme file can be found, and for NO_COLOR: attributes only.
    public static let monochrome = Theme(name: "monochrome", styles: [
        .normal: Style(), .header: Style(reverse: true), .selection: Style(reverse: true), .statusBar: Style(reverse: true),
        .tabActive: Style(bold: true, underline: true), .sigInvalid: Style(bold: true), .error: Style(bold: true),
        .banner: Style(bold: true, reverse: true), .jsonKey: Style(bold: true), .highlight: Style(bold: true),
        .placeholder: Style(underline: true), .statusKey: Style(bold: true, reverse: true),
    ])
}
