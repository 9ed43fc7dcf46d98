// In-process measurements for hooktop. Build in release:
//   swift build -c release --product hooktop-bench
//   .build/release/hooktop-bench populate DB N        fill a database with N synthetic 1 KB requests
//   .build/release/hooktop-bench store N              group-commit writer alone: N inserts from 64 threads
//   .build/release/hooktop-bench export DB FORMAT      export every request to /dev/null: MB/s and peak RSS
//   .build/release/hooktop-bench filter DB EXPR        count matches of a filter: seconds
//   .build/release/hooktop-bench target PORT SECONDS   an HTTP target that answers 200 at once and counts requests
//   .build/release/hooktop-bench tui DB                first frame, time per key, memory of the dashboard on DB
//   .build/release/hooktop-bench body KIND MIB         open a KIND (json, text, binary) body of MIB MiB in the detail view
import Foundation
import HooktopCore
import HooktopExport
import HooktopPostgres
import HooktopStore
import HooktopTUI

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Peak resident memory (VmHWM), or with `anonymous` the heap part now (RssAnon):
/// the database is memory-mapped, and its pages count in RSS as page cache.
func peakRSSMiB(_ field: String = "VmHWM:") -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

/// Made once: building it per request cost the `store` benchmark more than storing.
let pad = String(repeating: "x", count: 900)

func syntheticRequest(_ i: Int, at: Timestamp) -> CapturedRequest {
    let body = #"{"id":"evt_\#(i)","type":"payment_intent.succeeded","amount":\#(i % 10_000),"pad":"\#(pad)"}"#
    return CapturedRequest(
        receivedAt: at, remote: "127.0.0.1:5\(i % 10_000)", method: i % 10 == 0 ? "GET" : "POST",
        target: "/stripe/events?n=\(i)",
        headers: HeaderList([("Host", "hooks.example.com"), ("Content-Type", "application/json"),
                             ("Stripe-Signature", "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd"),
                             ("webhook-id", "msg_\(i % 900_000)")]),
        body: Array(body.utf8), source: i % 3 == 0 ? "stripe" : nil,
        signature: SignatureResult(scheme: "stripe", status: i % 50 == 0 ? .invalid : .valid, detail: nil))
}

let args = CommandLine.arguments
guard args.count >= 3 else {
    print("usage: hooktop-bench populate DB N | store N | export DB FORMAT | filter DB EXPR")
    exit(2)
}

