#if canImport(Glibc)
import Glibc
#endif

/// Where an export goes. Writers only append bytes, so an export streams
/// with constant memory whatever its size.
public protocol ExportOutput {
    mutating func write(_ bytes: [UInt8]) throws(ExportError)
    mutating func write(_ text: String) throws(ExportError)
    mutating func flush() throws(ExportError)
}

/// Why an export stopped: the output could not be written.
public struct ExportError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Sendable, Equatable {
        case cannotWrite(path: String)
        case writeFailed(errno: Int32)
    }

    private let kind: Kind

    static func cannotWrite(_ path: String) -> ExportError { ExportError(kind: .cannotWrite(path: path)) }
    static func writeFailed(errno: Int32) -> ExportError { ExportError(kind: .writeFailed(errno: errno)) }

    public var description: String {
        switch kind {
        case .cannotWrite(let path): "cannot write \(path)"
        case .writeFailed(let code): "write failed: \(String(cString: strerror(code)))"
        }
    }
}

/// Appends to a file descriptor through a 256 KiB buffer.
public struct FileOutput: ExportOutput {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let capacity = 256 * 1024
    public private(set) var bytesWritten = 0

    public init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(capacity)
    }

    public mutating func write(_ bytes: [UInt8]) throws(ExportError) {
        buffer += bytes
        if buffer.count >= capacity { try flush() }
    }

    public mutating func write(_ text: String) throws(ExportError) {
        var text = text
        text.withUTF8 { buffer.append(contentsOf: $0) }
        if buffer.count >= capacity { try flush() }
    }

    public mutating func flush() throws(ExportError) {
        var offset = 0
        while offset < buffer.count {
            let n = buffer.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw .writeFailed(errno: errno) }
            offset += n
        }
        bytesWritten += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Collects everything in memory, for tests and the TUI's clipboard.
public struct MemoryOutput: ExportOutput {
    public private(set) var bytes: [UInt8] = []
    public init() {}
    public var text: String { String(decoding: bytes, as: UTF8.self) }
    public mutating func write(_ b: [UInt8]) throws(ExportError) { bytes += b }
    public mutating func write(_ t: String) throws(ExportError) { bytes += Array(t.utf8) }
    public mutating func flush() throws(ExportError) {}
}
