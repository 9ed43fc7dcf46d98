import NIOConcurrencyHelpers
import NIOCore

/// Work handed to an event loop from another thread (the store writer's
/// commit completions), delivered in one wake-up per batch instead of one
/// per request: the first job posted to an empty box schedules a drain, the
/// rest ride along with it.
final class LoopMailbox: @unchecked Sendable {
    private let loop: any EventLoop
    private let jobs = NIOLockedValueBox<[@Sendable () -> Void]>([])

    init(loop: any EventLoop) { self.loop = loop }

    func post(_ job: @escaping @Sendable () -> Void) {
        let first = jobs.withLockedValue { jobs in
            jobs.append(job)
            return jobs.count == 1
        }
        if first { loop.execute { self.drain() } }
    }

    private func drain() {
        let batch = jobs.withLockedValue { jobs in
            defer { jobs.removeAll(keepingCapacity: true) }
            return jobs
        }
        for job in batch { job() }
    }
}

/// One mailbox per event loop of a server.
final class LoopMailboxes: Sendable {
    private let boxes = NIOLockedValueBox<[ObjectIdentifier: LoopMailbox]>([:])

    func mailbox(for loop: any EventLoop) -> LoopMailbox {
        boxes.withLockedValue { boxes in
            if let box = boxes[ObjectIdentifier(loop)] { return box }
            let box = LoopMailbox(loop: loop)
            boxes[ObjectIdentifier(loop)] = box
            return box
        }
    }
}
