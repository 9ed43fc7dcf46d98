import HooktopCore
import NIOCore
import NIOHTTP1

/// What was read of a request whose head could not be parsed, for the
/// capture handler to record (the sender is answered 400 either way).
struct BrokenHead: Sendable {
    var method: String
    var target: String
    var version: String
    var headers: HeaderList
    var reason: String
}

/// A request head as the capture handler needs it: the fields exactly as
/// they came (names as sent, values as `WireText`), and what the framing
/// pass learnt of them on the way.
struct RequestHead {
    var method: String
    var target: String
    var version: HTTPVersion
    var headers: HeaderList
    /// HTTP/1.1 unless `Connection: close`; HTTP/1.0 only with `Connection: keep-alive`.
    var keepAlive: Bool
    /// The first `Expect` field is `100-continue`.
    var expectsContinue: Bool

    var isHEAD: Bool { method == "HEAD" }
}

/// One part of a request, in the order they come.
enum RequestPart {
    case head(RequestHead)
    case body(ByteBuffer)
    /// The end of the request, with its chunked trailer fields (nil when there were none).
    case end(HeaderList?)
}

/// HTTP/1.1 request framing, byte for byte (RFC 9112), read where the bytes
/// arrived: hooktop's own, in place of NIO's llhttp decoder, so raw UTF-8
/// and obs-text in the target and header values are kept (as `WireText`),
/// chunked trailers come with `.end`, and a refused head says what it held.
///
/// Strict where framing is at stake: one Content-Length (or identical
/// copies), never with Transfer-Encoding; chunked last; sizes checked for
/// overflow; no obs-fold; control characters refused everywhere but HTAB.
struct RequestDecoder {
    /// The largest head (request line and headers), and the largest trailer block.
    static let maxHeadBytes = 80 * 1024
    /// The largest chunk-size line (size, extensions, CRLF).
    static let maxChunkLine = 4 * 1024

    private enum State {
        case head
        case fixed(remaining: Int)
        /// The request is whole: `.end` is next.
        case ended
        case chunkSize
        case chunkData(remaining: Int)
        case chunkEnd
        case trailers
        /// The head was read but its framing is wrong: the next call throws.
        case failed(HTTPParserError)
    }

    private var state = State.head
    private var scan = Scan()

    /// What could be read of the last head refused; taken by the capture handler.
    var broken: BrokenHead?

    /// The next part, once its bytes have come (nil until then). Throws an
    /// `HTTPParserError` for bytes that are not HTTP/1.1; nothing more is
    /// read on such a connection.
    mutating func next(_ buffer: inout ByteBuffer) throws -> RequestPart? {
        while true {
            switch state {
            case .head:
                if scan.offset == 0 { Self.skipEmptyLines(&buffer) }
                guard let end = headEnd(buffer) else { return nil }
                guard end <= Self.maxHeadBytes else { throw refuse(buffer, .headerOverflow, "the head is over 80 KiB") }
                let head = try buffer.withUnsafeReadableBytes { try parseHead(UnsafeRawBufferPointer(rebasing: $0[..<end])) }
                buffer.moveReaderIndex(forwardBy: end)
                startBody(head)
                return .head(head)

            case .fixed(let remaining):
                guard let (bytes, left) = Self.bodyBytes(&buffer, remaining: remaining) else { return nil }
                state = left == 0 ? .ended : .fixed(remaining: left)
                return .body(bytes)

            case .ended:
                state = .head
                return .end(nil)

            case .chunkSize:
                guard let line = Self.readLine(&buffer, limit: Self.maxChunkLine) else {
                    if buffer.readableBytes > Self.maxChunkLine { throw HTTPParserError.invalidChunkSize }
                    return nil
                }
                let size = try Self.chunkSize(line)
                state = size == 0 ? .trailers : .chunkData(remaining: size)

            case .chunkData(let remaining):
                guard let (bytes, left) = Self.bodyBytes(&buffer, remaining: remaining) else { return nil }
                state = left == 0 ? .chunkEnd : .chunkData(remaining: left)
                return .body(bytes)

            case .chunkEnd:
                guard let line = Self.readLine(&buffer, limit: 2) else {
                    if buffer.readableBytes >= 2 { throw HTTPParserError.invalidChunkSize }
                    return nil
                }
                guard line.isEmpty else { throw HTTPParserError.invalidChunkSize }
                state = .chunkSize

            case .trailers:
                return try trailers(&buffer)

            case .failed(let error):
                throw error
            }
        }
    }

