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
        var line = request.json().serialized()
        line += "\n"
        try out.write(line)
    }
}

/// Each request in HTTP/1.1 wire form, one after the other. A body that came
/// chunked is sent as one chunk, so the bytes stay a valid request.
public struct RawWriter: ExportWriter {
    public init() {}
    public mutating func write(_ r: CapturedRequest, to out: inout some ExportOutput) throws(ExportError) {
        var head = "\(r.method) \(r.target) \(r.version)\r\n"
        head += r.headers.wireEncoded
        head += "\r\n"
        try out.write(WireText.bytes(of: head))  // bytes that were not UTF-8 go out as they came
        let chunked = r.headers.first("Transfer-Encoding")?.lowercased().contains("chunked") ?? false
        if chunked {
            if !r.body.isEmpty {
                try out.write(String(r.body.count, radix: 16) + "\r\n")
                try out.write(r.body)
                try out.write("\r\n")
            }
            try out.write("0\r\n\r\n")
        } else {
            try out.write(r.body)
        }
    }
}
