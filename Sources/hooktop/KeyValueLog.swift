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
    private let write: @Sendable ([UInt8]) -> Void

    /// `write` gets each line whole; by default one `write(2)` to standard error per line.
    init(write: @escaping @Sendable ([UInt8]) -> Void = KeyValueLogHandler.writeToStandardError) {
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Built as bytes: the access log writes a line for every request and
    /// every delivery attempt, so this is on the capture and delivery paths.
    func log(event: LogEvent) {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out += "ts=".utf8
        out += Timestamp.now().iso8601.utf8
        out += " level=".utf8
        out += event.level.rawValue.utf8
        out += " msg=".utf8
        Self.append(event.message.description, to: &out)
        var fields = event.metadata ?? [:]
        if !metadata.isEmpty { fields.merge(metadata) { event, _ in event } }
        if let error = event.error, fields["error"] == nil { fields["error"] = "\(error)" }
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            out.append(UInt8(ascii: " "))
            out += key.utf8
            out.append(UInt8(ascii: "="))
            switch value {
            case .string(let text): Self.append(text, to: &out)
            case .stringConvertible(let convertible): Self.append(convertible.description, to: &out)
            default: Self.append("\(value)", to: &out)
            }
        }
        out.append(UInt8(ascii: "\n"))
        write(out)
    }

    /// A value as logfmt writes it: bare when it is one plain word, else quoted with `\"`, `\\` and control characters escaped.
    static func value(_ text: String) -> String {
        var out: [UInt8] = []
        append(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    static func append(_ text: String, to out: inout [UInt8]) {
        let bytes = text.utf8
        var plain = !bytes.isEmpty
        var previous: UInt8 = 0
        for b in bytes {
            // Spaces and C0 controls, `"`, `=`, `\`, DEL, and C1 controls (U+0080–U+009F: C2 80–C2 9F).
            if b <= 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "=") || b == UInt8(ascii: "\\") || b == 0x7F
                || (previous == 0xC2 && b >= 0x80 && b <= 0x9F) {
                plain = false
                break
            }
            previous = b
        }
        if plain {
            out += bytes
            return
        }
        out.append(UInt8(ascii: "\""))
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\"".utf8
            case "\\": out += "\\\\".utf8
            case "\n": out += "\\n".utf8
            case "\r": out += "\\r".utf8
            case "\t": out += "\\t".utf8
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                    let hex = Array("0123456789abcdef".utf8)
                    out += "\\x".utf8
                    out.append(hex[Int(scalar.value >> 4)])
                    out.append(hex[Int(scalar.value & 0xF)])
                } else {
                    out += String(scalar).utf8
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// One line, one `write(2)` (retried on EINTR and short writes); a log that cannot be written is dropped.
    static let writeToStandardError: @Sendable ([UInt8]) -> Void = { line in
        line.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(2, base + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
