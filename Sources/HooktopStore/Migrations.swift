/// The schema, as named steps applied in order. A step that has shipped is
/// never edited: change the schema by appending a new one.
enum Migrations {
    static let all: [(name: String, sql: String)] = [
        ("0001_requests", """
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            received_at INTEGER NOT NULL,          -- microseconds since 1970, UTC
            remote TEXT NOT NULL,
            method TEXT NOT NULL,
            target TEXT NOT NULL,
            version TEXT NOT NULL,
            headers TEXT NOT NULL,                 -- wire form, "Name: value\\r\\n" per field
            body BLOB NOT NULL,
            body_size INTEGER NOT NULL,
            body_truncated INTEGER NOT NULL,
            source TEXT,
            sig_scheme TEXT,
            sig_status TEXT NOT NULL DEFAULT 'none',
            sig_detail TEXT,
            response_status INTEGER NOT NULL,
            response_headers TEXT NOT NULL,
            response_body BLOB NOT NULL,
            response_duration_us INTEGER NOT NULL,
            delivery_state TEXT NOT NULL DEFAULT 'none'
        );
        CREATE INDEX requests_received_at ON requests(received_at);
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
            attempt INTEGER NOT NULL,
            kind TEXT NOT NULL,
            url TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            duration_us INTEGER NOT NULL,
            status INTEGER,
            error TEXT
        );
        CREATE INDEX deliveries_request ON deliveries(request_id, attempt);
        """),
        ("0002_delivery_ids", """
        ALTER TABLE requests ADD COLUMN delivery_id TEXT;
        CREATE INDEX requests_delivery_id ON requests(delivery_id) WHERE delivery_id IS NOT NULL;
        CREATE INDEX requests_source ON requests(source) WHERE source IS NOT NULL;
        """),
        ("0003_delivery_outbox", """
        ALTER TABLE requests ADD COLUMN target_url TEXT;
        ALTER TABLE requests ADD COLUMN next_attempt_at INTEGER;   -- due time, or the lease of an attempt under way
        ALTER TABLE requests ADD COLUMN leased_by INTEGER;         -- pid of the process delivering it
        ALTER TABLE requests ADD COLUMN scheduled_attempts INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE requests ADD COLUMN delivery_note TEXT;
        CREATE INDEX requests_due ON requests(next_attempt_at) WHERE delivery_state IN ('pending', 'retrying');
        ALTER TABLE deliveries ADD COLUMN response_headers TEXT;
        ALTER TABLE deliveries ADD COLUMN response_body BLOB;
        CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            kind TEXT NOT NULL,
            request_id INTEGER,
            source TEXT,
            message TEXT NOT NULL
        );
        """),
        ("0004_header_counts", """
        CREATE INDEX requests_bad_signatures ON requests(sig_status) WHERE sig_status IN ('invalid', 'expired');
        CREATE INDEX requests_failing ON requests(delivery_state) WHERE delivery_state IN ('failed', 'retrying');
        """),
        ("0005_broken_requests_and_trailers", """
        ALTER TABLE requests ADD COLUMN error TEXT;
        ALTER TABLE requests ADD COLUMN trailers TEXT;
        """),
        ("0006_expected_callbacks", """
        CREATE TABLE expectations (
            id INTEGER PRIMARY KEY,
            token TEXT NOT NULL UNIQUE,            -- the /cb/<token> of the callback URL
            label TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            deadline INTEGER,                      -- microseconds; NULL: no deadline
            url TEXT NOT NULL,
            overdue_alerted INTEGER NOT NULL DEFAULT 0
        );
        ALTER TABLE requests ADD COLUMN label TEXT;
        ALTER TABLE requests ADD COLUMN expect_arrival TEXT;   -- 'done' (by the deadline) or 'overdue'
        CREATE INDEX requests_label ON requests(label) WHERE label IS NOT NULL;
        """),
        ("0007_meta", """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);   -- e.g. listen: where the daemon last listened
        """),
        ("0008_node", """
        ALTER TABLE requests ADD COLUMN node TEXT;             -- the daemon that captured it (serve --node, else the host name)
        """),
        // An integer index instead of one on the text, the costliest part of a row's insert (docs/DECISIONS.md, session 15).
        ("0009_delivery_keys", """
        ALTER TABLE requests ADD COLUMN delivery_key INTEGER;  -- hooktop_delivery_key(delivery_id): what finds a provider's retries
        UPDATE requests SET delivery_key = hooktop_delivery_key(delivery_id) WHERE delivery_id IS NOT NULL;
        DROP INDEX requests_delivery_id;
        CREATE INDEX requests_delivery_key ON requests(delivery_key) WHERE delivery_key IS NOT NULL;
        """),
        // Duplicates stored with each request, found through keys added in bulk (DeliveryIndex; docs/DECISIONS.md, session 17).
        ("0010_duplicates_stored", """
        CREATE TABLE delivery_keys (
            key INTEGER NOT NULL,                              -- requests.delivery_key
            id INTEGER NOT NULL,                               -- requests.id
            PRIMARY KEY (key, id)
        ) WITHOUT ROWID;
        INSERT INTO delivery_keys SELECT delivery_key, id FROM requests WHERE delivery_key IS NOT NULL ORDER BY delivery_key, id;
        ALTER TABLE requests ADD COLUMN duplicate_of INTEGER;  -- the earliest request stored before it with its delivery id
        UPDATE requests SET duplicate_of = (SELECT min(o.id) FROM requests o WHERE o.delivery_key = requests.delivery_key
            AND o.delivery_id = requests.delivery_id AND o.id < requests.id) WHERE delivery_key IS NOT NULL;
        DROP INDEX requests_delivery_key;
        INSERT INTO meta (key, value) VALUES ('delivery_keys_through', (SELECT coalesce(max(id), 0) FROM requests))
            ON CONFLICT(key) DO UPDATE SET value = excluded.value;
        """),
    ]

    /// Applies the steps this database has not seen, each in its own transaction.
    static func apply(to db: SQLiteConnection) throws(StoreError) {
        try db.execute("""
            CREATE TABLE IF NOT EXISTS hooktop_migrations (
                name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)
            """, context: "creating the migrations table")
        let applied = try appliedNames(db)
        let known = Set(all.map(\.name))
        if let unknown = applied.first(where: { !known.contains($0) }) {
            throw .schemaTooNew(db.path, unknown)
        }
        for step in all where !applied.contains(step.name) {
            try db.transaction { () throws(StoreError) in
                // Another process may have applied it while we waited for the lock.
                guard try !appliedNames(db).contains(step.name) else { return }
                try db.execute(step.sql, context: "migration \(step.name)")
                try db.with("INSERT INTO hooktop_migrations(name, applied_at) VALUES (:name, strftime('%s','now'))") {
                    insert throws(StoreError) in
                    insert.bind(":name", step.name)
                    try insert.step()
                }
            }
        }
    }

    private static func appliedNames(_ db: SQLiteConnection) throws(StoreError) -> Set<String> {
        try db.with("SELECT name FROM hooktop_migrations") { stmt throws(StoreError) in
            var names = Set<String>()
            while try stmt.step() { if let n = stmt.text(Only.value) { names.insert(n) } }
            return names
        }
    }
}
