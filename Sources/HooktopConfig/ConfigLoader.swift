import HooktopCore
import HooktopSignatures

/// Reads `config.toml` text into a validated `Config`. Every error names the
/// file and line and says what is wrong; unknown keys are refused.
public enum ConfigLoader {
    public typealias Failure = ConfigError

    /// - knownSchemes: the names `scheme =` may take (the signature registry's).
    /// - environment: where `secret_env` is looked up.
    /// - secretsRequired: false for commands that only read the database
    ///   (`list`, `show`, `export`, `tui`): an unset `secret_env` is then no
    ///   error, only checking signatures needs the secret.
    public static func load(_ text: String, file: String, knownSchemes: Set<String>,
                            environment: [String: String], secretsRequired: Bool = true) throws(Failure) -> Config {
        let root: TOMLTable
        do { root = try TOML.parse(text) } catch { throw ConfigError(file: file, line: error.line, message: error.message) }
        var r = Reader(file: file, secretsRequired: secretsRequired)
        return try r.config(root, knownSchemes: knownSchemes, environment: environment)
    }

    private struct Reader {
        let file: String
        let secretsRequired: Bool

        func fail(_ line: Int, _ message: String) -> Failure { ConfigError(file: file, line: line, message: message) }

        /// The line of `key` in `table` (the table's own line if it is absent).
        func line(_ table: TOMLTable, _ key: String) -> Int { table[key]?.line ?? table.line }

        func checkKeys(_ table: TOMLTable, _ section: String, _ known: [String]) throws(Failure) {
            for (key, value) in table.entries where !known.contains(key) {
                throw fail(value.line, "unknown key '\(key)' in \(section) (known: \(known.joined(separator: ", ")))")
            }
        }

        func string(_ t: TOMLTable, _ key: String, _ section: String) throws(Failure) -> String? {
            guard let v = t[key] else { return nil }
            guard case .string(let s) = v.kind else { throw fail(v.line, "\(section).\(key) must be a string, not \(v.typeName)") }
            return s
        }

        func bool(_ t: TOMLTable, _ key: String, _ section: String) throws(Failure) -> Bool? {
            guard let v = t[key] else { return nil }
            guard case .bool(let b) = v.kind else { throw fail(v.line, "\(section).\(key) must be true or false, not \(v.typeName)") }
            return b
        }

        func int(_ t: TOMLTable, _ key: String, _ section: String, _ range: ClosedRange<Int64>) throws(Failure) -> Int? {
            guard let v = t[key] else { return nil }
            guard case .integer(let n) = v.kind else { throw fail(v.line, "\(section).\(key) must be an integer, not \(v.typeName)") }
            guard range.contains(n) else { throw fail(v.line, "\(section).\(key) must be from \(range.lowerBound) to \(range.upperBound), got \(n)") }
            return Int(n)
        }

        func strings(_ t: TOMLTable, _ key: String, _ section: String) throws(Failure) -> [String]? {
            guard let v = t[key] else { return nil }
            guard case .array(let items) = v.kind else { throw fail(v.line, "\(section).\(key) must be an array of strings, not \(v.typeName)") }
            var out: [String] = []
            for item in items {
                guard case .string(let s) = item.kind else { throw fail(item.line, "\(section).\(key) must hold only strings, found \(item.typeName)") }
                out.append(s)
            }
            return out
        }

        func duration(_ t: TOMLTable, _ key: String, _ section: String) throws(Failure) -> Int64? {
            guard let text = try string(t, key, section) else { return nil }
            guard let micros = DurationText.parse(text) else {
                throw fail(t[key]?.line ?? t.line, "\(section).\(key): \(DurationText.problem(text))")
            }
            return micros
        }

        func table(_ root: TOMLTable, _ key: String) throws(Failure) -> TOMLTable? {
            guard let v = root[key] else { return nil }
            guard case .table(let t) = v.kind else { throw fail(v.line, "'\(key)' must be a table ([\(key)]), not \(v.typeName)") }
            return t
        }

        func tables(_ root: TOMLTable, _ key: String) throws(Failure) -> [TOMLTable] {
            guard let v = root[key] else { return [] }
            guard case .array(let items) = v.kind else { throw fail(v.line, "'\(key)' must be written [[\(key)]]") }
            var out: [TOMLTable] = []
            for item in items {
                guard case .table(let t) = item.kind else { throw fail(item.line, "'\(key)' must be written [[\(key)]]") }
                out.append(t)
            }
            return out
        }

