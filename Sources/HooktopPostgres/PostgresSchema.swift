import HooktopStore
import PostgresNIO

/// The PostgreSQL schema, as named steps applied in order, each in its own
/// transaction under an advisory lock (two daemons starting at once apply
/// each step once). A step that has shipped is never edited: append one.
enum PostgresSchema {
    /// Held for every transaction that inserts requests, by every daemon:
    /// ids are then given out in commit order, so a reader that has seen id N
    /// never later finds a smaller id appear (the dashboard tails by id).
    static let insertLock: Int64 = 0x686F6F6B746F70    // "hooktop"
    static let migrationLock: Int64 = 0x686F6F6B6D6967  // "hookmig"
    /// How much of a body the trigram index covers (`0002_body_search`).
    static let bodyIndexHead = 262_144
    /// NOTIFY channel: every commit that changes requests signals it.
    static let channel = "hooktop_changes"

    static let all: [(name: String, statements: [String])] = [
        ("0001_requests", [
            """
            CREATE TABLE requests (
                id BIGSERIAL PRIMARY KEY,
                node TEXT,                              -- the daemon that captured it
                received_at BIGINT NOT NULL,            -- microseconds since 1970, UTC
                remote TEXT NOT NULL,
                method TEXT NOT NULL,
                target TEXT NOT NULL,
                version TEXT NOT NULL,
                headers TEXT NOT NULL,                  -- wire form, "Name: value\\r\\n" per field
                body BYTEA NOT NULL,
                body_size BIGINT NOT NULL,
                body_truncated BOOLEAN NOT NULL,
                source TEXT,
                sig_scheme TEXT,
                sig_status TEXT NOT NULL DEFAULT 'none',
                sig_detail TEXT,
                response_status INTEGER NOT NULL,
                response_headers TEXT NOT NULL,
                response_body BYTEA NOT NULL,
                response_duration_us BIGINT NOT NULL,
                delivery_state TEXT NOT NULL DEFAULT 'none',
                delivery_id TEXT,
                target_url TEXT,
                next_attempt_at BIGINT,                 -- due time, or when the lease of an attempt under way ends
                leased_by INTEGER,                      -- pid of the process delivering it ...
                leased_node TEXT,                       -- ... on this node
                scheduled_attempts INTEGER NOT NULL DEFAULT 0,
                delivery_note TEXT,
                error TEXT,
                trailers TEXT,
                label TEXT,
                expect_arrival TEXT
            )
            """,
            "CREATE INDEX requests_received_at ON requests(received_at)",
            "CREATE INDEX requests_delivery_id ON requests(delivery_id, id) WHERE delivery_id IS NOT NULL",
            "CREATE INDEX requests_source ON requests(source) WHERE source IS NOT NULL",
            "CREATE INDEX requests_due ON requests(next_attempt_at) WHERE delivery_state IN ('pending', 'retrying')",
            "CREATE INDEX requests_bad_signatures ON requests(sig_status) WHERE sig_status IN ('invalid', 'expired')",
            "CREATE INDEX requests_failing ON requests(delivery_state) WHERE delivery_state IN ('failed', 'retrying')",
            "CREATE INDEX requests_label ON requests(label) WHERE label IS NOT NULL",
            """
            CREATE TABLE deliveries (
                id BIGSERIAL PRIMARY KEY,
                request_id BIGINT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
                attempt INTEGER NOT NULL,
                kind TEXT NOT NULL,
                url TEXT NOT NULL,
                started_at BIGINT NOT NULL,
                duration_us BIGINT NOT NULL,
                status INTEGER,
                error TEXT,
                response_headers TEXT,
                response_body BYTEA
            )
            """,
            "CREATE INDEX deliveries_request ON deliveries(request_id, attempt)",
            """
            CREATE TABLE alerts (
                id BIGSERIAL PRIMARY KEY,
                at BIGINT NOT NULL,
                kind TEXT NOT NULL,
                request_id BIGINT,
                source TEXT,
                message TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE expectations (
                id BIGSERIAL PRIMARY KEY,
                token TEXT NOT NULL UNIQUE,
                label TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                deadline BIGINT,
                url TEXT NOT NULL,
                overdue_alerted BOOLEAN NOT NULL DEFAULT false
            )
            """,
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            // The filter's functions, with the semantics of the SQLite ones (SQLFunctions):
            // ASCII case folding only ("C" collation), headers in their wire form.
            """
            CREATE FUNCTION hooktop_ascii_lower(b bytea) RETURNS bytea LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$ SELECT decode(lower(encode(b, 'escape') COLLATE "C"), 'escape') $$
            """,
            """
            CREATE FUNCTION hooktop_icontains(haystack bytea, needle bytea) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$ SELECT position(needle IN hooktop_ascii_lower(haystack)) > 0 $$
            """,
            """
            CREATE FUNCTION hooktop_header(headers text, name text, value text) RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
            AS $$
              SELECT EXISTS (
                SELECT 1 FROM unnest(string_to_array(headers, E'\\r\\n')) AS line
                WHERE strpos(line, ':') > 0
                  AND lower(split_part(line, ':', 1) COLLATE "C") = lower(name COLLATE "C")
                  AND (value IS NULL OR strpos(
                        lower(substr(line, strpos(line, ':') + CASE WHEN substr(line, strpos(line, ':') + 1, 1) = ' ' THEN 2 ELSE 1 END) COLLATE "C"),
                        lower(value COLLATE "C")) > 0))
            $$
            """,
        ]),
        // `~b` at a million rows: a trigram index over the body's first 256 KiB
        // in PostgreSQL's escape form (bytes as ASCII text) narrows the
        // candidates before the exact byte search; longer bodies are found
        // through their own small index and searched whole (PostgresFilterSQL).
        // The head keeps one large body from costing the index (or, escaped
        // past PostgreSQL's 1 GB value limit, failing its batch).
        ("0002_body_search", [
            "CREATE EXTENSION IF NOT EXISTS pg_trgm",
            """
            CREATE FUNCTION hooktop_body_text(b bytea) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
            AS $$ SELECT encode(substring(b from 1 for \(bodyIndexHead)), 'escape') $$
            """,
            "CREATE INDEX requests_body_trgm ON requests USING gin (hooktop_body_text(body) gin_trgm_ops)",
            "CREATE INDEX requests_long_bodies ON requests (id) WHERE octet_length(body) > \(bodyIndexHead)",
            // Without it the planner guesses a third of the rows are long, costs the
            // search as a scan of all of them and compiles it (JIT): 0.8-1.3 s instead of 0.1.
            "CREATE STATISTICS requests_body_length ON (octet_length(body)) FROM requests",
        ]),
    ]

