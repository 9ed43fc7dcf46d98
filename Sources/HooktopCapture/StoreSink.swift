import HooktopCore
import HooktopStore

extension StoreWriter: CaptureSink {
    public func store(_ request: CapturedRequest, completion: @escaping @Sendable (Result<Int64, any Error>) -> Void) {
        submit(request) { result in completion(result.mapError { $0 }) }
    }
}
