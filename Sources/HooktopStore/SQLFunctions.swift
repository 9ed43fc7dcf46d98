import CSQLite
import HooktopCore

/// SQL functions the filter needs, registered on every connection. They read
/// the wire-form `headers` column ("Name: value\r\n" per field).
enum SQLFunctions {
    static func register(on db: OpaquePointer?) {
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS
        // hooktop_header(headers, name, value-or-NULL): a field with that name
        // (any case) whose value contains `value` (any case).
        sqlite3_create_function_v2(db, "hooktop_header", 3, flags, nil, { ctx, _, argv in
            guard let argv, let headers = sqlText(argv[0]), let name = sqlText(argv[1]) else { return sqlite3_result_int(ctx, 0) }
            let value = sqlText(argv[2])
            let found = HeaderList(wireEncoded: headers).contains { field in
                field.name.caseInsensitiveEquals(name) && (value.map { FilterEvaluator.containsIgnoringCase(field.value, $0) } ?? true)
            }
            sqlite3_result_int(ctx, found ? 1 : 0)
        }, nil, nil, nil)
        // hooktop_headers_contain(headers, lowercased-text): any "Name: value" contains it.
        sqlite3_create_function_v2(db, "hooktop_headers_contain", 2, flags, nil, { ctx, _, argv in
            guard let argv, let headers = sqlText(argv[0]), let needle = sqlText(argv[1]) else { return sqlite3_result_int(ctx, 0) }
            sqlite3_result_int(ctx, FilterEvaluator.containsIgnoringCase(headers, needle) ? 1 : 0)
        }, nil, nil, nil)
    }
}

private func sqlText(_ value: OpaquePointer?) -> String? {
    guard sqlite3_value_type(value) != SQLITE_NULL, let ptr = sqlite3_value_text(value) else { return nil }
    return String(decoding: UnsafeBufferPointer(start: ptr, count: Int(sqlite3_value_bytes(value))), as: UTF8.self)
}
