import Foundation
import HooktopCore
import Logging

/// Log lines as `key=value` pairs (logfmt), one event per line, for grep,
/// journald and log shippers:
///
///     ts=2026-12-02T13:42:16.438Z level=info msg="request" method=POST target=/hook status=200 id=7
///
/// Values with spaces, quotes, `=` or control characters are quoted and
/// escaped, so no value can start a line of its own. Callers put no body and
/// no secret in a message or its metadata.
struct KeyValueLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    private let write: @Sendable (String) -> Void

    init(write: @escaping @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data(line.utf8)) }) {
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var out = "ts=\(Timestamp.now().iso8601) level=\(event.level) msg=\(Self.value(event.message.description))"
        var merged = metadata.merging(event.metadata ?? [:]) { $1 }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) { out += " \(key)=\(Self.value("\(value)"))" }
        write(out + "\n")
    }

    /// A value as logfmt writes it: bare when it is one plain word, else quoted with `\"`, `\\` and control characters escaped.
    static func value(_ text: String) -> String {
        let plain = !text.isEmpty && text.unicodeScalars.allSatisfy { $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0 != "\\" && $0.value != 0x7F }
        if plain { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                    out += String(format: "\\x%02x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
