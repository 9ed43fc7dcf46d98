import Foundation
import HooktopTesting
import XCTest

/// What the curl-export tests share: run an exported script with bash, and
/// compare what a second daemon received with what the first captured.
enum CurlReplay {
    /// `bash SCRIPT`, output discarded; its exit status.
    static func run(_ script: String) throws -> Int32 {
        try HooktopBinary.spawn("/bin/bash", [script], timeoutSeconds: 120).status
    }

    /// Every request arrived as captured: method, target, version, body
    /// bytes, and headers in order and case — except that curl always sends
    /// Host right after the request line (docs/DECISIONS.md).
    static func assertSame(_ captured: [[String: Any]], _ received: [[String: Any]], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(received.count, captured.count, file: file, line: line)
        for (x, y) in zip(captured, received) {
            let what = "\(x["method"] ?? "") \(x["target"] ?? "")"
            for field in ["method", "target", "version", "body_base64"] {
                XCTAssertEqual(x[field] as? String, y[field] as? String, "\(field) of \(what)", file: file, line: line)
            }
            var expected = x["headers"] as? [[String]] ?? []
            if let host = expected.firstIndex(where: { $0.first == "Host" }) { expected.insert(expected.remove(at: host), at: 0) }
            XCTAssertEqual(expected, y["headers"] as? [[String]], "headers, in order and case, of \(what)", file: file, line: line)
        }
    }
}