    /// Applies the steps this database has not seen.
    static func apply(on db: PGConnection) throws(StoreError) {
        try locked(db, context: "creating the migrations table") { () throws(StoreError) in
            try db.query("CREATE TABLE IF NOT EXISTS hooktop_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                         context: "creating the migrations table")
        }
        let applied = try appliedNames(db)
        let known = Set(all.map(\.name))
        if let unknown = applied.first(where: { !known.contains($0) }) {
            throw .schemaTooNew(db.location.description, unknown)
        }
        for step in all where !applied.contains(step.name) {
            try locked(db, context: "migration \(step.name)") { () throws(StoreError) in
                // Another daemon may have applied it while we waited for the lock.
                guard try !appliedNames(db).contains(step.name) else { return }
                for sql in step.statements { try db.query(sql, context: "migration \(step.name)") }
                var name = PostgresBindings()
                name.append(step.name)
                try db.query("INSERT INTO hooktop_migrations(name) VALUES ($1)", name, context: "migration \(step.name)")
            }
        }
    }

    /// One transaction holding the migration lock: daemons starting at once take turns.
    private static func locked(_ db: PGConnection, context: String, _ body: () throws(StoreError) -> Void) throws(StoreError) {
        try db.query("BEGIN", context: context)
        do throws(StoreError) {
            var lock = PostgresBindings()
            lock.append(migrationLock)
            try db.query("SELECT pg_advisory_xact_lock($1)", lock, context: context)
            try body()
            try db.query("COMMIT", context: context)
        } catch {
            _ = try? db.query("ROLLBACK", context: context)
            throw error
        }
    }

    private static func appliedNames(_ db: PGConnection) throws(StoreError) -> Set<String> {
        Set(try db.query("SELECT name FROM hooktop_migrations", context: "reading migrations").compactMap { PGRow($0).text(0) })
    }
}
