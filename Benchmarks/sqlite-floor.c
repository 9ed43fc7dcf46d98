// SQLite alone: what the durable insert of the benchmark's request costs
// with no hooktop around it, on this machine. The same table (the schema of
// a database hooktop made), the same row (1 KiB body, the same headers), in
// batches like the writer's, WAL, synchronous=NORMAL, SQLite's own
// automatic checkpoints; parameters bound without copies. Prints the CPU
// microseconds per row: the floor under `hooktop serve`'s writer and
// checkpointer. Linked with the SQLite hooktop runs (sqlite-nio's
// amalgamation, as `swift build -c release` compiled it), as run.sh does:
//
//   cc -O2 -I Sources/CSQLite/include -I .build/checkouts/sqlite-nio/Sources/VaporCSQLite/include \
//      Benchmarks/sqlite-floor.c .build/release/VaporCSQLite.build/sqlite_nio_sqlite3.c.o -lpthread -lm -o sqlite-floor
//   sqlite-floor SCHEMA.sql NEW.sqlite [rows=100000] [batch=12]
#include "csqlite.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int fail(sqlite3 *db, const char *what) {
    fprintf(stderr, "sqlite-floor: %s: %s\n", what, sqlite3_errmsg(db));
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: sqlite-floor SCHEMA.sql NEW.sqlite [rows] [batch]\n"); return 64; }
    long rows = argc > 3 ? atol(argv[3]) : 100000;
    long batch = argc > 4 ? atol(argv[4]) : 12;
    if (rows < 1 || batch < 1) { fprintf(stderr, "sqlite-floor: rows and batch must be positive\n"); return 64; }

    FILE *f = fopen(argv[1], "r");
    if (!f) { perror(argv[1]); return 1; }
    static char schema[1 << 16];
    size_t n = fread(schema, 1, sizeof schema - 1, f);
    fclose(f);
    schema[n] = 0;

    sqlite3 *db;
    if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, 0) != SQLITE_OK) return fail(db, "open");
    if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", 0, 0, 0) != SQLITE_OK) return fail(db, "pragmas");
    if (sqlite3_exec(db, schema, 0, 0, 0) != SQLITE_OK) return fail(db, "schema");

    const char *sql =
        "INSERT INTO requests (received_at, remote, method, target, version, headers, body, body_size, body_truncated,"
        " sig_scheme, sig_status, sig_detail, response_status, response_headers, response_body, response_duration_us,"
        " delivery_id, delivery_key, node) VALUES (?, ?, 'POST', '/stripe/events', 'HTTP/1.1', ?, ?, 1024, 0, 'stripe', 'no_secret', ?,"
        " 200, ?, ?, 7, ?, ?, NULL)";
    sqlite3_stmt *insert;
    if (sqlite3_prepare_v2(db, sql, -1, &insert, 0) != SQLITE_OK) return fail(db, "prepare");
    const char *headers = "Host: 127.0.0.1:40000\r\nContent-Length: 1024\r\nContent-Type: application/json\r\n"
        "Stripe-Signature: t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd\r\n";
    const char *detail = "Stripe-Signature came, but no secret is configured; set secret or secret_env in a [[source]] matching this path";
    const char *response_headers = "Content-Type: application/json\r\nContent-Length: 11\r\n";
    char body[1024];
    memset(body, 'x', sizeof body);

    double start = cpu_seconds();
    for (long i = 0; i < rows;) {
        if (sqlite3_exec(db, "BEGIN", 0, 0, 0) != SQLITE_OK) return fail(db, "begin");
        for (long k = 0; k < batch && i < rows; k++, i++) {
            sqlite3_bind_int64(insert, 1, 1700000000000000LL + i);
            sqlite3_bind_text(insert, 2, "127.0.0.1:51234", -1, SQLITE_STATIC);
            sqlite3_bind_text(insert, 3, headers, -1, SQLITE_STATIC);
            sqlite3_bind_blob(insert, 4, body, sizeof body, SQLITE_STATIC);
            sqlite3_bind_text(insert, 5, detail, -1, SQLITE_STATIC);
            sqlite3_bind_text(insert, 6, response_headers, -1, SQLITE_STATIC);
            sqlite3_bind_blob(insert, 7, "{\"ok\":true}", 11, SQLITE_STATIC);
            sqlite3_bind_text(insert, 8, "evt_1NXxd2KZ0dZRqLEK1ASxV0", -1, SQLITE_STATIC);
            sqlite3_bind_int64(insert, 9, 7855154314381758417LL);  // its delivery_key (RequestRows.deliveryKey)
            if (sqlite3_step(insert) != SQLITE_DONE) return fail(db, "insert");
            sqlite3_reset(insert);
        }
        if (sqlite3_exec(db, "COMMIT", 0, 0, 0) != SQLITE_OK) return fail(db, "commit");
    }
    printf("sqlite alone: %.1f us of CPU a row (%ld rows in batches of %ld)\n", (cpu_seconds() - start) / rows * 1e6, rows, batch);
    sqlite3_finalize(insert);
    sqlite3_close(db);
    return 0;
}
