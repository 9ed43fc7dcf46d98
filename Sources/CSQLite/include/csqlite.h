#ifndef HOOKTOP_CSQLITE_H
#define HOOKTOP_CSQLITE_H
// hooktop's one way into SQLite: the SQLite that sqlite-nio vendors (its
// amalgamation, built with the project, so every machine runs the same
// current SQLite whatever its distribution ships). That copy names its
// functions sqlite_nio_sqlite3_*; the wrappers below give them their usual
// names, for the Swift code and the C files of this project alike. Only what
// hooktop calls is here: a function missing below is one it never used.
// sqlite-nio builds it without global memory statistics
// (SQLITE_DEFAULT_MEMSTATUS=0: no process-wide mutex on every allocation),
// which hooktop used to switch off at start-up itself.
#include "sqlite_nio_sqlite3.h"
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CSQLITE_WRAP static inline __attribute__((always_inline))

CSQLITE_WRAP int sqlite3_open_v2(const char *filename, sqlite3 **db, int flags, const char *vfs) { return sqlite_nio_sqlite3_open_v2(filename, db, flags, vfs); }
CSQLITE_WRAP int sqlite3_close(sqlite3 *db) { return sqlite_nio_sqlite3_close(db); }
CSQLITE_WRAP int sqlite3_close_v2(sqlite3 *db) { return sqlite_nio_sqlite3_close_v2(db); }
CSQLITE_WRAP int sqlite3_busy_handler(sqlite3 *db, int (*handler)(void *, int), void *arg) { return sqlite_nio_sqlite3_busy_handler(db, handler, arg); }
CSQLITE_WRAP int sqlite3_exec(sqlite3 *db, const char *sql, int (*callback)(void *, int, char **, char **), void *arg, char **errmsg) {
    return sqlite_nio_sqlite3_exec(db, sql, callback, arg, errmsg);
}
CSQLITE_WRAP const char *sqlite3_errmsg(sqlite3 *db) { return sqlite_nio_sqlite3_errmsg(db); }
CSQLITE_WRAP const char *sqlite3_errstr(int rc) { return sqlite_nio_sqlite3_errstr(rc); }
CSQLITE_WRAP void sqlite3_free(void *p) { sqlite_nio_sqlite3_free(p); }
CSQLITE_WRAP sqlite3_int64 sqlite3_last_insert_rowid(sqlite3 *db) { return sqlite_nio_sqlite3_last_insert_rowid(db); }
CSQLITE_WRAP int sqlite3_changes(sqlite3 *db) { return sqlite_nio_sqlite3_changes(db); }
CSQLITE_WRAP int sqlite3_get_autocommit(sqlite3 *db) { return sqlite_nio_sqlite3_get_autocommit(db); }
CSQLITE_WRAP int sqlite3_db_status(sqlite3 *db, int op, int *current, int *highwater, int reset) {
    return sqlite_nio_sqlite3_db_status(db, op, current, highwater, reset);
}

CSQLITE_WRAP int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **stmt, const char **tail) {
    return sqlite_nio_sqlite3_prepare_v2(db, sql, n, stmt, tail);
}
CSQLITE_WRAP int sqlite3_prepare_v3(sqlite3 *db, const char *sql, int n, unsigned int flags, sqlite3_stmt **stmt, const char **tail) {
    return sqlite_nio_sqlite3_prepare_v3(db, sql, n, flags, stmt, tail);
}
CSQLITE_WRAP int sqlite3_step(sqlite3_stmt *s) { return sqlite_nio_sqlite3_step(s); }
CSQLITE_WRAP int sqlite3_reset(sqlite3_stmt *s) { return sqlite_nio_sqlite3_reset(s); }
CSQLITE_WRAP int sqlite3_finalize(sqlite3_stmt *s) { return sqlite_nio_sqlite3_finalize(s); }
CSQLITE_WRAP int sqlite3_stmt_status(sqlite3_stmt *s, int op, int resetFlag) { return sqlite_nio_sqlite3_stmt_status(s, op, resetFlag); }
CSQLITE_WRAP int sqlite3_bind_parameter_index(sqlite3_stmt *s, const char *name) { return sqlite_nio_sqlite3_bind_parameter_index(s, name); }
CSQLITE_WRAP int sqlite3_bind_null(sqlite3_stmt *s, int i) { return sqlite_nio_sqlite3_bind_null(s, i); }
CSQLITE_WRAP int sqlite3_bind_int64(sqlite3_stmt *s, int i, sqlite3_int64 v) { return sqlite_nio_sqlite3_bind_int64(s, i, v); }
CSQLITE_WRAP int sqlite3_bind_text(sqlite3_stmt *s, int i, const char *v, int n, void (*destructor)(void *)) {
    return sqlite_nio_sqlite3_bind_text(s, i, v, n, destructor);
}
CSQLITE_WRAP int sqlite3_bind_text64(sqlite3_stmt *s, int i, const char *v, sqlite3_uint64 n, void (*destructor)(void *), unsigned char encoding) {
    return sqlite_nio_sqlite3_bind_text64(s, i, v, n, destructor, encoding);
}
CSQLITE_WRAP int sqlite3_bind_blob(sqlite3_stmt *s, int i, const void *v, int n, void (*destructor)(void *)) {
    return sqlite_nio_sqlite3_bind_blob(s, i, v, n, destructor);
}
CSQLITE_WRAP int sqlite3_bind_blob64(sqlite3_stmt *s, int i, const void *v, sqlite3_uint64 n, void (*destructor)(void *)) {
    return sqlite_nio_sqlite3_bind_blob64(s, i, v, n, destructor);
}
CSQLITE_WRAP int sqlite3_column_type(sqlite3_stmt *s, int i) { return sqlite_nio_sqlite3_column_type(s, i); }
CSQLITE_WRAP sqlite3_int64 sqlite3_column_int64(sqlite3_stmt *s, int i) { return sqlite_nio_sqlite3_column_int64(s, i); }
CSQLITE_WRAP const unsigned char *sqlite3_column_text(sqlite3_stmt *s, int i) { return sqlite_nio_sqlite3_column_text(s, i); }
CSQLITE_WRAP const void *sqlite3_column_blob(sqlite3_stmt *s, int i) { return sqlite_nio_sqlite3_column_blob(s, i); }
CSQLITE_WRAP int sqlite3_column_bytes(sqlite3_stmt *s, int i) { return sqlite_nio_sqlite3_column_bytes(s, i); }

