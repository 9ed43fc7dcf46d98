import HooktopCore
import HooktopStore

/// The capture server's sink on whichever store the daemon writes.
public struct StoreSink: CaptureSink {
    public let writer: any StoreWriting

    public init(_ writer: any StoreWriting) { self.writer = writer }

    public func store(_ request: consuming CapturedRequest, completion: @escaping StoreWriter.Completion) {
        writer.submit(request, completion: completion)
    }
}
