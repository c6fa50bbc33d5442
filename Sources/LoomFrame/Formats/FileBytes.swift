import Foundation
import LoomCore

/// Byte ranges of files, read straight into arrays (no `Data` to copy out of).
enum FileBytes {
    /// Up to `count` bytes from `offset` (fewer only at the end of the file).
    static func read(_ handle: FileHandle, path: String, offset: Int, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            while initialized < buffer.count {
                let got = pread(handle.fileDescriptor, buffer.baseAddress! + initialized, buffer.count - initialized, off_t(offset + initialized))
                if got < 0, errno == EINTR { continue }
                guard got >= 0 else { throw LoomError(.invalidArgument, "cannot read \(path): \(String(cString: strerror(errno)))") }
                if got == 0 { break }
                initialized += got
            }
        }
    }

    static func open(_ path: String) throws -> FileHandle {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw LoomError(.invalidArgument, "cannot open \(path) to read") }
        return handle
    }
}
