#define _GNU_SOURCE
#include <sched.h>
#include "thread_affinity.h"

#ifdef __linux__
int hk_allowed_cpus(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    return CPU_COUNT(&set);
}

int hk_bind_to_allowed_cpu(int index) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (index < 0 || sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    for (int cpu = 0, seen = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, &set)) continue;
        if (seen++ < index) continue;
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        return sched_setaffinity(0, sizeof one, &one) == 0 ? 0 : -1;
    }
    return -1;
}
#else
int hk_allowed_cpus(void) { return -1; }
int hk_bind_to_allowed_cpu(int index) { (void)index; return -1; }
#endif