        mutating func config(_ root: TOMLTable, knownSchemes: Set<String>, environment: [String: String]) throws(Failure) -> Config {
            try checkKeys(root, "the file", ["server", "store", "source", "respond", "delivery"])
            var config = Config()
            if let s = try table(root, "server") {
                try checkKeys(s, "[server]", ["listen", "max_body", "mode", "alert_command", "token_env"])
                if let listen = try string(s, "listen", "server") {
                    switch ListenAddress.parse(listen) {
                    case .success(let a): config.server.listen = a
                    case .failure(let e): throw fail(line(s, "listen"), "server.listen: \(e)")
                    }
                }
                if let size = try string(s, "max_body", "server") {
                    guard let bytes = ByteSize.parse(size) else { throw fail(s["max_body"]?.line ?? s.line, "server.max_body: \(ByteSize.problem(size))") }
                    guard ByteSize.bodyRange.contains(bytes) else { throw fail(s["max_body"]?.line ?? s.line, "server.max_body: \(ByteSize.bodyRangeProblem(bytes))") }
                    config.server.maxBody = bytes
                }
                if let mode = try string(s, "mode", "server") {
                    guard let m = Config.Mode(rawValue: mode) else { throw fail(line(s, "mode"), "server.mode must be \"capture\" or \"proxy\", got \"\(mode)\"") }
                    config.server.mode = m
                }
                if let command = try strings(s, "alert_command", "server") {
                    guard !command.isEmpty else { throw fail(line(s, "alert_command"), "server.alert_command needs at least the program") }
                    config.server.alertCommand = command
                }
                if let variable = try string(s, "token_env", "server") {
                    config.server.tokenEnv = variable
                    let value = environment[variable] ?? ""
                    if value.isEmpty && secretsRequired {
                        throw fail(line(s, "token_env"), "server.token_env: environment variable \(variable) is not set")
                    }
                    config.server.token = value.isEmpty ? nil : Secret(value)
                }
            }
            if let s = try table(root, "store") {
                try checkKeys(s, "[store]", ["path", "url", "password_env", "retention", "max_requests", "max_size"])
                config.store.path = try string(s, "path", "store")
                config.store.url = try string(s, "url", "store")
                config.store.passwordEnv = try string(s, "password_env", "store")
                config.store.retentionMicros = try duration(s, "retention", "store")
                config.store.maxRequests = try int(s, "max_requests", "store", 1...Int64(Int32.max))
                if let size = try string(s, "max_size", "store") {
                    guard let bytes = ByteSize.parse(size), bytes > 0 else {
                        throw fail(line(s, "max_size"), "store.max_size: \(ByteSize.problem(size))")
                    }
                    config.store.maxSize = bytes
                }
            }
            var names = Set<String>()
            for t in try tables(root, "source") {
                let source = try self.source(t, knownSchemes: knownSchemes, environment: environment)
                guard names.insert(source.name).inserted else { throw fail(t.line, "two sources are named '\(source.name)'") }
                config.sources.append(source)
            }
            for t in try tables(root, "respond") { config.respond.append(try respondRule(t)) }
            if let d = try table(root, "delivery") {
                try checkKeys(d, "[delivery]", ["schedule", "timeout", "concurrency"])
                if let schedule = try strings(d, "schedule", "delivery") {
                    guard !schedule.isEmpty else { throw fail(line(d, "schedule"), "delivery.schedule needs at least one entry") }
                    config.delivery.scheduleMicros = try schedule.map { (text: String) throws(Failure) -> Int64 in
                        guard let m = DurationText.parse(text) else { throw fail(d["schedule"]?.line ?? d.line, "delivery.schedule: \(DurationText.problem(text))") }
                        return m
                    }
                }
                if let timeout = try duration(d, "timeout", "delivery") {
                    guard timeout > 0 else { throw fail(line(d, "timeout"), "delivery.timeout must be more than 0s") }
                    config.delivery.timeoutMicros = timeout
                }
                if let c = try int(d, "concurrency", "delivery", 1...10_000) { config.delivery.concurrency = c }
            }
            return config
        }

