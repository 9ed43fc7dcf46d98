#include <sqlite3.h>
#include <stddef.h>

// SQLITE_TRANSIENT is a macro cast that Swift cannot import.
static inline sqlite3_destructor_type csqlite_transient(void) { return SQLITE_TRANSIENT; }

// glibc's memmem is a GNU extension the Glibc module does not export.
extern void *memmem(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen);
static inline int csqlite_contains(const void *haystack, size_t haystacklen, const void *needle, size_t needlelen) {
    return memmem(haystack, haystacklen, needle, needlelen) != NULL;
}

// ASCII case-insensitive search; the needle must already be lower case.
static inline int csqlite_icontains(const unsigned char *h, size_t hl, const unsigned char *n, size_t nl) {
    if (nl == 0) return 1;
    if (hl < nl) return 0;
    unsigned char first = n[0];
    unsigned char firstUpper = (first >= 'a' && first <= 'z') ? first - 32 : first;
    for (size_t i = 0; i + nl <= hl; i++) {
        if (h[i] != first && h[i] != firstUpper) continue;
        size_t k = 1;
        for (; k < nl; k++) {
            unsigned char c = h[i + k];
            if (c >= 'A' && c <= 'Z') c += 32;
            if (c != n[k]) break;
        }
        if (k == nl) return 1;
    }
    return 0;
}

// The WAL's length in frames after each commit, written where `frames` points
// (the writer decides from it when to checkpoint, off its own thread).
static int csqlite_wal_frames_hook(void *frames, sqlite3 *db, const char *name, int count) {
    (void)db; (void)name;
    *(int *)frames = count;
    return SQLITE_OK;
}
static inline void csqlite_track_wal(sqlite3 *db, int *frames) { sqlite3_wal_hook(db, csqlite_wal_frames_hook, frames); }

// Before SQLite's first use: no global memory statistics (a process-wide mutex
// taken on every allocation; hooktop never reads them). Variadic, so not importable.
static inline int csqlite_disable_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }

// Writes back a connection's own database file or WAL through SQLite's VFS
// (its xSync on its own descriptor). Never through a descriptor of hooktop's:
// POSIX locks belong to the process and the file, and closing any descriptor
// of the database drops every lock the process holds on it.
static inline int csqlite_sync_file(sqlite3 *db, int wal) {
    sqlite3_file *file = 0;
    int rc = sqlite3_file_control(db, "main", wal ? SQLITE_FCNTL_JOURNAL_POINTER : SQLITE_FCNTL_FILE_POINTER, &file);
    if (rc != SQLITE_OK || file == 0 || file->pMethods == 0) return rc;
    return file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
}
