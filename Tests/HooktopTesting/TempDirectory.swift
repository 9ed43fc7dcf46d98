import Foundation

/// A fresh folder under the system temp dir, removed when the value goes away.
public final class TempDirectory {
    public let path: String

    public init(_ label: String = "hooktop") {
        let base = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        path = base
    }

    public func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
