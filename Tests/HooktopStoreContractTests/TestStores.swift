import Foundation
import HooktopCore
@testable import HooktopPostgres
import HooktopStore
import HooktopTesting
import XCTest

/// A fresh, empty store of each kind for one test.
protocol StoreUnderTest: AnyObject {
    /// A store no test has touched; `node` is what its writers record.
    func makeBackend(node: String?) throws -> any StoreBackend
}

/// The PostgreSQL server the tests run against: `HOOKTOP_TEST_POSTGRES`
/// (`postgres://user@127.0.0.1:PORT/postgres`, a superuser; `.ci/run` starts
/// a throw-away cluster and sets it). Each test gets its own database,
/// dropped afterwards.
enum PostgresTestServer {
    static var adminURL: String? {
        ProcessInfo.processInfo.environment["HOOKTOP_TEST_POSTGRES"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static func require() throws -> String {
        guard let url = adminURL else {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail("CI must provide a PostgreSQL server (HOOKTOP_TEST_POSTGRES)") }
            throw XCTSkip("set HOOKTOP_TEST_POSTGRES=postgres://postgres@127.0.0.1:PORT/postgres (.ci/run starts a server and sets it)")
        }
        return url
    }

    static func admin() throws -> PGConnection {
        let url = try require()
        let location = try PostgresLocation.parse(url, environment: ProcessInfo.processInfo.environment).get()
        return try PGConnection(location, password: location.password(passwordEnv: nil, environment: ProcessInfo.processInfo.environment))
    }

    /// Creates an empty database; returns its URL.
    static func createDatabase() throws -> String {
        let name = "hooktop_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try admin()
        defer { admin.close() }
        try admin.query("CREATE DATABASE \(name)", context: "test setup")
        let url = try require()
        return String(url[..<url.lastIndex(of: "/")!]) + "/" + name
    }

    static func drop(_ url: String) {
        guard let admin = try? admin() else { return }
        defer { admin.close() }
        let name = url[url.index(after: url.lastIndex(of: "/")!)...]
        _ = try? admin.query("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", context: "test teardown")
    }
}

/// A tiny lock-protected value for test bookkeeping.
final class Mutex<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}

/// One file per test; every backend made in the test (another node) opens the same file.
final class SQLiteStores: StoreUnderTest {
    private let dir = TempDirectory("contract")
    func makeBackend(node: String?) throws -> any StoreBackend {
        SQLiteBackend(StoreConfiguration(path: dir.file("c.sqlite"), node: node))
    }
}

/// One database per test; every backend made in the test (another node) opens the same one.
final class PostgresStores: StoreUnderTest {
    private var url: String?

    func makeBackend(node: String?) throws -> any StoreBackend {
        if url == nil { url = try PostgresTestServer.createDatabase() }
        return try PostgresBackend(url: url!, passwordEnv: nil, node: node, environment: ProcessInfo.processInfo.environment)
    }

    deinit { url.map(PostgresTestServer.drop) }
}
