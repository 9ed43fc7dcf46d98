#ifndef HOOKTOP_THREAD_AFFINITY_H
#define HOOKTOP_THREAD_AFFINITY_H

// CPU affinity for the calling thread. glibc declares sched_getaffinity and
// its CPU_* macros only under _GNU_SOURCE, which Swift does not import.
// Both are best effort: a failure is a return value, never an abort.

/// How many CPUs the calling thread may run on, or -1 when it cannot be told.
int hk_allowed_cpus(void);

/// Binds the calling thread to the `index`-th (from 0) of the CPUs it may
/// run on now. 0 on success; -1 when there is no such CPU or the kernel refused.
int hk_bind_to_allowed_cpu(int index);

#endif
