import Foundation
import LoomCore
import LoomFrame
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#elseif canImport(Musl)
import Musl
#endif

/// A worker's side of the peer-to-peer shuffle, one per process: transfer tasks hand it their
/// pieces, which it appends to one file per (run, output partition) in the worker's directory
/// — memory holds one piece at a time — and it serves those files to the unpack tasks of any
/// worker over its own TCP port. A file is removed once served: each output is fetched once
/// per run, and a run that needs it again has lost data and starts anew.
final class ShuffleService: Sendable {
    /// The process's service, started by the first worker's plugin.
    static let shared = Mutex<ShuffleService?>(nil)

    let directory: String
    /// `host:port` where peers fetch from it.
    let address: String
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)
    /// Appends to one file at a time (transfer tasks run on several threads).
    private let writing = Mutex<Void>(())

    init(directory: String, host: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (socket, port) = try ShuffleSockets.listen(host: host)
        self.directory = directory
        listener = socket
        address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "loom-shuffle"
        thread.start()
    }

    func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func file(_ run: String, _ output: Int) -> String { "\(directory)/\(run)/\(output).pieces" }

    /// Appends piece `input` of output `output` in `run`: the input's index, the piece's
    /// length, its encoding.
    func append(run: String, output: Int, input: Int, piece: Table) throws {
        let encoded = try ValueCodec.encode(piece)
        var frame = [UInt8]()
        frame.reserveCapacity(12 + encoded.count)
        withUnsafeBytes(of: UInt32(input).littleEndian) { frame += $0 }
        withUnsafeBytes(of: UInt64(encoded.count).littleEndian) { frame += $0 }
        frame += encoded
        let path = file(run, output)
        try writing.withLock { _ in
            if !FileManager.default.fileExists(atPath: path) {
                try FileManager.default.createDirectory(atPath: "\(directory)/\(run)", withIntermediateDirectories: true)
                FileManager.default.createFile(atPath: path, contents: nil)
            }
            guard let handle = FileHandle(forWritingAtPath: path) else { throw LoomError(.invalidArgument, "cannot write shuffle file \(path)") }
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(frame))
        }
    }

    /// Removes the files of `runs`; the ones that had any.
    func drop(_ runs: [String]) -> [String] {
        writing.withLock { _ in
            runs.filter { run in
                guard !run.contains("/"), !run.contains(".."), FileManager.default.fileExists(atPath: "\(directory)/\(run)") else { return false }
                try? FileManager.default.removeItem(atPath: "\(directory)/\(run)")
                return true
            }
        }
    }

    /// The runs with files here (pieces not yet served).
    var heldRuns: [String] {
        writing.withLock { _ in
            let runs = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            return runs.filter { !((try? FileManager.default.contentsOfDirectory(atPath: "\(directory)/\($0)")) ?? []).isEmpty }.sorted()
        }
    }

    /// One connection at a time, on one thread: a request is a file streamed in small chunks,
    /// and one long-lived thread keeps the allocator from making an arena per connection.
    private func acceptLoop() {
        while !stopped.load(ordering: .relaxed) {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            ShuffleSockets.ignoreBrokenPipes(connection)
            ShuffleSockets.limitWaits(connection, seconds: 30)
            serve(connection)
        }
    }

    /// One request a connection: `run output\n`, answered by the file's length (all ones when
    /// it is not there) and its bytes.
    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var request: [UInt8] = []
        var byte: UInt8 = 0
        while request.count < 512 {
            let got = recv(connection, &byte, 1, 0)
            if got <= 0 { return }
            if byte == UInt8(ascii: "\n") { break }
            request.append(byte)
        }
        let parts = String(decoding: request, as: UTF8.self).split(separator: " ")
        guard parts.count == 2, let output = Int(parts[1]), !parts[0].contains("/"), !parts[0].contains(".") else { return }
        let path = file(String(parts[0]), output)
        // Taken out of the way first: a transfer appending now starts a new file, and the
        // served one goes once sent.
        let serving = path + ".serving"
        let moved = writing.withLock { _ in rename(path, serving) == 0 }
        defer { if moved { unlink(serving) } }
        do {
            guard moved, let handle = FileHandle(forReadingAtPath: serving) else {
                try withUnsafeBytes(of: UInt64.max.littleEndian) { try ShuffleSockets.writeAll(connection, $0) }
                return
            }
            defer { try? handle.close() }
            let size = UInt64(try handle.seekToEnd())
            try withUnsafeBytes(of: size.littleEndian) { try ShuffleSockets.writeAll(connection, $0) }
            try handle.seek(toOffset: 0)
            while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                try chunk.withUnsafeBytes { try ShuffleSockets.writeAll(connection, $0) }
            }
        } catch {
            return
        }
    }

    /// The pieces of output `output` of `run` that the worker at `address` holds, by input index.
    static func fetch(from address: String, run: String, output: Int) throws -> [(input: Int, piece: Table)] {
        func lost(_ why: String) -> LoomError {
            LoomError(.invalidArgument, "\(FrameShuffling.lostDataMarker): output \(output) of shuffle run \(run) at \(address) \(why)")
        }
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw LoomError(.invalidArgument, "a bad shuffle address \(address)")
        }
        let host = String(address[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        let fd: Int32
        do { fd = try ShuffleSockets.connect(host: host, port: port) } catch { throw lost("cannot be reached (\(error))") }
        defer { close(fd) }
        try Array("\(run) \(output)\n".utf8).withUnsafeBytes { try ShuffleSockets.writeAll(fd, $0) }
        var length: UInt64 = 0
        guard try withUnsafeMutableBytes(of: &length, { try ShuffleSockets.readExactly(fd, into: $0) }) else { throw lost("closed the connection") }
        length = UInt64(littleEndian: length)
        guard length != .max else { throw lost("is not there (served before, or the worker restarted)") }
        // Piece by piece: a frame's header, then its bytes (never the whole file at once).
        var pieces: [(Int, Table)] = []
        var remaining = Int(length)
        while remaining > 0 {
            var header = [UInt8](repeating: 0, count: 12)
            guard remaining >= 12, try header.withUnsafeMutableBytes({ try ShuffleSockets.readExactly(fd, into: $0) }) else { throw lost("sent a cut-off piece") }
            let input = Int(header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self) })
            let size = Int(header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt64.self) })
            remaining -= 12
            guard size <= remaining else { throw lost("sent a cut-off piece") }
            var bytes = [UInt8](repeating: 0, count: size)
            guard try bytes.withUnsafeMutableBytes({ try ShuffleSockets.readExactly(fd, into: $0) }) else { throw lost("closed the connection mid-transfer") }
            remaining -= size
            pieces.append((input, try ValueCodec.decode(Table.self, from: bytes)))
        }
        return pieces
    }
}
