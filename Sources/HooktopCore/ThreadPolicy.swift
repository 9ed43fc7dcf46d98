#if canImport(Glibc)
import Glibc
#endif
import CThreadAffinity

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

    /// How many CPUs the calling thread may run on (its affinity, which a
    /// new thread inherits), or nil where that cannot be told.
    public static var allowedCPUs: Int? {
        let n = hk_allowed_cpus()
        return n > 0 ? Int(n) : nil
    }

    /// Whether `count` event loops are each bound to a CPU of their own:
    /// when there is one loop for each CPU the process may use (the
    /// default), and more than one. Otherwise the scheduler places them.
    ///
    /// Unbound, two loops on two cores shared with the commit thread, the
    /// checkpointer and the clients were at times queued on the same core
    /// while work waited on both; bound, each has a core to itself and the
    /// other threads move around them. Measured under wrk
    /// (`Benchmarks/compare.sh`, docs/PERFORMANCE.md, session 18).
    public static func bindsEventLoops(count: Int) -> Bool {
        count > 1 && allowedCPUs == count
    }

    /// Binds the calling thread to the `index`-th (from 0) CPU it may run
    /// on. Best effort: returns whether it was bound.
    @discardableResult
    public static func bind(toAllowedCPU index: Int) -> Bool {
        guard let index = Int32(exactly: index) else { return false }
        return hk_bind_to_allowed_cpu(index) == 0
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
