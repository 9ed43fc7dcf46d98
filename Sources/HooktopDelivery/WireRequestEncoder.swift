import HooktopCore
import NIOCore
import NIOHTTP1

/// Writes a request head as the bytes that were captured. A header value
/// or target held as `WireText` (obs-text such as a Latin-1 `0xE9`, which
/// is not UTF-8) goes out as those exact bytes, where NIO's encoder would
/// send the UTF-8 of their stand-in characters. It takes the place of NIO's
/// encoder and header validator, and checks what they checked: a method and
/// header names that are tokens, no control character but HTAB in a value,
/// none at all (nor a space) in the target. A head that fails is not
/// written; its write fails with `TransportFailure.unsendable`, and the
/// body and end after it are dropped.
///
/// It reads `HTTPClientRequestPart`s, so NIO's response decoder still sees
/// each head go by and knows a HEAD answer has no body. The caller frames
/// the body with Content-Length; an `.end` writes nothing.
final class WireRequestEncoder: ChannelOutboundHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = ByteBuffer

    private var dropping = false

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            var buffer = context.channel.allocator.buffer(capacity: 256)
            guard Self.encode(head, into: &buffer) else {
                dropping = true
                promise?.fail(TransportFailure.unsendable)
                return
            }
            dropping = false
            context.write(wrapOutboundOut(buffer), promise: promise)
        case .body(let body):
            if dropping {
                promise?.fail(TransportFailure.unsendable)
                return
            }
            switch body {
            case .byteBuffer(let buffer): context.write(wrapOutboundOut(buffer), promise: promise)
            case .fileRegion: promise?.fail(TransportFailure.unsendable)  // never written by the transport
            }
        case .end:
            if dropping { promise?.fail(TransportFailure.unsendable) } else { promise?.succeed() }
        }
    }

    /// The request line and header lines; false when one of them cannot be sent.
    static func encode(_ head: HTTPRequestHead, into buffer: inout ByteBuffer) -> Bool {
        let method = head.method.rawValue
        guard !method.isEmpty, method.utf8.allSatisfy(HTTPSyntax.isTokenByte) else { return false }
        buffer.writeString(method)
        buffer.writeInteger(UInt8(ascii: " "))
        let target = WireText.bytes(of: head.uri)
        guard !target.isEmpty, target.allSatisfy(HTTPSyntax.isTargetByte) else { return false }
        buffer.writeBytes(target)
        buffer.writeStaticString(" HTTP/1.1\r\n")
        for (name, value) in head.headers {
            guard buffer.writeHTTPField(name, value) else { return false }
        }
        buffer.writeStaticString("\r\n")
        return true
    }
}

extension ByteBuffer {
    /// Writes `name: value\r\n` when both may be sent as they are: a token
    /// name, a value with no control character but HTAB (text `WireText`
    /// kept goes out as its original bytes). Otherwise writes nothing and
    /// returns false. The one check for a field hooktop writes by hand: a
    /// forwarded request's and a capture answer's.
    package mutating func writeHTTPField(_ name: String, _ value: String) -> Bool {
        guard !name.isEmpty, name.utf8.allSatisfy(HTTPSyntax.isTokenByte) else { return false }
        if value.utf8.allSatisfy({ $0 < 0x80 }) {
            guard value.utf8.allSatisfy(HTTPSyntax.isValueByte) else { return false }
            writeString(name)
            writeStaticString(": ")
            writeString(value)
        } else {
            let bytes = WireText.bytes(of: value)
            guard bytes.allSatisfy(HTTPSyntax.isValueByte) else { return false }
            writeString(name)
            writeStaticString(": ")
            writeBytes(bytes)
        }
        writeStaticString("\r\n")
        return true
    }
}