CSQLITE_WRAP int sqlite3_create_function_v2(sqlite3 *db, const char *name, int nArg, int textRep, void *app,
                                            void (*xFunc)(sqlite3_context *, int, sqlite3_value **),
                                            void (*xStep)(sqlite3_context *, int, sqlite3_value **),
                                            void (*xFinal)(sqlite3_context *), void (*xDestroy)(void *)) {
    return sqlite_nio_sqlite3_create_function_v2(db, name, nArg, textRep, app, xFunc, xStep, xFinal, xDestroy);
}
CSQLITE_WRAP int sqlite3_value_type(sqlite3_value *v) { return sqlite_nio_sqlite3_value_type(v); }
CSQLITE_WRAP int sqlite3_value_bytes(sqlite3_value *v) { return sqlite_nio_sqlite3_value_bytes(v); }
CSQLITE_WRAP const void *sqlite3_value_blob(sqlite3_value *v) { return sqlite_nio_sqlite3_value_blob(v); }
CSQLITE_WRAP const unsigned char *sqlite3_value_text(sqlite3_value *v) { return sqlite_nio_sqlite3_value_text(v); }
CSQLITE_WRAP void sqlite3_result_int(sqlite3_context *c, int v) { sqlite_nio_sqlite3_result_int(c, v); }
CSQLITE_WRAP void sqlite3_result_int64(sqlite3_context *c, sqlite3_int64 v) { sqlite_nio_sqlite3_result_int64(c, v); }
CSQLITE_WRAP void sqlite3_result_null(sqlite3_context *c) { sqlite_nio_sqlite3_result_null(c); }

CSQLITE_WRAP void *sqlite3_wal_hook(sqlite3 *db, int (*hook)(void *, sqlite3 *, const char *, int), void *arg) {
    return sqlite_nio_sqlite3_wal_hook(db, hook, arg);
}
CSQLITE_WRAP int sqlite3_wal_checkpoint_v2(sqlite3 *db, const char *name, int mode, int *log, int *copied) {
    return sqlite_nio_sqlite3_wal_checkpoint_v2(db, name, mode, log, copied);
}
CSQLITE_WRAP int sqlite3_file_control(sqlite3 *db, const char *name, int op, void *arg) { return sqlite_nio_sqlite3_file_control(db, name, op, arg); }
CSQLITE_WRAP sqlite3_vfs *sqlite3_vfs_find(const char *name) { return sqlite_nio_sqlite3_vfs_find(name); }
CSQLITE_WRAP int sqlite3_vfs_register(sqlite3_vfs *vfs, int makeDefault) { return sqlite_nio_sqlite3_vfs_register(vfs, makeDefault); }


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

// A connection that finds the database locked tries again every millisecond,
// `arg` times at most (about that many milliseconds). SQLite's own
// busy_timeout sleeps up to 100 ms between tries: a daemon's writer waiting
// behind a prune made of short transactions with short gaps between them
// could sleep through every gap, and answer 503 when its wait ran out.
static int csqlite_busy_wait(void *arg, int tries) {
    if (tries >= (int)(intptr_t)arg) return 0;
    struct timespec millisecond = {0, 1000000};
    nanosleep(&millisecond, 0);
    return 1;
}
static inline void csqlite_wait_when_busy(sqlite3 *db, int milliseconds) {
    sqlite3_busy_handler(db, csqlite_busy_wait, (void *)(intptr_t)milliseconds);
}


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

#endif
