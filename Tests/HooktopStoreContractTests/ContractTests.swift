import XCTest

/// The store contract on the SQLite file.
final class SQLiteContractTests: XCTestCase {
    private var stores: SQLiteStores!
    override func setUp() { stores = SQLiteStores() }
    override func tearDown() { stores = nil }

    func testRoundTripIsExact() throws { try contractRoundTripIsExact(stores) }
    func testFiltersAgreeWithEvaluator() throws { try contractFiltersAgreeWithEvaluator(stores) }
    func testKeysetPaging() throws { try contractKeysetPaging(stores) }
    func testConcurrentSubmittersShareCommits() throws { try contractConcurrentSubmittersShareCommits(stores) }
    func testTwoDaemonsShareOneStore() throws { try contractTwoDaemonsShareOneStore(stores) }
    func testDataVersionSeesOtherWriters() throws { try contractDataVersionSeesOtherWriters(stores) }
    func testMutationsAndQueries() throws { try contractMutationsAndQueries(stores) }
    func testImportIsIdempotent() throws { try contractImportIsIdempotent(stores) }
    func testIDsAreNeverGivenTwice() throws { try contractIDsAreNeverGivenTwice(stores) }
    func testRetentionBySizeKeepsTheNewestThatFit() throws { try contractRetentionBySizeKeepsTheNewestThatFit(stores) }
}

/// The same contract on PostgreSQL (a database per test on `HOOKTOP_TEST_POSTGRES`).
final class PostgresContractTests: XCTestCase {
    private var stores: PostgresStores!
    override func setUp() { stores = PostgresStores() }
    override func tearDown() { stores = nil }

    func testRoundTripIsExact() throws { try contractRoundTripIsExact(stores) }
    func testFiltersAgreeWithEvaluator() throws { try contractFiltersAgreeWithEvaluator(stores) }
    func testKeysetPaging() throws { try contractKeysetPaging(stores) }
    func testConcurrentSubmittersShareCommits() throws { try contractConcurrentSubmittersShareCommits(stores) }
    func testTwoDaemonsShareOneStore() throws { try contractTwoDaemonsShareOneStore(stores) }
    func testDataVersionSeesOtherWriters() throws { try contractDataVersionSeesOtherWriters(stores) }
    func testMutationsAndQueries() throws { try contractMutationsAndQueries(stores) }
    func testImportIsIdempotent() throws { try contractImportIsIdempotent(stores) }
    func testIDsAreNeverGivenTwice() throws { try contractIDsAreNeverGivenTwice(stores) }
    func testRetentionBySizeKeepsTheNewestThatFit() throws { try contractRetentionBySizeKeepsTheNewestThatFit(stores) }
}
