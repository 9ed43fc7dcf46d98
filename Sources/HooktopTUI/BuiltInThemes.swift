/// The shipped themes, built into the binary so a copy run outside the
/// repository (or installed without `share/hooktop/themes`) still has
/// colour and `--theme light`. Generated from `themes/*.toml`;
/// `ThemeTests.testBuiltInThemesMatchTheFiles` fails when they drift
/// (regenerate with `HOOKTOP_RECORD_THEMES=1 swift test --filter ThemeTests`).
enum BuiltInThemes {
    static let sources: [(name: String, text: String)] = [
        ("default", #"""
# hooktop default theme (dark terminals). Colours: names (red, bright-blue…),
# "#rrggbb", 0–255, or a [palette] name. fg8/bg8 override the automatic
# 8-colour fallback. Roles: see Sources/HooktopTUI/Theme.swift.
[palette]
accent = "#5fafff"
muted = "#808080"
bar = "#262626"
good = "#5fd75f"
warn = "#ffaf00"
bad = "#ff5f5f"
text = "#d0d0d0"

[roles]
normal = { fg = "default" }
dim = { fg = "muted" }
header = { fg = "text", bg = "bar", fg8 = "white", bg8 = "blue" }
headerAccent = { fg = "accent", bg = "bar", bold = true, fg8 = "cyan", bg8 = "blue" }
banner = { fg = "black", bg = "warn", bold = true }
selection = { bg = "#303a4a", bold = true, bg8 = "blue", fg8 = "white" }
statusBar = { fg = "text", bg = "bar", fg8 = "white", bg8 = "blue" }
statusKey = { fg = "black", bg = "accent", bold = true }
tabActive = { fg = "accent", bold = true, underline = true }
tabInactive = { fg = "muted" }
border = { fg = "accent" }
"method.get" = { fg = "good" }
"method.post" = { fg = "accent", bold = true }
"method.put" = { fg = "warn" }
"method.patch" = { fg = "warn" }
"method.delete" = { fg = "bad" }
"method.other" = { fg = "muted" }
"status.2xx" = { fg = "good" }
"status.3xx" = { fg = "accent" }
"status.4xx" = { fg = "warn" }
"status.5xx" = { fg = "bad", bold = true }
"signature.valid" = { fg = "good", bold = true }
"signature.invalid" = { fg = "bad", bold = true }
"signature.expired" = { fg = "warn", bold = true }
"signature.missing" = { fg = "bad" }
"signature.no_secret" = { fg = "warn" }
"signature.none" = { fg = "muted" }
"delivery.delivered" = { fg = "good" }
"delivery.pending" = { fg = "warn" }
"delivery.failed" = { fg = "bad", bold = true }
"json.key" = { fg = "accent" }
"json.string" = { fg = "#afd787" }
"json.number" = { fg = "#d7af5f" }
"json.literal" = { fg = "#d787d7" }
"json.punctuation" = { fg = "muted" }
placeholder = { fg = "bad", underline = true }
highlight = { fg = "warn", bold = true }
error = { fg = "bad", bold = true }
filter = { fg = "accent" }
duplicate = { fg = "#d787d7" }

"""#),
        ("high-contrast", #"""
# hooktop high-contrast theme
[palette]
accent = "bright-cyan"
muted = "white"
bar = "black"
good = "bright-green"
warn = "bright-yellow"
bad = "bright-red"
text = "bright-white"

[roles]
normal = { fg = "default" }
dim = { fg = "muted" }
header = { fg = "text", bg = "bar", fg8 = "white", bg8 = "blue" }
headerAccent = { fg = "accent", bg = "bar", bold = true, fg8 = "cyan", bg8 = "blue" }
banner = { fg = "black", bg = "warn", bold = true }
selection = { fg = "black", bg = "bright-white", bold = true, bg8 = "blue", fg8 = "white" }
statusBar = { fg = "text", bg = "bar", fg8 = "white", bg8 = "blue" }
statusKey = { fg = "black", bg = "accent", bold = true }
tabActive = { fg = "accent", bold = true, underline = true }
tabInactive = { fg = "muted" }
border = { fg = "accent" }
"method.get" = { fg = "good" }
"method.post" = { fg = "accent", bold = true }
"method.put" = { fg = "warn" }
"method.patch" = { fg = "warn" }
"method.delete" = { fg = "bad" }
"method.other" = { fg = "muted" }
"status.2xx" = { fg = "good" }
"status.3xx" = { fg = "accent" }
"status.4xx" = { fg = "warn" }
"status.5xx" = { fg = "bad", bold = true }
"signature.valid" = { fg = "good", bold = true }
"signature.invalid" = { fg = "bad", bold = true }
"signature.expired" = { fg = "warn", bold = true }
"signature.missing" = { fg = "bad" }
"signature.no_secret" = { fg = "warn" }
"signature.none" = { fg = "muted" }
"delivery.delivered" = { fg = "good" }
"delivery.pending" = { fg = "warn" }
"delivery.failed" = { fg = "bad", bold = true }
"json.key" = { fg = "accent" }
"json.string" = { fg = "bright-green" }
"json.number" = { fg = "bright-yellow" }
"json.literal" = { fg = "bright-magenta" }
"json.punctuation" = { fg = "muted" }
placeholder = { fg = "bad", underline = true }
highlight = { fg = "warn", bold = true }
error = { fg = "bad", bold = true }
filter = { fg = "accent" }
duplicate = { fg = "bright-magenta" }

"""#),
        ("light", #"""
# hooktop light (for light terminal backgrounds) theme
[palette]
accent = "#005fd7"
muted = "#6c6c6c"
bar = "#d0d0d0"
good = "#008700"
warn = "#af5f00"
bad = "#d70000"
text = "#1c1c1c"

[roles]
normal = { fg = "default" }
dim = { fg = "muted" }
header = { fg = "text", bg = "bar", fg8 = "white", bg8 = "blue" }
headerAccent = { fg = "accent", bg = "bar", bold = true, fg8 = "cyan", bg8 = "blue" }
banner = { fg = "black", bg = "warn", bold = true }
selection = { bg = "#c6d8ff", bold = true, bg8 = "blue", fg8 = "white" }
statusBar = { fg = "text", bg = "bar", fg8 = "white", bg8 = "blue" }
statusKey = { fg = "black", bg = "accent", bold = true }
tabActive = { fg = "accent", bold = true, underline = true }
tabInactive = { fg = "muted" }
border = { fg = "accent" }
"method.get" = { fg = "good" }
"method.post" = { fg = "accent", bold = true }
"method.put" = { fg = "warn" }
"method.patch" = { fg = "warn" }
"method.delete" = { fg = "bad" }
"method.other" = { fg = "muted" }
"status.2xx" = { fg = "good" }
"status.3xx" = { fg = "accent" }
"status.4xx" = { fg = "warn" }
"status.5xx" = { fg = "bad", bold = true }
"signature.valid" = { fg = "good", bold = true }
"signature.invalid" = { fg = "bad", bold = true }
"signature.expired" = { fg = "warn", bold = true }
"signature.missing" = { fg = "bad" }
"signature.no_secret" = { fg = "warn" }
"signature.none" = { fg = "muted" }
"delivery.delivered" = { fg = "good" }
"delivery.pending" = { fg = "warn" }
"delivery.failed" = { fg = "bad", bold = true }
"json.key" = { fg = "accent" }
"json.string" = { fg = "#5f8700" }
"json.number" = { fg = "#af5f00" }
"json.literal" = { fg = "#d787d7" }
"json.punctuation" = { fg = "muted" }
placeholder = { fg = "bad", underline = true }
highlight = { fg = "warn", bold = true }
error = { fg = "bad", bold = true }
filter = { fg = "accent" }
duplicate = { fg = "#d787d7" }

"""#),
        ("monochrome", #"""
# hooktop monochrome theme: attributes only, for any terminal
[roles]
normal = {}
dim = {}
header = { reverse = true }
headerAccent = { reverse = true, bold = true }
banner = { reverse = true, bold = true }
selection = { reverse = true }
statusBar = { reverse = true }
statusKey = { bold = true }
tabActive = { bold = true, underline = true }
tabInactive = {}
"signature.invalid" = { bold = true }
"signature.expired" = { bold = true }
"delivery.failed" = { bold = true }
"status.5xx" = { bold = true }
"json.key" = { bold = true }
placeholder = { underline = true }
highlight = { bold = true }
error = { bold = true }

"""#),
        ("solarized-dark", #"""
# hooktop solarized-dark theme
[palette]
accent = "#268bd2"
muted = "#586e75"
bar = "#073642"
good = "#859900"
warn = "#b58900"
bad = "#dc322f"
text = "#93a1a1"

[roles]
normal = { fg = "default" }
dim = { fg = "muted" }
header = { fg = "text", bg = "bar", fg8 = "white", bg8 = "blue" }
headerAccent = { fg = "accent", bg = "bar", bold = true, fg8 = "cyan", bg8 = "blue" }
banner = { fg = "black", bg = "warn", bold = true }
selection = { bg = "#073642", bold = true, bg8 = "blue", fg8 = "white" }
statusBar = { fg = "text", bg = "bar", fg8 = "white", bg8 = "blue" }
statusKey = { fg = "black", bg = "accent", bold = true }
tabActive = { fg = "accent", bold = true, underline = true }
tabInactive = { fg = "muted" }
border = { fg = "accent" }
"method.get" = { fg = "good" }
"method.post" = { fg = "accent", bold = true }
"method.put" = { fg = "warn" }
"method.patch" = { fg = "warn" }
"method.delete" = { fg = "bad" }
"method.other" = { fg = "muted" }
"status.2xx" = { fg = "good" }
"status.3xx" = { fg = "accent" }
"status.4xx" = { fg = "warn" }
"status.5xx" = { fg = "bad", bold = true }
"signature.valid" = { fg = "good", bold = true }
"signature.invalid" = { fg = "bad", bold = true }
"signature.expired" = { fg = "warn", bold = true }
"signature.missing" = { fg = "bad" }
"signature.no_secret" = { fg = "warn" }
"signature.none" = { fg = "muted" }
"delivery.delivered" = { fg = "good" }
"delivery.pending" = { fg = "warn" }
"delivery.failed" = { fg = "bad", bold = true }
"json.key" = { fg = "accent" }
"json.string" = { fg = "#2aa198" }
"json.number" = { fg = "#d33682" }
"json.literal" = { fg = "#d787d7" }
"json.punctuation" = { fg = "muted" }
placeholder = { fg = "bad", underline = true }
highlight = { fg = "warn", bold = true }
error = { fg = "bad", bold = true }
filter = { fg = "accent" }
duplicate = { fg = "#d787d7" }

"""#),
    ]
}

extension BuiltInThemes {
    static let header = """
/// The shipped themes, built into the binary so a copy run outside the
/// repository (or installed without `share/hooktop/themes`) still has
/// colour and `--theme light`. Generated from `themes/*.toml`;
/// `ThemeTests.testBuiltInThemesMatchTheFiles` fails when they drift
/// (regenerate with `HOOKTOP_RECORD_THEMES=1 swift test --filter ThemeTests`).

"""
}
