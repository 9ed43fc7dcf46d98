import HooktopConfig
import NIOConcurrencyHelpers

/// The response policy every connection reads, swapped whole on reload
/// (SIGHUP): a request is classified and answered by the config in force
/// when it completes, and no connection is dropped.
final class PolicyBox: Sendable {
    private let box: NIOLockedValueBox<ResponsePolicy>

    init(_ policy: ResponsePolicy) { box = NIOLockedValueBox(policy) }

    var current: ResponsePolicy { box.withLockedValue { $0 } }

    /// The same policy with another config (sources, secrets, responses, targets).
    func reload(_ config: Config) {
        box.withLockedValue { $0.classifier.config = config }
    }
}
