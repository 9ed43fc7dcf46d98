// The store writer's VFS: SQLite's default one, except that a WAL's appends
// are gathered and written with one call when a commit's last frame is in.
//
// SQLite writes each WAL frame with two calls (its 24-byte header, then the
// page), so a batch of 25 requests cost about 26 pwrite calls, three
// quarters of its COMMIT (docs/PERFORMANCE.md, session 11). Correctness:
// - A commit's frames are written before that write returns, so a COMMIT
//   that returned is in the page cache (kill -9 loses nothing
//   acknowledged), and a failed write fails the COMMIT.
// - Readers learn of new frames only from the wal-index, which SQLite
//   updates after the frames are written; anything else that touches the
//   file (read, sync, truncate, size, file control, close) writes what is
//   gathered first.
// - Only the writer's connection uses it; the file is opened, locked and
//   closed by the default VFS underneath (no descriptor of our own).
#include "wal_buffer.h"
#include "csqlite.h"
#include <stdlib.h>
#include <string.h>

// Under 128 KiB: the unix VFS masks a write's length to 17 bits (seekAndWriteFd).
#define CAP (64 * 1024)

typedef struct {
    sqlite3_file base;
    sqlite3_file *real;
    int wal;
    unsigned char *buf;
    int n;
    sqlite3_int64 start;
    int commitPending;
} BufFile;

static sqlite3_vfs *root;
static sqlite3_vfs vfs;
static sqlite3_io_methods methods;

static int flush(BufFile *p) {
    if (p->n == 0) return SQLITE_OK;
    int rc = p->real->pMethods->xWrite(p->real, p->buf, p->n, p->start);
    p->n = 0;
    return rc;
}