switch args[1] {
case "populate":
    let count = Int(args[3]) ?? 1_000_000
    let importer = try StoreImporter(StoreConfiguration(path: args[2]))
    let base = Timestamp.now().adding(microseconds: -Int64(count) * 1_000)
    let t = try seconds {
        for i in 0..<count { try importer.add(syntheticRequest(i, at: base.adding(microseconds: Int64(i) * 1_000))) }
        try importer.finish()
    }
    print(String(format: "populate: %d requests in %.1f s (%.0f/s)", count, t, Double(count) / t))

case "store":
    let count = Int(args[2]) ?? 200_000
    let dir = NSTemporaryDirectory() + "hooktop-bench-\(getpid())"
    defer { try? FileManager.default.removeItem(atPath: dir) }
    let writer = try StoreWriter(StoreConfiguration(path: dir + "/bench.sqlite"))
    let now = Timestamp.now()
    let finished = DispatchGroup()
    let t = seconds {
        // 64 threads, each like a keep-alive connection: one request in flight at a time.
        for worker in 0..<64 {
            finished.enter()
            let thread = Thread {
                let done = DispatchSemaphore(value: 0)
                for i in stride(from: worker, to: count, by: 64) {
                    writer.submit(syntheticRequest(i, at: now)) { _ in done.signal() }
                    done.wait()
                }
                finished.leave()
            }
            thread.start()
        }
        finished.wait()
    }
    let stats = writer.currentStats()
    writer.close()
    print(String(format: "store: %d inserts in %.2f s = %.0f/s; %d batches, mean %.1f, largest %d",
                 count, t, Double(count) / t, stats.batches, stats.meanBatch, stats.largestBatch))

case "export":
    let format = ExportFormat(rawValue: args.count > 3 ? args[3] : "ndjson") ?? .ndjson
    let reader = try StoreReader(path: args[2], mmap: true)
    let devnull = open("/dev/null", O_WRONLY)
    var out = FileOutput(fd: devnull)
    var n = 0
    let query = StoreReader.Query(includeBodies: true, includeDeliveries: format.needsDeliveries)
    let t = try seconds {
        n = try format.export(to: &out) { emit in try reader.forEach(query, emit) }
    }
    let mb = Double(out.bytesWritten) / 1_000_000
    print(String(format: "export %@: %d requests, %.1f MB in %.2f s = %.1f MB/s, %.0f req/s; peak RSS %.1f MiB (heap %.1f MiB, the rest mapped DB pages)",
                 format.rawValue, n, mb, t, mb / t, Double(n) / t, peakRSSMiB(), peakRSSMiB("RssAnon:")))

case "filter":
    let reader = try StoreReader(path: args[2], mmap: true)
    let filter = try Filter.parse(args[3])
    var count = 0
    _ = try reader.count(filter: nil)  // warm the page cache once, as a user's second query would be
    let t = try seconds { count = try reader.count(filter: filter) }
    print(String(format: "filter %@: %d matches in %.3f s", args[3], count, t))

case "tui":
    let keys: [Key?] = Array(repeating: .char("j"), count: 100) + Array(repeating: .pageDown, count: 50)
        + [.char("G"), .char("g"), .enter, .tab, .tab, .escape, .char("k")] + Array(repeating: .pageUp, count: 10)
    let terminal = TimedTerminal(width: 120, height: 40, keys: keys)
    let started = DispatchTime.now().uptimeNanoseconds
    // A SQLite file, or a postgres:// URL.
    let backend: any StoreBackend = args[2].hasPrefix("postgres://")
        ? try PostgresBackend(url: args[2], passwordEnv: nil, node: nil, environment: ProcessInfo.processInfo.environment)
        : SQLiteBackend(path: args[2])
    let runtime = Runtime(model: Model(width: 120, height: 40, listening: nil, databasePath: args[2]),
                          data: try TUIData(backend: backend), terminal: terminal, themes: [.monochrome], actions: .none)
    runtime.run()
    let ms = { (ns: UInt64) in Double(ns - started) / 1e6 }
    let keyTimes = terminal.keyMillis.sorted()
    print(String(format: "tui: first frame %.1f ms; header totals ready %.1f ms; %d keys: median %.2f ms, p95 %.2f ms, max %.2f ms; peak RSS %.1f MiB (heap %.1f MiB)",
                 ms(terminal.drawTimes[0]), ms(terminal.drawTimes[1]), keyTimes.count, keyTimes[keyTimes.count / 2],
                 keyTimes[keyTimes.count * 95 / 100], keyTimes.last ?? 0, peakRSSMiB(), peakRSSMiB("RssAnon:")))

case "body":
    // A large request opened in the detail view: the first frame, keys, and memory.
    guard let mib = Int(args.count > 3 ? args[3] : "10"), (1...1024).contains(mib) else {
        print("body: MIB must be a whole number from 1 to 1024")
        exit(2)
    }
    let size = mib << 20
    var bytes: [UInt8] = []
    bytes.reserveCapacity(size + 64)
    switch args[2] {
    case "json":
        bytes += Array(#"{"items":["#.utf8)
        var n = 0
        while bytes.count < size - 64 {
            bytes += Array(#"{"n":\#(n),"name":"item \#(n)","ok":true},"#.utf8)
            n += 1
        }
        bytes += Array(#"{"n":-1}]}"#.utf8)
    case "text":
        var n = 0
        while bytes.count < size { bytes += Array("line \(n): the quick brown fox jumps over the lazy dog, again and again and again\n".utf8); n += 1 }
    case "utf8":
        var n = 0
        while bytes.count < size { bytes += Array("ligne \(n) : Zoë à São Paulo, Привет, 日本語のテキスト, 한국어, emoji 👍 🚀, again\n".utf8); n += 1 }
    case "emoji":  // flags and skin tones: every line is laid out to count its rows
        var n = 0
        while bytes.count < size { bytes += Array("line \(n): 👍🏽 🇫🇷 👨‍👩‍👧 e\u{301}\n".utf8); n += 1 }
    default:
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<size { state = state &* 6364136223846793005 &+ 1442695040888963407; bytes.append(UInt8(truncatingIfNeeded: state >> 56)) }
    }
    var request = syntheticRequest(1, at: .now())
    request.id = 1
    request.body = bytes
    request.bodySize = bytes.count
    var model = Model(width: 120, height: 40, listening: nil, databasePath: "bench.sqlite")
    model.mode = .detail
    model.detail = request
    model.tab = .body
    let cache = DetailCache()
    let rssBefore = peakRSSMiB("VmRSS:")
    var screen = Screen(width: 1, height: 1)
    let open = seconds { screen = Render.screen(model, cache: cache) }
    var keyTimes: [Double] = []
    let keys: [Key] = Array(repeating: .pageDown, count: 30) + [.char("G"), .char("g"), .char("j"), .char("k"), .char("w"), .char("G"), .char("w")]
        + Array(repeating: .pageUp, count: 5)
    for key in keys {
        keyTimes.append(1000 * seconds {
            _ = update(&model, .key(key))
            screen = Render.screen(model, cache: cache)
        })
    }
    let idle = seconds { for _ in 0..<100 { screen = Render.screen(model, cache: cache) } } / 100
    keyTimes.sort()
    print(String(format: "body %@ %d MiB: open %.1f ms; %d keys median %.2f ms, max %.2f ms; an idle frame %.3f ms; RSS +%.1f MiB (body %.1f MiB)",
                 args[2], mib, open * 1000, keyTimes.count, keyTimes[keyTimes.count / 2], keyTimes.last ?? 0, idle * 1000,
                 peakRSSMiB("VmHWM:") - rssBefore, Double(bytes.count) / 1048576))
    _ = screen

case "target":
    let port = Int(args[2]) ?? 18080
    let seconds = Double(args.count > 3 ? args[3] : "30") ?? 30
    let server = try BenchTarget(port: port)
    FileHandle.standardOutput.write(Data("target listening on 127.0.0.1:\(server.port)\n".utf8))
    var last = 0
    for _ in 0..<Int(seconds) {
        sleep(1)
        let now = server.count
        FileHandle.standardOutput.write(Data("target: \(now - last) req/s (total \(now))\n".utf8))
        last = now
    }

default:
    print("unknown benchmark \(args[1])")
    exit(2)
}

/// Times each frame and the time from handing over a key to the next frame.
final class TimedTerminal: Terminal {
    let size: (width: Int, height: Int)
    var keys: [Key?]
    var drawTimes: [UInt64] = []
    var keyMillis: [Double] = []
    private var keyHanded: UInt64?

    init(width: Int, height: Int, keys: [Key?]) {
        size = (width, height)
        self.keys = keys
    }

    func draw(_ screen: Screen, previous: Screen?, theme: Theme) {
        let now = DispatchTime.now().uptimeNanoseconds
        drawTimes.append(now)
        if let handed = keyHanded { keyMillis.append(Double(now - handed) / 1e6); keyHanded = nil }
    }

    func readKey(timeoutMillis: Int) -> Key? {
        guard !keys.isEmpty else { return .char("q") }
        keyHanded = DispatchTime.now().uptimeNanoseconds
        return keys.removeFirst()
    }

    func copyToClipboard(_ text: String) -> String { "" }
}
