import HooktopCore
import HooktopDelivery
import NIOCore
import NIOHTTP1

/// An answer as the bytes the sender gets: status line, the response's
/// fields in their order, `Content-Length` (and `Connection` when the
/// connection's fate must be said) last, then the body. What NIO's
/// `HTTPResponseEncoder` wrote for the same answer, in one buffer.
enum ResponseEncoder {
    /// `head`: the request was HEAD, so no body follows (Content-Length still says how long it would be).
    static func write(_ response: RecordedResponse, version: HTTPVersion, keepAlive: Bool, head: Bool, into buffer: inout ByteBuffer) {
        buffer.writeStaticString(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        let status = HTTPResponseStatus(statusCode: response.status)
        buffer.writeString(String(status.code))
        buffer.writeStaticString(" ")
        buffer.writeString(status.reasonPhrase)
        buffer.writeStaticString("\r\n")
        // Connection is said when the connection closes, or stays open on HTTP/1.0.
        let sayConnection = !keepAlive || version.minor == 0
        for field in response.headers {
            let name = field.name
            if name.caseInsensitiveEquals("content-length") || (sayConnection && name.caseInsensitiveEquals("connection")) { continue }
            // A field that cannot be sent as it is (a name that is not a token,
            // a control character in the value) is left out rather than break
            // the answer's framing. Configured fields are checked when the
            // config is read and a proxied target's by the transport's parser,
            // so this guards only against what slipped past both.
            _ = buffer.writeHTTPField(name, field.value)
        }
        buffer.writeStaticString("Content-Length: ")
        buffer.writeString(String(response.body.count))
        buffer.writeStaticString("\r\n")
        if !keepAlive {
            buffer.writeStaticString("Connection: close\r\n")
        } else if version.minor == 0 {
            buffer.writeStaticString("Connection: keep-alive\r\n")
        }
        buffer.writeStaticString("\r\n")
        if !head { buffer.writeBytes(response.body) }
    }
}
