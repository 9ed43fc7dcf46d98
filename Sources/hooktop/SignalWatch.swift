import CSignalPipe
import Foundation

/// Signals turned into calls on a thread of their own, instead of the
/// default death. The handler is in place when `on` returns (sigaction, not
/// a dispatch source that registers later), so a signal sent after that is
/// never lost: a test or a script that sends SIGTERM as soon as it has read
/// the listening line gets a clean stop.
enum SignalWatch {
    /// Calls `handler` for each of `signals` until the subscription is
    /// cancelled; a cancelled signal is still caught, and does nothing.
    static func on(_ signals: [Int32], _ handler: @escaping @Sendable () -> Void) throws -> [Subscription] {
        try signals.map { try Registry.shared.add(signal: $0, handler) }
    }

    struct Subscription {
        fileprivate let signal: Int32
        fileprivate let id: Int

        func cancel() { Registry.shared.remove(self) }
    }

    private final class Registry: @unchecked Sendable {
        static let shared = Registry()
        private let lock = NSLock()
        private var handlers: [Int32: [Int: @Sendable () -> Void]] = [:]
        private var nextID = 0
        private var reader: Thread?

        func add(signal: Int32, _ handler: @escaping @Sendable () -> Void) throws -> Subscription {
            let error = hk_signal_watch(signal)
            guard error == 0 else {
                throw CLIError("cannot watch signal \(signal): \(String(cString: strerror(error)))")
            }
            return lock.withLock {
                nextID += 1
                handlers[signal, default: [:]][nextID] = handler
                if reader == nil {
                    let thread = Thread { [unowned self] in self.deliver() }
                    thread.name = "hooktop-signals"
                    thread.start()
                    reader = thread
                }
                return Subscription(signal: signal, id: nextID)
            }
        }

        func remove(_ subscription: Subscription) {
            lock.withLock { _ = handlers[subscription.signal]?.removeValue(forKey: subscription.id) }
        }

        private func deliver() {
            while case let signal = hk_signal_next(), signal >= 0 {
                let due = lock.withLock { handlers[signal].map { Array($0.values) } ?? [] }
                due.forEach { $0() }
            }
        }
    }
}
