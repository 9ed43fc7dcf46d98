#if canImport(Glibc)
import Glibc
#endif

/// Writes lines to stdout or stderr. Kept in one place so commands format
/// text and never decide where it goes twice. Unbuffered: each line is one
/// write, so live lines and errors appear at once and never interleave.
enum Console {
    static func out(_ line: String) { write(line + "\n", to: 1) }
    static func error(_ line: String) { write(line + "\n", to: 2) }

    private static func write(_ text: String, to fd: Int32) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return }  // a closed pipe: nobody is reading
                offset += n
            }
        }
    }
}
