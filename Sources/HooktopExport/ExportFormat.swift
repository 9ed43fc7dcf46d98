import HooktopCore

/// The export formats of SPEC: `har`, `ndjson`, `curl`, `raw`.
public enum ExportFormat: String, Sendable, CaseIterable {
    case har, ndjson, curl, raw

    /// Whether the output holds payload bytes as they are (and so must not go to a terminal).
    public var writesRawBytes: Bool { self == .raw }

    /// Whether the format carries delivery attempts (read them only then).
    public var needsDeliveries: Bool { self == .ndjson || self == .har }

    /// Writes every request `source` hands over, between the format's opening
    /// and closing, and flushes; returns how many. `source` streams from the
    /// store, so memory stays flat.
    public func export(to out: inout some ExportOutput, curl: CurlWriter.Destination = .init(), bodyFiles: CurlWriter.BodyFiles? = nil,
                       redactor: Redactor? = nil, from source: ((CapturedRequest) throws -> Void) throws -> Void) throws -> Int {
        var writer = makeWriter(curl: curl, bodyFiles: bodyFiles)
        var count = 0
        try writer.begin(to: &out)
        try source { request in
            try writer.write(redactor?.redact(request) ?? request, to: &out)
            count += 1
        }
        try writer.end(to: &out)
        try out.flush()
        return count
    }

    public func makeWriter(curl: CurlWriter.Destination = .init(), bodyFiles: CurlWriter.BodyFiles? = nil) -> any ExportWriter {
        switch self {
        case .har: HARWriter()
        case .ndjson: NDJSONWriter()
        case .curl: CurlWriter(destination: curl, bodyFiles: bodyFiles)
        case .raw: RawWriter()
        }
    }
}

/// Writes requests one at a time: `begin`, `write` per request, `end`.
public protocol ExportWriter {
    mutating func begin(to out: inout some ExportOutput) throws(ExportError)
    mutating func write(_ request: CapturedRequest, to out: inout some ExportOutput) throws(ExportError)
    mutating func end(to out: inout some ExportOutput) throws(ExportError)
}

extension ExportWriter {
    public mutating func begin(to out: inout some ExportOutput) throws(ExportError) {}
    public mutating func end(to out: inout some ExportOutput) throws(ExportError) {}
}

/// One SPEC JSON object per line, bodies and attempts included.
public struct NDJSONWriter: ExportWriter {
    public init() {}
    public mutating func write(_ request: CapturedRequest, to out: inout some ExportOutput) throws(ExportError) {
        var line: [UInt8] = []
        request.json().write(to: &line)
        line.append(0x0A)
        try out.write(line)
    }
}

/// Each request in HTTP/1.1 wire form, one after the other, so the file is
/// a valid stream an HTTP parser reads request by request. A chunked body is
/// sent as one chunk (trailers after it). A body kept only in part says
/// what it is: its Content-Length is what was kept, and an
/// `X-Hooktop-Truncated` header gives the size that was sent.
public struct RawWriter: ExportWriter {
    public init() {}

    static func asciiTarget(_ target: String) -> String {
        var out = ""
        for b in WireText.bytes(of: target) {
            if b < 0x80 { out.unicodeScalars.append(Unicode.Scalar(b)) } else { out += "%" + String(b, radix: 16, uppercase: true) }
        }
        return out
    }
    public mutating func write(_ r: CapturedRequest, to out: inout some ExportOutput) throws(ExportError) {
        let chunked = r.headers.first("Transfer-Encoding")?.lowercased().contains("chunked") ?? false
        var headers = r.headers
        if r.bodyTruncated && !chunked {
            headers = HeaderList(r.headers.map {
                $0.name.caseInsensitiveEquals("Content-Length") ? HeaderList.Field($0.name, String(r.body.count)) : $0
            })
        }
        if !chunked && !r.body.isEmpty && !headers.contains("Content-Length") {
            headers.append("Content-Length", String(r.body.count))  // or the stream would lose its framing
        }
        if r.bodyTruncated { headers.append("X-Hooktop-Truncated", "kept \(r.body.count) of \(r.bodySize) bytes") }
        // A request target is ASCII in HTTP/1.1: bytes past it are percent-encoded,
        // and the target as it came rides in a header (field values may hold them).
        var target = r.target
        if WireText.bytes(of: r.target).contains(where: { $0 >= 0x80 }) {
            target = Self.asciiTarget(r.target)
            headers.append("X-Hooktop-Original-Target", r.target)
        }
        var head = "\(r.method) \(target) \(r.version)\r\n"
        head += headers.wireEncoded
        head += "\r\n"
        try out.write(WireText.bytes(of: head))  // bytes that were not UTF-8 go out as they came
        if chunked {
            if !r.body.isEmpty {
                try out.write(String(r.body.count, radix: 16) + "\r\n")
                try out.write(r.body)
                try out.write("\r\n")
            }
            try out.write("0\r\n")
            try out.write(WireText.bytes(of: r.trailers.wireEncoded))
            try out.write("\r\n")
        } else {
            try out.write(r.body)
        }
    }
}
