import HooktopCore

/// Requests for tests, with every field set to something recognisable.
public enum Fixtures {
    public static func request(
        target: String = "/hooks/test?x=1", method: String = "POST",
        body: [UInt8] = Array(#"{"event":"test"}"#.utf8),
        headers: [(String, String)] = [("Content-Type", "application/json"), ("X-Dup", "1"), ("x-dup", "2")],
        receivedAt: Timestamp = .now()
    ) -> CapturedRequest {
        CapturedRequest(receivedAt: receivedAt, remote: "127.0.0.1:50000", method: method, target: target,
                        headers: HeaderList(headers), body: body)
    }

    /// Every byte value, twice, with NULs and invalid UTF-8 in it.
    public static let allBytes: [UInt8] = (0...255).map(UInt8.init) + (0...255).reversed().map(UInt8.init)
}