static int xClose(sqlite3_file *f) {
    BufFile *p = (BufFile *)f;
    int rc = flush(p);
    int rc2 = p->real->pMethods->xClose(p->real);
    free(p->buf);
    p->buf = 0;
    return rc != SQLITE_OK ? rc : rc2;
}
static int xRead(sqlite3_file *f, void *b, int amt, sqlite3_int64 off) {
    BufFile *p = (BufFile *)f;
    int rc = flush(p);
    if (rc != SQLITE_OK) return rc;
    return p->real->pMethods->xRead(p->real, b, amt, off);
}
static int xWrite(sqlite3_file *f, const void *b, int amt, sqlite3_int64 off) {
    BufFile *p = (BufFile *)f;
    if (!p->wal) return p->real->pMethods->xWrite(p->real, b, amt, off);
    if (p->n > 0 && off == p->start + p->n && p->n + amt <= CAP) {
        memcpy(p->buf + p->n, b, amt);
        p->n += amt;
    } else {
        int rc = flush(p);
        if (rc != SQLITE_OK) return rc;
        if (amt > CAP) return p->real->pMethods->xWrite(p->real, b, amt, off);
        if (!p->buf) { p->buf = malloc(CAP); if (!p->buf) return p->real->pMethods->xWrite(p->real, b, amt, off); }
        memcpy(p->buf, b, amt);
        p->n = amt;
        p->start = off;
    }
    if (amt == 24 && off >= 32) {
        // A frame header: bytes 4..7 are the database size after a commit, 0 for other frames.
        const unsigned char *h = b;
        p->commitPending = (h[4] | h[5] | h[6] | h[7]) != 0;
        return SQLITE_OK;
    }
    if (p->commitPending) {  // the commit frame's page: the transaction's frames go out now
        p->commitPending = 0;
        return flush(p);
    }
    return SQLITE_OK;
}
static int xTruncate(sqlite3_file *f, sqlite3_int64 size) {
    BufFile *p = (BufFile *)f; int rc = flush(p); if (rc) return rc;
    return p->real->pMethods->xTruncate(p->real, size);
}
static int xSync(sqlite3_file *f, int flags) {
    BufFile *p = (BufFile *)f; int rc = flush(p); if (rc) return rc;
    return p->real->pMethods->xSync(p->real, flags);
}
static int xFileSize(sqlite3_file *f, sqlite3_int64 *size) {
    BufFile *p = (BufFile *)f; int rc = flush(p); if (rc) return rc;
    return p->real->pMethods->xFileSize(p->real, size);
}
static int xLock(sqlite3_file *f, int l) { BufFile *p = (BufFile *)f; return p->real->pMethods->xLock(p->real, l); }
static int xUnlock(sqlite3_file *f, int l) { BufFile *p = (BufFile *)f; return p->real->pMethods->xUnlock(p->real, l); }
static int xCheckReservedLock(sqlite3_file *f, int *r) { BufFile *p = (BufFile *)f; return p->real->pMethods->xCheckReservedLock(p->real, r); }
static int xFileControl(sqlite3_file *f, int op, void *arg) {
    BufFile *p = (BufFile *)f; int rc = flush(p); if (rc) return rc;
    return p->real->pMethods->xFileControl(p->real, op, arg);
}
static int xSectorSize(sqlite3_file *f) { BufFile *p = (BufFile *)f; return p->real->pMethods->xSectorSize(p->real); }
static int xDeviceCharacteristics(sqlite3_file *f) { BufFile *p = (BufFile *)f; return p->real->pMethods->xDeviceCharacteristics(p->real); }
static int xShmMap(sqlite3_file *f, int i, int sz, int e, void volatile **pp) { BufFile *p = (BufFile *)f; return p->real->pMethods->xShmMap(p->real, i, sz, e, pp); }
static int xShmLock(sqlite3_file *f, int o, int n, int fl) { BufFile *p = (BufFile *)f; return p->real->pMethods->xShmLock(p->real, o, n, fl); }
static void xShmBarrier(sqlite3_file *f) { BufFile *p = (BufFile *)f; p->real->pMethods->xShmBarrier(p->real); }
static int xShmUnmap(sqlite3_file *f, int d) { BufFile *p = (BufFile *)f; return p->real->pMethods->xShmUnmap(p->real, d); }
static int xFetch(sqlite3_file *f, sqlite3_int64 off, int amt, void **pp) {
    BufFile *p = (BufFile *)f; int rc = flush(p); if (rc) return rc;
    return p->real->pMethods->xFetch(p->real, off, amt, pp);
}
static int xUnfetch(sqlite3_file *f, sqlite3_int64 off, void *pp) { BufFile *p = (BufFile *)f; return p->real->pMethods->xUnfetch(p->real, off, pp); }

static int xOpen(sqlite3_vfs *v, const char *name, sqlite3_file *f, int flags, int *outFlags) {
    (void)v;
    BufFile *p = (BufFile *)f;
    memset(p, 0, sizeof(BufFile));
    p->real = (sqlite3_file *)&p[1];
    int rc = root->xOpen(root, name, p->real, flags, outFlags);
    if (rc != SQLITE_OK || p->real->pMethods == 0) { p->base.pMethods = 0; return rc; }
    p->wal = (flags & SQLITE_OPEN_WAL) != 0;
    methods.iVersion = p->real->pMethods->iVersion;
    p->base.pMethods = &methods;
    return rc;
}

int hooktop_walbuf_register(void) {
    if (root) return SQLITE_OK;
    root = sqlite3_vfs_find(0);
    if (!root) return SQLITE_ERROR;
    vfs = *root;
    vfs.zName = "hooktop-walbuf";
    vfs.szOsFile = (int)sizeof(BufFile) + root->szOsFile;
    vfs.xOpen = xOpen;
    vfs.pNext = 0;
    methods = (sqlite3_io_methods){3, xClose, xRead, xWrite, xTruncate, xSync, xFileSize, xLock, xUnlock, xCheckReservedLock,
        xFileControl, xSectorSize, xDeviceCharacteristics, xShmMap, xShmLock, xShmBarrier, xShmUnmap, xFetch, xUnfetch};
    return sqlite3_vfs_register(&vfs, 0);
}
