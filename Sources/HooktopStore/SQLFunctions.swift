import CSQLite
#if canImport(Glibc)
import Glibc
#endif
import HooktopCore

/// SQL functions the filter and the schema need, registered on every
/// connection. The header tests read the wire-form `headers` column
/// ("Name: value\r\n" per field).
enum SQLFunctions {
    static func register(on db: OpaquePointer?) {
        let flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS
        // hooktop_contains(blob, needle): glibc's memmem, many times faster than
        // SQLite's instr() (a memcmp at every offset) on large bodies.
        sqlite3_create_function_v2(db, "hooktop_contains", 2, flags, nil, { ctx, _, argv in
            guard let argv else { return sqlite3_result_int(ctx, 0) }
            let haystackCount = Int(sqlite3_value_bytes(argv[0]))
            let needleCount = Int(sqlite3_value_bytes(argv[1]))
            guard needleCount > 0 else { return sqlite3_result_int(ctx, 1) }
            guard haystackCount >= needleCount, let haystack = sqlite3_value_blob(argv[0]), let needle = sqlite3_value_blob(argv[1]) else {
                return sqlite3_result_int(ctx, 0)
            }
            sqlite3_result_int(ctx, csqlite_contains(haystack, haystackCount, needle, needleCount))
        }, nil, nil, nil)
        // hooktop_icontains(blob, lowercased needle): ASCII case-insensitive, for bare words.
        sqlite3_create_function_v2(db, "hooktop_icontains", 2, flags, nil, { ctx, _, argv in
            guard let argv else { return sqlite3_result_int(ctx, 0) }
            let h = sqlite3_value_blob(argv[0]), n = sqlite3_value_blob(argv[1])
            let hl = Int(sqlite3_value_bytes(argv[0])), nl = Int(sqlite3_value_bytes(argv[1]))
            guard nl > 0 else { return sqlite3_result_int(ctx, 1) }
            guard let h, let n else { return sqlite3_result_int(ctx, 0) }
            sqlite3_result_int(ctx, csqlite_icontains(h.assumingMemoryBound(to: UInt8.self), hl, n.assumingMemoryBound(to: UInt8.self), nl))
        }, nil, nil, nil)
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
        // hooktop_delivery_key(delivery id): `RequestRows.deliveryKey`, NULL for NULL.
        sqlite3_create_function_v2(db, "hooktop_delivery_key", 1, flags, nil, { ctx, _, argv in
            // Over the stored bytes, as the writer hashed them.
            guard let argv, sqlite3_value_type(argv[0]) != SQLITE_NULL, let text = sqlite3_value_text(argv[0]) else {
                return sqlite3_result_null(ctx)
            }
            let bytes = UnsafeBufferPointer(start: text, count: Int(sqlite3_value_bytes(argv[0])))
            sqlite3_result_int64(ctx, RequestRows.deliveryKey(utf8: bytes))
        }, nil, nil, nil)
    }
}

private func sqlText(_ value: OpaquePointer?) -> String? {
    guard sqlite3_value_type(value) != SQLITE_NULL, let ptr = sqlite3_value_text(value) else { return nil }
    return String(decoding: UnsafeBufferPointer(start: ptr, count: Int(sqlite3_value_bytes(value))), as: UTF8.self)
}