        func source(_ t: TOMLTable, knownSchemes: Set<String>, environment: [String: String]) throws(Failure) -> Config.Source {
            try checkKeys(t, "[[source]]", ["name", "match", "scheme", "secret", "secrets", "secret_env", "public_url",
                                              "verify_url", "forward_to", "challenge", "verify_token", "tolerance", "oauth_page",
                                              "header", "algorithm", "encoding", "prefix", "signed", "timestamp_header"])
            guard let name = try string(t, "name", "source") else { throw fail(t.line, "a [[source]] needs a name") }
            let section = "source '\(name)'"
            guard let match = try string(t, "match", section) else { throw fail(t.line, "\(section) needs match = \"/path/*\"") }
            guard match.hasPrefix("/") || match.hasPrefix("*") else { throw fail(line(t, "match"), "\(section): match is a path glob and starts with '/', got \"\(match)\"") }
            var source = Config.Source(name: name, match: Glob(match), line: t.line)
            if let scheme = try string(t, "scheme", section) {
                guard knownSchemes.contains(scheme) else {
                    throw fail(line(t, "scheme"), "\(section): unknown scheme \"\(scheme)\" (known: \(knownSchemes.sorted().joined(separator: ", ")))")
                }
                source.scheme = scheme
            }
            if let s = try string(t, "secret", section) { source.secrets.append(Secret(s)) }
            if let list = try strings(t, "secrets", section) { source.secrets += list.map(Secret.init) }
            if let variable = try string(t, "secret_env", section) {
                let value = environment[variable] ?? ""
                if value.isEmpty && secretsRequired {
                    throw fail(line(t, "secret_env"), "\(section): environment variable \(variable) (secret_env) is not set")
                }
                // Several secrets may be given in one variable, separated by spaces or commas.
                source.secrets += value.split { $0 == " " || $0 == "," }.map { Secret(String($0)) }
            }
            source.publicURL = try url(t, "public_url", section)
            source.verifyURL = try url(t, "verify_url", section)
            source.forwardTo = try url(t, "forward_to", section)
            source.challenge = try bool(t, "challenge", section) ?? false
            source.oauthPage = try bool(t, "oauth_page", section) ?? false
            source.verifyToken = try string(t, "verify_token", section).map(Secret.init)
            if let tolerance = try duration(t, "tolerance", section) { source.toleranceSeconds = tolerance / 1_000_000 }
            if let header = try string(t, "header", section) {
                var spec = HMACSpec(header: header)
                if let a = try string(t, "algorithm", section) {
                    guard let alg = HMACSpec.Algorithm(rawValue: a) else { throw fail(line(t, "algorithm"), "\(section): algorithm must be sha1, sha256 or sha512") }
                    spec.algorithm = alg
                }
                if let e = try string(t, "encoding", section) {
                    guard let enc = HMACSpec.Encoding(rawValue: e) else { throw fail(line(t, "encoding"), "\(section): encoding must be hex or base64") }
                    spec.encoding = enc
                }
                spec.prefix = try string(t, "prefix", section) ?? ""
                spec.signed = try string(t, "signed", section) ?? "{body}"
                spec.timestampHeader = try string(t, "timestamp_header", section)
                if spec.signed.contains("{timestamp}") && spec.timestampHeader == nil {
                    throw fail(line(t, "signed"), "\(section): signed uses {timestamp}, so timestamp_header is needed")
                }
                source.hmac = spec
            } else if source.scheme == "hmac" {
                throw fail(t.line, "\(section): scheme \"hmac\" needs header = \"X-Signature-Header\"")
            } else if let stray = ["algorithm", "encoding", "prefix", "signed", "timestamp_header"].first(where: { t[$0] != nil }) {
                throw fail(line(t, stray), "\(section): \(stray) belongs to the generic hmac scheme and needs header = ...")
            }
            return source
        }

        func url(_ t: TOMLTable, _ key: String, _ section: String) throws(Failure) -> String? {
            guard let u = try string(t, key, section) else { return nil }
            guard u.hasPrefix("http://") || u.hasPrefix("https://"), u.count > 8 else {
                throw fail(line(t, key), "\(section): \(key) must be an http:// or https:// URL, got \"\(u)\"")
            }
            return u
        }

        func respondRule(_ t: TOMLTable) throws(Failure) -> Config.RespondRule {
            try checkKeys(t, "[[respond]]", ["match", "status", "headers", "body", "delay"])
            guard let match = try string(t, "match", "respond") else { throw fail(t.line, "a [[respond]] needs match = \"/path/*\"") }
            var rule = Config.RespondRule(match: Glob(match))
            rule.status = try int(t, "status", "respond", 100...599) ?? 200
            if let v = t["headers"] {
                guard case .table(let h) = v.kind else { throw fail(v.line, "respond.headers must be a table like { \"Retry-After\" = \"5\" }") }
                var headers = HeaderList()
                for (name, value) in h.entries {
                    guard case .string(let s) = value.kind else { throw fail(value.line, "respond.headers.\(name) must be a string") }
                    guard !name.isEmpty, !name.contains(where: { $0 == ":" || $0 == " " || $0.isNewline }), !s.contains(where: \.isNewline) else {
                        throw fail(value.line, "respond.headers: '\(name)' is not a valid header")
                    }
                    headers.append(name, s)
                }
                rule.headers = headers
            }
            rule.body = Array((try string(t, "body", "respond") ?? "").utf8)
            rule.delayMicros = try duration(t, "delay", "respond") ?? 0
            return rule
        }
    }
}
