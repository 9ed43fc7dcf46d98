import HooktopCore
import NIOCore
import NIOHTTP1

/// What was read of a request whose head could not be parsed, for the
/// capture handler to record (the sender gets NIO's 400 either way).
struct BrokenHead: Sendable {
    var method: String
    var target: String
    var version: String
    var headers: HeaderList
    var reason: String
}

/// Per connection: the decoder leaves a broken head here before it fails.
final class BrokenHeadBox {
    var head: BrokenHead?
}

/// HTTP/1.1 request framing, byte for byte (RFC 9112), in place of NIO's
/// llhttp decoder: it keeps raw UTF-8 and obs-text in the request target and
/// header values (as `WireText`), hands chunked trailers over with `.end`,
/// and says what it had read when a head is refused.
///
/// Strict where framing is at stake: one Content-Length (or identical
/// copies), never with Transfer-Encoding; chunked last; sizes checked for
/// overflow; no obs-fold; control characters refused everywhere but HTAB.
struct RequestDecoder: ByteToMessageDecoder {
    typealias InboundOut = HTTPServerRequestPart

    /// The largest head (request line and headers), and the largest trailer block.
    static let maxHeadBytes = 80 * 1024
    /// The largest chunk-size line (size, extensions, CRLF).
    static let maxChunkLine = 4 * 1024

    private enum State {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkEnd
        case trailers
    }

    private var state = State.head
    private let broken: BrokenHeadBox