    /// The body bytes that have come, up to `remaining`, and how many are
    /// still to come after them; nil while none have.
    private static func bodyBytes(_ buffer: inout ByteBuffer, remaining: Int) -> (ByteBuffer, left: Int)? {
        let n = min(remaining, buffer.readableBytes)
        guard n > 0, let bytes = buffer.readSlice(length: n) else { return nil }
        return (bytes, remaining - n)
    }

    private mutating func trailers(_ buffer: inout ByteBuffer) throws -> RequestPart? {
        if scan.offset == 0, buffer.readableBytes >= 2, buffer.getBytes(at: buffer.readerIndex, length: 2) == [13, 10] {
            buffer.moveReaderIndex(forwardBy: 2)
            state = .head
            return .end(nil)
        }
        if scan.offset == 0, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 10 {
            buffer.moveReaderIndex(forwardBy: 1)
            state = .head
            return .end(nil)
        }
        if scan.offset == 0, buffer.readableBytes == 1, buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == 13 {
            return nil  // the CR of an empty trailer block; its LF follows
        }
        guard let end = headEnd(buffer) else { return nil }
        guard end <= Self.maxHeadBytes else { throw HTTPParserError.headerOverflow }
        let bytes = buffer.readBytes(length: end) ?? []
        var fields = HeaderList()
        for line in Self.lines(bytes) where !line.isEmpty {
            let (name, value) = try Self.field(line)
            fields.append(name, value)
        }
        state = .head
        return .end(fields)
    }

    // MARK: head

    private static func skipEmptyLines(_ buffer: inout ByteBuffer) {
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

    /// The next line of `raw` from `start`, without its line end, and where the one after it starts.
    private static func line(_ raw: UnsafeRawBufferPointer, from start: Int) -> (Range<Int>, next: Int) {
        var i = start
        while i < raw.count, raw[i] != 10 { i += 1 }
        var end = i
        if end > start, raw[end - 1] == 13 { end -= 1 }
        return (start..<end, i + 1)
    }

    /// The head read in place: a String per name and value, nothing else
    /// built (it runs for every request the daemon takes).
    private mutating func parseHead(_ raw: UnsafeRawBufferPointer) throws -> RequestHead {
        let (requestLine, first) = Self.line(raw, from: 0)
        guard let space1 = raw[requestLine].firstIndex(of: 0x20),
              let space2 = raw[(space1 + 1)..<requestLine.upperBound].firstIndex(of: 0x20),
              !raw[(space2 + 1)..<requestLine.upperBound].contains(0x20),
              space1 > requestLine.lowerBound, space2 > space1 + 1 else {
            throw refuse(raw, .invalidConstant, "the request line is not METHOD TARGET VERSION")
        }
        let method = UnsafeRawBufferPointer(rebasing: raw[requestLine.lowerBound..<space1])
        let target = UnsafeRawBufferPointer(rebasing: raw[(space1 + 1)..<space2])
        guard method.allSatisfy(HTTPSyntax.isTokenByte) else { throw refuse(raw, .invalidMethod, "the method is not a token") }
        guard target.allSatisfy(HTTPSyntax.isTargetByte) else {
            throw refuse(raw, .invalidURL, "the request target holds a control character or a space")
        }
        guard let version = Self.version(UnsafeRawBufferPointer(rebasing: raw[(space2 + 1)..<requestLine.upperBound])) else {
            throw refuse(raw, .invalidVersion, "the version is not HTTP/1.0 or HTTP/1.1")
        }
        var headers = HeaderList()
        // At most a field a line: the array grown step by step was 2 % of an event loop.
        headers.reserveCapacity(raw[min(first, raw.count)...].reduce(0) { $1 == 0x0A ? $0 + 1 : $0 })
        var framing = Framing()
        var at = first
        while at < raw.count {
            let (range, next) = Self.line(raw, from: at)
            at = next
            guard !range.isEmpty else { continue }
            let line = UnsafeRawBufferPointer(rebasing: raw[range])
            if line[0] == 0x20 || line[0] == 0x09 {
                throw refuse(raw, .invalidHeaderToken, "a header line is folded (obs-fold)")
            }
            guard let (name, value) = Self.fieldParts(line) else {
                throw refuse(raw, .invalidHeaderToken, "a header line is not 'Name: value'")
            }
            let nameText = String(decoding: name, as: UTF8.self)
            let valueText = WireText.string(value)
            framing.note(name: name, value: valueText)
            headers.append(nameText, valueText)
        }
        let keepAlive = framing.close ? false : framing.keepAlive || version == .http1_1
        self.framing = framing
        return RequestHead(method: String(decoding: method, as: UTF8.self), target: WireText.string(target), version: version,
                           headers: headers, keepAlive: keepAlive, expectsContinue: framing.expectsContinue)
    }

    /// A header line's name and value (without surrounding spaces and
    /// tabs); nil unless the name is a token and the value holds no control
    /// character but HTAB.
    private static func fieldParts(_ line: UnsafeRawBufferPointer) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer)? {
        guard let colon = line.firstIndex(of: 0x3A), colon > 0 else { return nil }
        let name = UnsafeRawBufferPointer(rebasing: line[..<colon])
        guard name.allSatisfy(HTTPSyntax.isTokenByte) else { return nil }
        var start = colon + 1, end = line.count
        while start < end, line[start] == 0x20 || line[start] == 0x09 { start += 1 }
        while end > start, line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
        let value = UnsafeRawBufferPointer(rebasing: line[start..<end])
        guard value.allSatisfy(HTTPSyntax.isValueByte) else { return nil }
        return (name, value)
    }

