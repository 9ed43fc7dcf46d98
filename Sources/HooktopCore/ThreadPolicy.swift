#if canImport(Glibc)
import Glibc
#endif

/// How the daemon's busy threads are scheduled: the one place that says so.
///
/// Capture is a chain of threads handing work to each other: the event
/// loops queue requests for the commit thread, which wakes the loops to
/// answer, while the checkpointer copies the WAL beside them. Under Linux's
/// default policy each hand-off's wake-up preempts the thread that made it:
/// the commit thread, waking a loop with a batch's answers, stopped
/// mid-batch for it, and the loops were preempted every thirty requests or
/// so by the threads they had woken. `SCHED_BATCH` (sched(7)) is the policy
/// for exactly this — throughput work that should not preempt its own
/// threads on wake-up — and needs no privilege. Measured under wrk
/// (`Benchmarks/compare.sh`, docs/PERFORMANCE.md, session 15): +5.8 % ± 2.3
/// and +7.6 % ± 2.2 in rate, 2.4–3.5 µs less CPU a request, with the loops,
/// the commit thread and the checkpointer all under it (one of them alone:
/// within noise).
public enum ThreadPolicy {
    /// SCHED_BATCH, from linux/sched.h (glibc names it only under _GNU_SOURCE, which Swift does not import).
    private static let batch: Int32 = 3

    /// Schedules the calling thread as throughput work. Best effort: where
    /// the policy does not exist or is refused, the thread keeps the default.
    /// Returns whether it was set.
    @discardableResult
    public static func throughput() -> Bool {
        #if os(Linux)
        var parameters = sched_param(sched_priority: 0)
        return sched_setscheduler(0, batch, &parameters) == 0  // 0: the calling thread
        #else
        return false
        #endif
    }

    /// Whether the calling thread is scheduled as throughput work.
    public static var isThroughput: Bool {
        #if os(Linux)
        return sched_getscheduler(0) == batch
        #else
        return false
        #endif
    }
}
