import HooktopStore
import NIOConcurrencyHelpers
import NIOCore

/// The store writer's answers for one event loop's connections, delivered
/// in one wake-up per batch instead of one per request: the first answer
/// posted to an empty box schedules a drain, the rest ride along with it.
/// An answer is a value (which connection, what the store said), not a
/// closure made for each request on the writer's thread.
final class LoopMailbox: @unchecked Sendable {
    typealias Answer = (connection: NIOLoopBound<(CaptureHandler, ChannelHandlerContext)>, result: Result<Int64, StoreError>)

    private let loop: any EventLoop
    private let answers = NIOLockedValueBox<[Answer]>([])

    init(loop: any EventLoop) { self.loop = loop }

    func post(_ connection: NIOLoopBound<(CaptureHandler, ChannelHandlerContext)>, _ result: Result<Int64, StoreError>) {
        let first = answers.withLockedValue { answers in
            answers.append((connection, result))
            return answers.count == 1
        }
        if first { loop.execute { self.drain() } }
    }

    /// The drained answers' array, kept for the next drain (used on the loop only).
    private var draining: [Answer] = []

    private func drain() {
        answers.withLockedValue { swap(&$0, &draining) }
        for answer in draining {
            let (handler, context) = answer.connection.value
            handler.stored(answer.result, context: context)
        }
        draining.removeAll(keepingCapacity: true)
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
