import Foundation
import HooktopCore
@testable import HooktopStore
import HooktopTesting
import XCTest

/// The SQL the store runs and the in-memory evaluator agree on every filter.
final class FilterSQLTests: XCTestCase {
    func testSQLAndEvaluatorAgree() throws {
        let dir = TempDirectory("filter")
        let path = dir.file("f.sqlite")
        let importer = try StoreImporter(StoreConfiguration(path: path))
        let now = Timestamp.now()
        var corpus: [CapturedRequest] = []
        let methods = ["GET", "POST", "put"], paths = ["/stripe/events", "/gh/hook?x=1", "/a[b]/c", "/"]
        for i in 0..<48 {
            var r = CapturedRequest(
                receivedAt: now.adding(microseconds: -Int64(i) * 60_000_000 - 30_000_000), remote: "127.0.0.1:1", method: methods[i % 3],
                target: paths[i % 4], headers: HeaderList([("X-GitHub-Event", i % 2 == 0 ? "push" : "Ping"), ("webhook-id", "msg_\(i % 5)")]),
                body: i % 6 == 0 ? Fixtures.allBytes : Array("body \(i) Hello".utf8),
                source: i % 4 == 0 ? "stripe" : nil,
                signature: SignatureResult(scheme: nil, status: SignatureStatus.allCases[i % 6], detail: nil),
                deliveryState: DeliveryState.allCases[i % 5])
            r.response.status = [200, 404, 503][i % 3]
            if i % 3 == 1 {
                r.label = i % 2 == 0 ? "job-42" : "clip 7"
                r.arrival = i % 5 == 0 ? .overdue : .done
            }
            if i % 7 == 0 {
                r.deliveries = [DeliveryAttempt(attempt: 1, kind: .forward, url: "u", startedAt: now, durationMicros: 1, status: 502, error: nil)]
            }
            r.id = try importer.add(r)
            r.deliveryID = DeliveryID.extract(headers: r.headers, body: r.body)
            corpus.append(r)
        }
        try importer.finish()
        let ids = Dictionary(uniqueKeysWithValues: corpus.map { ($0.id, $0) })
        let firstByDeliveryID = Dictionary(corpus.map { ($0.deliveryID!, $0.id) }, uniquingKeysWith: min)
        let evaluator = FilterEvaluator(now: now) { firstByDeliveryID[$0.deliveryID!]! < $0.id }
        let reader = try StoreReader(path: path)
        let filters = ["~m post", "~p /stripe/*", "~p /a[b]/*", "~p *", "~h x-github-event:PUSH", "~h webhook-id", "~h nope",
                       "~b Hello", "~b hello", "~src stripe", "~sig no_secret", "~d retrying", "~c 5xx", "~c 502", "~c 404",
                       "~t >10m", "~t <10m", "~dup", "!~dup", "hello", "GITHUB", "ping", "~m GET | ~c 503 & !~src stripe",
                       "(~m GET | ~m PUT) ~b body", "~label job-42", "~label \"clip 7\"", "~label nope", "~expect done",
                       "~expect overdue", "~expect waiting", "!~expect done & ~label job-42"]
        for text in filters {
            let filter = try Filter.parse(text)
            let viaSQL = Set(try reader.list(limit: 0, filter: filter).map(\.id))
            let inMemory = Set(ids.values.filter { evaluator.matches(filter, $0) }.map(\.id))
            XCTAssertEqual(viaSQL, inMemory, text)
            XCTAssertEqual(try reader.count(filter: filter, now: now), inMemory.count, text)
        }
        XCTAssertEqual(try reader.list(limit: 0, filter: try Filter.parse("~dup")).count, 48 - 5)
        XCTAssertEqual(try reader.count(filter: try Filter.parse("~label job-42")), 8)
        XCTAssertEqual(try reader.count(filter: try Filter.parse("~label \"clip 7\"")), 8)
        XCTAssertEqual(try reader.count(filter: try Filter.parse("~expect overdue")), 3)
    }

    func testKeysetPaging() throws {
        let dir = TempDirectory("paging")
        let importer = try StoreImporter(StoreConfiguration(path: dir.file("p.sqlite")))
        for i in 0..<10 { try importer.add(Fixtures.request(target: "/\(i)")) }
        try importer.finish()
        let reader = try StoreReader(path: dir.file("p.sqlite"))
        var page: [Int64] = []
        try reader.forEach(StoreReader.Query(limit: 3, beyondID: 8)) { page.append($0.id) }
        XCTAssertEqual(page, [7, 6, 5])
        page = []
        try reader.forEach(StoreReader.Query(newestFirst: false, limit: 2, beyondID: 8)) { page.append($0.id) }
        XCTAssertEqual(page, [9, 10])
    }
}
