#if canImport(Glibc)
import Glibc
#endif

/// Writes text to standard error unbuffered, from any thread (the C `stderr` global is not
/// concurrency-safe in Swift 6).
package func writeToStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var offset = 0
        while offset < bytes.count {
            let written = write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            if written <= 0 { return }
            offset += written
        }
    }
}