    /// A header line as name and value, for trailers and refused heads.
    static func field(_ line: ArraySlice<UInt8>) throws -> (String, String) {
        try line.withUnsafeBytes { raw in
            guard let (name, value) = fieldParts(raw) else { throw HTTPParserError.invalidHeaderToken }
            return (String(decoding: name, as: UTF8.self), WireText.string(value))
        }
    }

    static func version(_ text: UnsafeRawBufferPointer) -> HTTPVersion? {
        guard text.count == 8, text.starts(with: "HTTP/1.".utf8) else { return nil }
        switch text[7] {
        case UInt8(ascii: "1"): return .http1_1
        case UInt8(ascii: "0"): return .http1_0
        default: return nil
        }
    }

    // MARK: body framing

    /// What the head's fields say about framing and the connection, noted
    /// as they are read (one pass over the head).
    struct Framing {
        var transferEncoding: [Substring] = []
        var contentLength: [Substring] = []
        var close = false
        var keepAlive = false
        var expectsContinue = false
        private var sawExpect = false

        mutating func note(name: UnsafeRawBufferPointer, value: String) {
            switch name.count {
            case 14 where Self.equals(name, "content-length"):
                Self.appendItems(of: value, to: &contentLength)
            case 17 where Self.equals(name, "transfer-encoding"):
                Self.appendItems(of: value, to: &transferEncoding)
            case 10 where Self.equals(name, "connection"):
                var items: [Substring] = []
                Self.appendItems(of: value, to: &items)
                for item in items {
                    if item.caseInsensitiveEquals("close") { close = true }
                    if item.caseInsensitiveEquals("keep-alive") { keepAlive = true }
                }
            case 6 where !sawExpect && Self.equals(name, "expect"):
                sawExpect = true
                expectsContinue = value.caseInsensitiveEquals("100-continue")
            default:
                break
            }
        }

        /// ASCII letters compared without case; `lower` is lowercase.
        private static func equals(_ name: UnsafeRawBufferPointer, _ lower: StaticString) -> Bool {
            guard name.count == lower.utf8CodeUnitCount else { return false }
            let other = UnsafeRawBufferPointer(start: lower.utf8Start, count: lower.utf8CodeUnitCount)
            for i in 0..<name.count where name[i] | 0x20 != other[i] { return false }
            return true
        }

