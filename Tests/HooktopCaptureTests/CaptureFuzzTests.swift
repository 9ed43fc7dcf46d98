import HooktopConfig
import HooktopCore
import HooktopSignatures
import HooktopStore
@testable import HooktopCapture
import HooktopTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import XCTest

/// A sink that stores at once and keeps what it got.
final class ImmediateSink: CaptureSink, @unchecked Sendable {
    private let lock = NIOLock()
    private var stored: [CapturedRequest] = []
    func store(_ request: CapturedRequest, completion: @escaping StoreWriter.Completion) {
        let id = lock.withLock { stored.append(request); return Int64(stored.count) }
        completion(.success(id))
    }
    var count: Int { lock.withLock { stored.count } }
}

/// Seeded fuzzing of the whole capture pipeline (hooktop's request decoder,
/// NIO's error handler, the capture handler, signature checks with a secret) on
/// an `EmbeddedChannel`: hostile framing numbers and signature headers give
/// a response or a closed connection, never a trap.
final class CaptureFuzzTests: XCTestCase {
    private func channel(_ sink: ImmediateSink) throws -> EmbeddedChannel {
        var config = Config()
        var stripe = Config.Source(name: "stripe", match: Glob("/stripe/*"), line: 1)
        stripe.scheme = "stripe"
        stripe.secrets = [Secret("whsec_fuzz")]
        config.sources = [stripe, Config.Source(name: "any", match: Glob("/*"), line: 2)]
        config.sources[1].secrets = [Secret("k3y-for-fuzzing")]
        let channel = EmbeddedChannel()
        // The daemon's own pipeline: hooktop's decoder, NIO's encoder and error handler, the capture handler.
        try CaptureServer.configure(channel.pipeline.syncOperations,
                                    policies: PolicyBox(ResponsePolicy(maxBody: 4096, config: config, registry: SchemeRegistry())), sink: sink,
                                    logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }),
                                    limits: .init(), connections: nil, proxy: nil)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    /// The decoder reads the framing headers in one pass; what it finds is
    /// what NIO's `headers[canonicalForm:]` gives, for names in any case and
    /// values with commas, spaces, tabs and empty items.
    func testFramingHeadersAgreeWithNIOsCanonicalForm() {
        let names = ["Content-Length", "content-length", "CONTENT-LENGTH", "Transfer-Encoding", "transfer-encoding",
                     "Content-Lengths", "X-Content-Length", "Host"]
        let values = ["5", " 5 ", "5,5", "5, 5", "\t5\t,", ",", "", "  ", "chunked", "gzip, chunked", "chunked ,", "a,,b", "é, 5"]
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var headers = HTTPHeaders()
            var fields = HeaderList()
            for _ in 0..<Int.random(in: 0...4, using: &random) {
                let (name, value) = (names.randomElement(using: &random)!, values.randomElement(using: &random)!)
                headers.add(name: name, value: value)
                fields.append(name, value)
            }
            let (te, lengths) = RequestDecoder.framing(fields)
            XCTAssertEqual(te, headers[canonicalForm: "transfer-encoding"], "\(headers)")
            XCTAssertEqual(lengths, headers[canonicalForm: "content-length"], "\(headers)")
        }
    }

    func testTheStripeHeaderThatKilledTheDaemon() throws {
        let sink = ImmediateSink()
        let ch = try channel(sink)
        try ch.writeInbound(ByteBuffer(string: "POST /stripe/x HTTP/1.1\r\nHost: h\r\nStripe-Signature: t=-9223372036854775808,v1=00\r\nContent-Length: 2\r\n\r\n{}"))
        ch.embeddedEventLoop.run()  // the sink's completion hops back to the loop
        let response = try XCTUnwrap(try ch.readOutbound(as: ByteBuffer.self))
        XCTAssertTrue(String(buffer: response).hasPrefix("HTTP/1.1 200"), String(buffer: response))
        XCTAssertEqual(sink.count, 1)
        _ = try? ch.finish()
    }

    func testFuzzRawRequestsNeverTrap() throws {
        var rng = SeededRandom(seed: 0xCA_97)
        let methods = ["POST", "GET", "PUT", "HEAD", "DELETE", "PATCH", "OPTIONS", "BREW", "", "P\u{0}ST", "GET\u{1b}"]
        let targets = ["/stripe/x", "/", "*", "http://h/abs", "/a?b=%zz", "/x" + String(repeating: "a", count: 9000), "/é", "", "/\u{7f}"]
        var answered = 0, closed = 0
        for _ in 0..<1_000 {
            let sink = ImmediateSink()
            let ch = try channel(sink)
            var head = "\(rng.pick(methods)) \(rng.pick(targets)) \(rng.pick(["HTTP/1.1", "HTTP/1.0", "HTTP/9.9", "HTTP/1.1x", ""]))\r\n"
            var body: [UInt8] = FuzzValues.bytes(&rng)
            for _ in 0...(rng.next() % 5) {
                let n = rng.pick(FuzzValues.numbers)
                head += rng.pick([
                    "Content-Length: \(n)\r\n", "Transfer-Encoding: chunked\r\n", "Stripe-Signature: t=\(n),v1=00\r\n",
                    "webhook-id: x\r\nwebhook-timestamp: \(n)\r\nwebhook-signature: v1,AAAA\r\n", "X-Slack-Request-Timestamp: \(n)\r\nX-Slack-Signature: v0=00\r\n",
                    "Expect: 100-continue\r\n", "Host: \(n)\r\n", "X-Big: \(String(repeating: "b", count: Int(rng.next() % 20_000)))\r\n",
                    "Bad Header: x\r\n", "X-Ctl: \u{1b}[2J\r\n", ": empty name\r\n", "X-Fold: a\r\n continued\r\n",
                ])
            }
            if head.contains("chunked") && rng.chance(70) {
                body = Array("\(rng.pick(["5", "ffffffffffffffffffff", "-1", "0x10", "18446744073709551616", "5;ext=1", "zz"]))\r\nhello\r\n0\r\n\r\n".utf8)
            }
            let bytes = Array(head.utf8) + Array("\r\n".utf8) + body
            do {
                // Split the bytes at random places, as a network would.
                var rest = bytes[...]
                while !rest.isEmpty {
                    let n = min(rest.count, 1 + Int(rng.next() % 4096))
                    try ch.writeInbound(ByteBuffer(bytes: rest.prefix(n)))
                    rest = rest.dropFirst(n)
                }
            } catch {
                // A parser error closes the connection after the 400: that is an answer too.
            }
            ch.embeddedEventLoop.run()
            if (try? ch.readOutbound(as: ByteBuffer.self)) ?? nil != nil { answered += 1 }
            if !ch.isActive { closed += 1 }
            _ = try? ch.finish()
        }
        XCTAssertGreaterThan(answered, 300)
        XCTAssertGreaterThan(closed, 30)
    }
}
