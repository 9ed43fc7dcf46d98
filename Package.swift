// swift-tools-version:6.0
import PackageDescription

// The capture path's modules (each request's decoding, classification and
// store insert) leave out Swift's run-time exclusivity checks in release
// builds: +5.2 % ± 1.4 capture rate, 1.7 µs less CPU a request
// (docs/PERFORMANCE.md, session 18). Debug builds, which `swift test`
// runs, keep every check, so a conflicting access on a tested path still
// traps there (docs/DECISIONS.md, session 18).
let capturePath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "hooktop",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "hooktop", targets: ["hooktop"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", exact: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", exact: "2.4.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", exact: "1.33.2"),
        // For the SQLite it vendors (its amalgamation, 3.54.1), built with the project.
        .package(url: "https://github.com/vapor/sqlite-nio.git", exact: "1.13.2"),
    ],
    targets: [
        // Values only: no I/O (and how the daemon's threads are scheduled).
        .target(name: "CThreadAffinity"),
        .target(name: "HooktopCore", dependencies: ["CThreadAffinity"], swiftSettings: capturePath),

        // The one façade over SQLite.
        // SQLite itself comes from sqlite-nio's vendored amalgamation (its C
        // module, reached through its product); CSQLite gives it its usual names.
        .target(name: "CSQLite", dependencies: [.product(name: "SQLiteNIO", package: "sqlite-nio")]),
        .target(name: "CWALBuffer", dependencies: ["CSQLite"]),
        .target(name: "HooktopStore", dependencies: ["HooktopCore", "CSQLite", "CWALBuffer"], swiftSettings: capturePath),

        // The same store on PostgreSQL, for many daemons and one database.
        .target(name: "HooktopPostgres", dependencies: [
            "HooktopCore", "HooktopStore",
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
        ]),

        // One small file per provider scheme, behind one protocol; handshakes.
        .target(name: "HooktopSignatures", dependencies: [
            "HooktopCore",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // The delivery engine (a state machine), forwarding, the retry schedule,
        // replay; HTTP through a protocol it owns.
        .target(name: "HooktopDelivery", dependencies: [
            "HooktopCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ]),

        // config.toml: the TOML reader, the loader, and the Config it yields.
        .target(name: "HooktopConfig", dependencies: ["HooktopCore", "HooktopSignatures", "HooktopDelivery"]),

        // The delivery ledger and alerts on the store: what the daemon, replay and retry share.
        .target(name: "HooktopLedger", dependencies: [
            "HooktopCore", "HooktopStore", "HooktopDelivery",
            .product(name: "Logging", package: "swift-log"),
        ]),

        // HAR / NDJSON / curl / raw writers and importers.
        .target(name: "HooktopExport", dependencies: ["HooktopCore"]),

        // The dashboard: model, update, views into a cell grid, runtime. No curses here.
        .target(name: "HooktopTUI", dependencies: ["HooktopCore", "HooktopConfig", "HooktopStore", "HooktopExport"]),

        // The one terminal backend, over ncursesw.
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses"),
        .target(name: "HooktopCurses", dependencies: ["HooktopTUI", "CNcurses"]),

        // The NIO capture server.
        .target(name: "HooktopCapture", dependencies: [
            "HooktopCore", "HooktopConfig", "HooktopStore", "HooktopSignatures", "HooktopDelivery", "HooktopLedger",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOExtras", package: "swift-nio-extras"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "CoreMetrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ], swiftSettings: capturePath),

        .target(name: "CSignalPipe"),
        .executableTarget(name: "hooktop", dependencies: [
            "CSignalPipe", "HooktopCore", "HooktopConfig", "HooktopStore", "HooktopCapture", "HooktopSignatures", "HooktopExport",
            "HooktopDelivery", "HooktopLedger", "HooktopTUI", "HooktopCurses", "HooktopPostgres",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"),
        ]),

        // In-process measurements (Benchmarks/README.md).
        .executableTarget(name: "hooktop-bench", dependencies: [
            "HooktopCore", "HooktopStore", "HooktopPostgres", "HooktopExport", "HooktopTUI",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], path: "Benchmarks/HooktopBench"),

        // The bare NIO server that capture throughput is measured against (Benchmarks/run.sh).
        .executableTarget(name: "hooktop-baseline", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], path: "Benchmarks/Baseline"),

        // Shared fixtures and a tiny raw HTTP client for tests.
        .target(name: "HooktopTesting", dependencies: [
            "HooktopCore",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], path: "Tests/HooktopTesting"),

        .testTarget(name: "HooktopCoreTests", dependencies: ["HooktopCore", "HooktopTesting"]),
        .testTarget(name: "HooktopConfigTests", dependencies: ["HooktopConfig", "HooktopTesting"]),
        .testTarget(name: "HooktopSignaturesTests", dependencies: ["HooktopSignatures", "HooktopTesting"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "HooktopDeliveryTests", dependencies: [
            "HooktopDelivery", "HooktopTesting", .product(name: "Logging", package: "swift-log"), .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "HooktopTUITests", dependencies: ["HooktopTUI", "HooktopStore", "HooktopTesting"],
                    exclude: ["Snapshots"]),
        .testTarget(name: "HooktopExportTests", dependencies: ["HooktopExport", "HooktopTesting"]),
        .testTarget(name: "HooktopStoreTests", dependencies: ["HooktopStore", "HooktopTesting"]),
        // One contract, run on the SQLite file and on PostgreSQL.
        .testTarget(name: "HooktopStoreContractTests", dependencies: [
            "HooktopStore", "HooktopPostgres", "HooktopLedger", "HooktopTesting", .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        .testTarget(name: "HooktopCaptureTests", dependencies: [
            "HooktopCapture", "HooktopConfig", "HooktopStore", "HooktopSignatures", "HooktopTesting",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOEmbedded", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
        .testTarget(name: "hooktopTests", dependencies: [
            "hooktop", "HooktopStore", "HooktopTesting", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    ]
)