    init(broken: BrokenHeadBox) { self.broken = broken }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch state {
        case .head:
            if scan.offset == 0 { skipEmptyLines(&buffer) }
            guard let end = headEnd(buffer) else {
                return .needMoreData
            }
            guard end <= Self.maxHeadBytes else { throw refuse(buffer, .headerOverflow, "the head is over 80 KiB") }
            let bytes = buffer.readBytes(length: end) ?? []
            let head = try parseHead(bytes)
            context.fireChannelRead(wrapInboundOut(.head(head)))
            try startBody(head, context: context)
            return .continue

        case .fixed(let remaining):
            guard buffer.readableBytes > 0 else { return .needMoreData }
            let n = min(remaining, buffer.readableBytes)
            if let slice = buffer.readSlice(length: n) { context.fireChannelRead(wrapInboundOut(.body(slice))) }
            if n == remaining {
                state = .head
                context.fireChannelRead(wrapInboundOut(.end(nil)))
            } else {
                state = .fixed(remaining: remaining - n)
            }
            return .continue

        case .chunkSize:
            guard let line = readLine(&buffer, limit: Self.maxChunkLine) else {
                if buffer.readableBytes > Self.maxChunkLine { throw HTTPParserError.invalidChunkSize }
                return .needMoreData
            }
            let size = try chunkSize(line)
            state = size == 0 ? .trailers : .chunkData(remaining: size)
            return .continue

        case .chunkData(let remaining):
            guard buffer.readableBytes > 0 else { return .needMoreData }
            let n = min(remaining, buffer.readableBytes)
            if let slice = buffer.readSlice(length: n) { context.fireChannelRead(wrapInboundOut(.body(slice))) }
            state = n == remaining ? .chunkEnd : .chunkData(remaining: remaining - n)
            return .continue

        case .chunkEnd:
            guard let line = readLine(&buffer, limit: 2) else {
                if buffer.readableBytes >= 2 { throw HTTPParserError.invalidChunkSize }
                return .needMoreData
            }
            guard line.isEmpty else { throw HTTPParserError.invalidChunkSize }
            state = .chunkSize
            return .continue

        case .trailers:
            if scan.offset == 0, buffer.readableBytes >= 2, buffer.getBytes(at: buffer.readerIndex, length: 2) == [13, 10] {
                buffer.moveReaderIndex(forwardBy: 2)
                state = .head
                context.fireChannelRead(wrapInboundOut(.end(nil)))
                return .continue
            }
            if scan.offset == 0, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 10 {
                buffer.moveReaderIndex(forwardBy: 1)
                state = .head
                context.fireChannelRead(wrapInboundOut(.end(nil)))
                return .continue
            }
            if scan.offset == 0, buffer.readableBytes == 1, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 13 {
                return .needMoreData  // the CR of an empty trailer block; its LF follows
            }
            guard let end = headEnd(buffer) else { return .needMoreData }
            guard end <= Self.maxHeadBytes else { throw HTTPParserError.headerOverflow }
            let bytes = buffer.readBytes(length: end) ?? []
            var fields: [(String, String)] = []
            for line in Self.lines(bytes) where !line.isEmpty {
                fields.append(try Self.field(line))
            }
            state = .head
            context.fireChannelRead(wrapInboundOut(.end(HTTPHeaders(fields))))
            return .continue
        }
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // Inside a body: nothing more will come, and the capture handler
        // records what did when it hears that the input closed. No error
        // here, so NIO's error handler does not answer 400 to a sender that
        // only half-closed: what it is told and what is recorded agree.
        return .needMoreData
    }

    // MARK: head

    private func skipEmptyLines(_ buffer: inout ByteBuffer) {
        // RFC 9112 §2.2: ignore empty lines before the request line.
        while let b = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self), b == 13 || b == 10 {
            buffer.moveReaderIndex(forwardBy: 1)
        }
    }

    /// Length up to and including the empty line that ends a head (or a
    /// trailer block), once it has come. Scanning resumes where it stopped,
    /// so a head sent a byte at a time costs linear time, not quadratic.
    private mutating func headEnd(_ buffer: ByteBuffer) -> Int? {
        let found: Int? = buffer.withUnsafeReadableBytes { raw in
            var i = scan.offset
            while i < raw.count {
                if raw[i] == 10 {
                    let length = i - scan.lineStart
                    if length == 0 || (length == 1 && raw[i - 1] == 13) { return i + 1 }
                    scan.lineStart = i + 1
                }
                i += 1
                if i > Self.maxHeadBytes + 2 { return i }  // the caller refuses it
            }
            scan.offset = i
            return nil
        }
        if found != nil { scan = Scan() }
        return found
    }

    private struct Scan {
        var offset = 0
        var lineStart = 0
    }

    private var scan = Scan()

    /// The head's lines without their line ends (CRLF, or a lone LF).
    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = []
        var start = 0
        for (i, b) in bytes.enumerated() where b == 10 {
            var end = i
            if end > start, bytes[end - 1] == 13 { end -= 1 }
            out.append(bytes[start..<end])
            start = i + 1
        }
        if start < bytes.count { out.append(bytes[start...]) }
        return out
    }

    private func parseHead(_ bytes: [UInt8]) throws -> HTTPRequestHead {
        let lines = Self.lines(bytes)
        guard let requestLine = lines.first else { throw refuse(bytes, .invalidConstant, "no request line") }
        let parts = requestLine.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw refuse(bytes, .invalidConstant, "the request line is not METHOD TARGET VERSION")
        }
        guard parts[0].allSatisfy(Self.isTokenByte) else { throw refuse(bytes, .invalidMethod, "the method is not a token") }
        guard parts[1].allSatisfy({ $0 > 0x20 && $0 != 0x7F }) else {
            throw refuse(bytes, .invalidURL, "the request target holds a control character or a space")
        }
        guard let version = Self.version(parts[2]) else {
            throw refuse(bytes, .invalidVersion, "the version is not HTTP/1.0 or HTTP/1.1")
        }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() where !line.isEmpty {
            if line.first == 0x20 || line.first == 0x09 {
                throw refuse(bytes, .invalidHeaderToken, "a header line is folded (obs-fold)")
            }
            do { headers.append(try Self.field(line)) } catch {
                throw refuse(bytes, .invalidHeaderToken, "a header line is not 'Name: value'")
            }
        }
        return HTTPRequestHead(version: version, method: HTTPMethod(rawValue: String(decoding: parts[0], as: UTF8.self)),
                               uri: WireText.string(parts[1]), headers: HTTPHeaders(headers))
    }

    static func field(_ line: ArraySlice<UInt8>) throws -> (String, String) {
        guard let colon = line.firstIndex(of: 0x3A), colon > line.startIndex,
              line[..<colon].allSatisfy(isTokenByte) else { throw HTTPParserError.invalidHeaderToken }
        var value = line[(colon + 1)...]
        while let f = value.first, f == 0x20 || f == 0x09 { value = value.dropFirst() }
        while let l = value.last, l == 0x20 || l == 0x09 { value = value.dropLast() }
        // HTAB, SP, VCHAR and obs-text only: no NUL, no bare CR, no other control.
        guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else { throw HTTPParserError.invalidHeaderToken }
        return (String(decoding: line[..<colon], as: UTF8.self), WireText.string(value))
    }

    static func version(_ text: ArraySlice<UInt8>) -> HTTPVersion? {
        switch Array(text) {
        case Array("HTTP/1.1".utf8): .http1_1
        case Array("HTTP/1.0".utf8): .http1_0
        default: nil
        }
    }

    /// RFC 9110 tchar.
    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"): true
        default: false
        }
    }

    // MARK: body framing

    private mutating func startBody(_ head: HTTPRequestHead, context: ChannelHandlerContext) throws {
        let (te, lengths) = Self.framing(head.headers)
        if !te.isEmpty {
            // A request with both is how requests are smuggled: refuse it (RFC 9112 §6.1 allows this).
            guard lengths.isEmpty else { throw HTTPParserError.unexpectedContentLength }
            guard head.version == .http1_1, te.last?.lowercased() == "chunked" else { throw HTTPParserError.invalidConstant }
            state = .chunkSize
            return
        }
        guard let first = lengths.first else {
            state = .head
            context.fireChannelRead(wrapInboundOut(.end(nil)))
            return
        }
        guard lengths.allSatisfy({ $0 == first }), let length = Self.contentLength(first) else {
            throw HTTPParserError.invalidContentLength
        }
        if length == 0 {
            state = .head
            context.fireChannelRead(wrapInboundOut(.end(nil)))
        } else {
            state = .fixed(remaining: length)
        }
    }

    /// Transfer-Encoding's and Content-Length's values, split at commas and
    /// trimmed as `headers[canonicalForm:]` gives them, in one pass over the
    /// head instead of two searches and a split each (every request asks).
    static func framing(_ headers: HTTPHeaders) -> (transferEncoding: [Substring], contentLength: [Substring]) {
        var te: [Substring] = [], lengths: [Substring] = []
        for (name, value) in headers {
            if name.caseInsensitiveEquals("content-length") {
                appendItems(of: value, to: &lengths)
            } else if name.caseInsensitiveEquals("transfer-encoding") {
                appendItems(of: value, to: &te)
            }
        }
        return (te, lengths)
    }

    /// A field value's comma-separated items, empty ones dropped, each
    /// without surrounding spaces and tabs; the usual one item without a split.
    private static func appendItems(of value: String, to items: inout [Substring]) {
        let utf8 = value.utf8
        guard utf8.contains(UInt8(ascii: ",")) else {
            if !utf8.isEmpty { items.append(trimmed(value[...])) }
            return
        }
        for item in value.split(separator: ",") { items.append(trimmed(item)) }
    }

    private static func trimmed(_ item: Substring) -> Substring {
        let utf8 = item.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 }),
              let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 }) else { return "" }
        return Substring(utf8[first...last])
    }

    /// Digits only, and it must fit: `99999999999999999999` is refused, not wrapped.
    static func contentLength(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    /// Hex digits (up to 15: no overflow), then optional `;extensions`.
    private func chunkSize(_ line: [UInt8]) throws -> Int {
        let digits = line.prefix { Self.hexValue($0) != nil }
        guard !digits.isEmpty, digits.count <= 15 else { throw HTTPParserError.invalidChunkSize }
        let rest = line.dropFirst(digits.count).drop { $0 == 0x20 || $0 == 0x09 }
        guard rest.isEmpty || rest.first == UInt8(ascii: ";") else { throw HTTPParserError.invalidChunkSize }
        return digits.reduce(0) { $0 << 4 | Self.hexValue($1)! }
    }

    private static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b - 0x30)
        case 0x41...0x46: Int(b - 0x37)
        case 0x61...0x66: Int(b - 0x57)
        default: nil
        }
    }

    /// One line (CRLF or LF ended), without its end; nil until it has come.
    private func readLine(_ buffer: inout ByteBuffer, limit: Int) -> [UInt8]? {
        let view = buffer.readableBytesView
        guard let lf = view.prefix(limit + 2).firstIndex(of: 10) else { return nil }
        let length = view.distance(from: view.startIndex, to: lf)
        var line = buffer.readBytes(length: length + 1) ?? []
        line.removeLast()
        if line.last == 13 { line.removeLast() }
        return line
    }

    // MARK: refusals

    /// Leaves what could be read of a refused head for the capture handler.
    private func refuse(_ buffer: ByteBuffer, _ error: HTTPParserError, _ reason: String) -> HTTPParserError {
        refuse(Array(buffer.readableBytesView.prefix(Self.maxHeadBytes)), error, reason)
    }

    private func refuse(_ bytes: [UInt8], _ error: HTTPParserError, _ reason: String) -> HTTPParserError {
        let lines = Self.lines(bytes)
        let words = lines.first.map { $0.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false) } ?? []
        func word(_ i: Int) -> String { i < words.count ? WireText.string(words[i]) : "" }
        var headers = HeaderList()
        for line in lines.dropFirst() where !line.isEmpty {
            if let (name, value) = try? Self.field(line) {
                headers.append(name, value)
            } else if let colon = line.firstIndex(of: 0x3A) {
                headers.append(WireText.string(line[..<colon]), WireText.string(line[(colon + 1)...].drop { $0 == 0x20 }))
            } else {
                headers.append(WireText.string(line), "")
            }
        }
        broken.head = BrokenHead(method: String(word(0).prefix(64)), target: word(1), version: String(word(2).prefix(64)),
                                 headers: headers, reason: reason)
        return error
    }
}