        /// A field value's comma-separated items, empty ones dropped, each
        /// without surrounding spaces and tabs (as `headers[canonicalForm:]`
        /// gives them); the usual one item without a split.
        static func appendItems(of value: String, to items: inout [Substring]) {
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
    }

    /// The framing of the head just read, for `startBody`.
    private var framing = Framing()

    /// Transfer-Encoding's and Content-Length's values, split at commas and
    /// trimmed, as the decoder reads them from a head's fields.
    static func framing(_ headers: HeaderList) -> (transferEncoding: [Substring], contentLength: [Substring]) {
        var framing = Framing()
        for field in headers {
            var name = field.name
            name.withUTF8 { framing.note(name: UnsafeRawBufferPointer($0), value: field.value) }
        }
        return (framing.transferEncoding, framing.contentLength)
    }

    /// After a head: how its body is framed. Wrong framing is not thrown
    /// here: the head is handed on first, so the request is recorded with
    /// what was wrong, and the next call throws.
    private mutating func startBody(_ head: RequestHead) {
        let te = framing.transferEncoding, lengths = framing.contentLength
        framing = Framing()
        if !te.isEmpty {
            // A request with both is how requests are smuggled: refuse it (RFC 9112 §6.1 allows this).
            guard lengths.isEmpty else { state = .failed(.unexpectedContentLength); return }
            guard head.version == .http1_1, te.last?.caseInsensitiveEquals("chunked") == true else {
                state = .failed(.invalidConstant)
                return
            }
            state = .chunkSize
            return
        }
        guard let first = lengths.first else {
            state = .ended
            return
        }
        guard lengths.allSatisfy({ $0 == first }), let length = Self.contentLength(first) else {
            state = .failed(.invalidContentLength)
            return
        }
        state = length == 0 ? .ended : .fixed(remaining: length)
    }

    /// Digits only, and it must fit: `99999999999999999999` is refused, not wrapped.
    static func contentLength(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(text)
    }

    /// Hex digits (up to 15: no overflow), then optional `;extensions`.
    private static func chunkSize(_ line: [UInt8]) throws -> Int {
        let digits = line.prefix { hexValue($0) != nil }
        guard !digits.isEmpty, digits.count <= 15 else { throw HTTPParserError.invalidChunkSize }
        let rest = line.dropFirst(digits.count).drop { $0 == 0x20 || $0 == 0x09 }
        guard rest.isEmpty || rest.first == UInt8(ascii: ";") else { throw HTTPParserError.invalidChunkSize }
        return digits.reduce(0) { $0 << 4 | (hexValue($1) ?? 0) }
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
    private static func readLine(_ buffer: inout ByteBuffer, limit: Int) -> [UInt8]? {
        let view = buffer.readableBytesView
        guard let lf = view.prefix(limit + 2).firstIndex(of: 10) else { return nil }
        let length = view.distance(from: view.startIndex, to: lf)
        var line = buffer.readBytes(length: length + 1) ?? []
        line.removeLast()
        if line.last == 13 { line.removeLast() }
        return line
    }

    // MARK: refusals

    /// Leaves what could be read of a refused head in `broken`.
    private mutating func refuse(_ buffer: ByteBuffer, _ error: HTTPParserError, _ reason: String) -> HTTPParserError {
        refuse(Array(buffer.readableBytesView.prefix(Self.maxHeadBytes)), error, reason)
    }

    private mutating func refuse(_ raw: UnsafeRawBufferPointer, _ error: HTTPParserError, _ reason: String) -> HTTPParserError {
        refuse(Array(raw), error, reason)
    }

    private mutating func refuse(_ bytes: [UInt8], _ error: HTTPParserError, _ reason: String) -> HTTPParserError {
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
        broken = BrokenHead(method: String(word(0).prefix(64)), target: word(1), version: String(word(2).prefix(64)),
                            headers: headers, reason: reason)
        state = .failed(error)
        return error
    }
}
