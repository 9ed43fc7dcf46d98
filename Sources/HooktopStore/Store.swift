import Foundation

/// Where the database lives and how hard it tries to keep commits.
public struct StoreConfiguration: Sendable {
    public enum Durability: String, Sendable, CaseIterable {
        /// WAL with `synchronous=NORMAL`: a commit survives the process being
        /// killed (`kill -9`), the last commits may be lost on power failure.
        case normal
        /// WAL with `synchronous=FULL`: the WAL is fsynced at every commit
        /// (every group-commit batch), so a commit survives power loss.
        case full
    }

    public var path: String
    public var durability: Durability
    /// Recorded on every request this writer captures (`serve --node`).
    public var node: String?

    public init(path: String, durability: Durability = .normal, node: String? = nil) {
        self.path = path
        self.durability = durability
        self.node = node
    }
}

/// Opens the database: the only code that does. Creates its folder (0700)
/// and file (0600) on first use and applies migrations.
public enum Store {
    /// Opens (creating if needed) for the capture daemon's writer.
    static func openForWriting(_ config: StoreConfiguration) throws(StoreError) -> SQLiteConnection {
        try createIfMissing(config.path)
        let db = try SQLiteConnection(path: config.path, readOnly: false, bufferedWAL: true)
        // A new file gives pruned space back to the file system (incremental vacuum: `StorePruner`, retention);
        // this can only be chosen before the first table exists.
        if try db.scalarInt("PRAGMA page_count") == 0 { try db.execute("PRAGMA auto_vacuum=INCREMENTAL") }
        try configure(db, durability: config.durability)
        try Migrations.apply(to: db)
        return db
    }

    /// Removes a database this process created and then could not use (a
    /// `serve` whose port was taken, an import that stored nothing), so a
    /// failed command leaves no empty database behind.
    public static func remove(_ path: String) {
        for suffix in ["", "-wal", "-shm"] { unlink(path + suffix) }
    }

    /// Opens an existing database; a missing file is an error, not a new database.
    static func openExisting(_ path: String) throws(StoreError) -> SQLiteConnection {
        guard FileManager.default.fileExists(atPath: path) else { throw .notFound(path) }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw .cannotOpen(path, "permission denied")
        }
        let db = try SQLiteConnection(path: path, readOnly: false)
        try configure(db, durability: .normal)
        try Migrations.apply(to: db)
        return db
    }

    private static func configure(_ db: SQLiteConnection, durability: StoreConfiguration.Durability) throws(StoreError) {
        do {
            try db.execute("PRAGMA journal_mode=WAL", context: "enabling WAL")
        } catch {
            throw .cannotOpen(db.path, "not a hooktop database, or unreadable (\(error))")
        }
        try db.execute("PRAGMA synchronous=\(durability == .full ? "FULL" : "NORMAL")")
        try db.execute("PRAGMA foreign_keys=ON")
        SQLFunctions.register(on: db.handle)
    }

    private static func createIfMissing(_ path: String) throws(StoreError) {
        let fm = FileManager.default
        if fm.fileExists(atPath: path) { return }
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty, !fm.fileExists(atPath: dir) {
            do {
                try fm.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                       attributes: [.posixPermissions: 0o700])
            } catch {
                throw .cannotOpen(path, "cannot create folder \(dir): \(error.localizedDescription)")
            }
        }
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if fd < 0 {
            if errno == EEXIST { return }
            throw .cannotOpen(path, String(cString: strerror(errno)))
        }
        close(fd)
    }
}
