import Foundation
import LoomCore

/// Length-prefixed frames over a pipe: a 4-byte little-endian length, then the payload.
enum Frame {
    /// Larger frames are refused, so a corrupt length cannot make a reader allocate gigabytes.
    static let maximumSize = 1 << 31 - 1

    /// A writer for one frame, with room left for the length in front.
    static func builder(capacity: Int = 256) -> ByteWriter {
        var writer = ByteWriter(capacity: capacity + 4)
        writer.writeFixed32LE(0)
        return writer
    }

    /// Fills in the length and writes the whole frame, retrying short writes.
    static func write(_ frame: inout ByteWriter, to descriptor: Int32) throws {
        let length = UInt32(frame.bytes.count - 4)
        frame.bytes.withUnsafeMutableBytes { $0.storeBytes(of: length.littleEndian, as: UInt32.self) }
        try frame.bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                }
                offset += written
            }
        }
    }
}

/// Reads frames from a pipe, buffering what arrives between them.
final class FrameReader {
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    init(descriptor: Int32) { self.descriptor = descriptor }

    enum ReadError: Error {
        case timedOut
        case tooLarge(Int)
    }

    /// The next frame's payload, or nil at end of stream. With a timeout, throws `timedOut` if
    /// no complete frame arrived in time.
    func next(timeout: Double? = nil) throws -> [UInt8]? {
        let deadline = timeout.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
        while true {
            if buffer.count - start >= 4 {
                let length = buffer.withUnsafeBytes { Int(UInt32(littleEndian: $0.loadUnaligned(fromByteOffset: start, as: UInt32.self))) }
                guard length <= Frame.maximumSize else { throw ReadError.tooLarge(length) }
                if buffer.count - start - 4 >= length {
                    let payload = Array(buffer[start + 4..<start + 4 + length])
                    start += 4 + length
                    return payload
                }
            }
            if start > 0 && start >= buffer.count / 2 {
                buffer.removeFirst(start)
                start = 0
            }
            if let deadline {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { throw ReadError.timedOut }
                var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let ready = poll(&poller, 1, Int32(max(1, left.seconds * 1000)))
                if ready == 0 { continue }
            }
            guard try fill() else { return nil }
        }
    }

    /// Reads what the pipe has; false at end of stream.
    private func fill() throws -> Bool {
        let chunk = 1 << 16
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + old, chunk) }
            if count < 0 && errno == EINTR { continue }
            buffer.removeLast(chunk - max(0, count))
            if count < 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
            return count > 0
        }
    }
}
