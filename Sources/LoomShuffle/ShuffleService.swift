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

/// A worker's side of the peer-to-peer shuffle, one per process. Each output partition of a
/// run has one destination service; transfer tasks push every piece to its output's
/// destination (in batches, each acknowledged once on disk before the next is sent), and the
/// service appends it to one file per (run, output) in the worker's directory — memory holds
/// one piece at a time. The output's unpack takes the file: from this process directly, or
/// from another worker over the service's own TCP port. A file is removed once taken: each
/// output is unpacked once per run, and a run that needs it again has lost data and starts anew.
final class ShuffleService: Sendable {
    /// The process's service, started by the first worker's plugin.
    static let shared = Mutex<ShuffleService?>(nil)

    let directory: String
    /// `host:port` where peers fetch from it.
    let address: String
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)
    /// Appends to one file at a time (transfer tasks run on several threads), and the runs
    /// released here, latest last: a piece of one that comes late (from a transfer still
    /// running when its computation failed) is dropped, not left on disk for good.
    private let writing = Mutex<ReleasedRuns>(ReleasedRuns())
    private let counts = Mutex(ShuffleStatistics())

    /// What this service has done since it started.
    var statistics: ShuffleStatistics { counts.withLock { $0 } }

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

    /// Appends piece `input` of output `output` in `run`.
    func append(run: String, output: Int, input: Int, piece: Table) throws {
        try append(run: run, output: output, input: input, encoded: try ValueCodec.encode(piece))
    }

    /// Appends an encoded piece: the input's index, the encoding's length, the encoding.
    func append(run: String, output: Int, input: Int, encoded: [UInt8]) throws {
        var frame = [UInt8]()
        frame.reserveCapacity(12 + encoded.count)
        withUnsafeBytes(of: UInt32(input).littleEndian) { frame += $0 }
        withUnsafeBytes(of: UInt64(encoded.count).littleEndian) { frame += $0 }
        frame += encoded
        let path = file(run, output)
        try writing.withLock { released in
            guard !released.contains(run) else { return }
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

    /// The pieces of output `output` of `run` held here, taken (their file removed); nil when
    /// there is no file (taken before, or never written).
    func take(run: String, output: Int) throws -> [(input: Int, piece: Table)]? {
        let path = file(run, output), taken = path + ".taken"
        guard writing.withLock({ _ in rename(path, taken) == 0 }) else { return nil }
        defer { unlink(taken) }
        guard let handle = FileHandle(forReadingAtPath: taken) else { return nil }
        defer { try? handle.close() }
        counts.withLock { $0.outputsTaken += 1 }
        let length = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        return try Self.pieces(length: length, lost: { LoomError(.invalidArgument, "\(FrameShuffling.lostDataMarker): output \(output) of shuffle run \(run): its file \($0)") }) { buffer in
            guard let data = try handle.read(upToCount: buffer.count), data.count == buffer.count else { return false }
            data.copyBytes(to: buffer.bindMemory(to: UInt8.self))
            return true
        }
    }

    /// Removes the files of `runs`; the ones that had any.
    func drop(_ runs: [String]) -> [String] {
        writing.withLock { released in
            for run in runs { released.insert(run) }
            return runs.filter { run in
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

    /// One request a connection: `get RUN OUTPUT\n`, answered by the file's length (all ones
    /// when it is not there) and its bytes; or `put RUN\n` and pieces (`ShuffleFrame`), each
    /// appended as it comes, a sync answered once all before it are on disk.
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
        let parts = String(decoding: request, as: UTF8.self).split(separator: " ").map(String.init)
        guard parts.count >= 2, !parts[1].contains("/"), !parts[1].contains(".") else { return }
        do {
            switch (parts[0], parts.count) {
            case ("get", 3): if let output = Int(parts[2]) { try send(run: parts[1], output: output, to: connection) }
            case ("put", 2): try receive(run: parts[1], from: connection)
            default: return
            }
        } catch {
            return
        }
    }

    private func send(run: String, output: Int, to connection: Int32) throws {
        let path = file(run, output)
        // Taken out of the way first: a piece pushed now starts a new file, and the served one
        // goes once sent.
        let serving = path + ".serving"
        let moved = writing.withLock { _ in rename(path, serving) == 0 }
        defer { if moved { unlink(serving) } }
        guard moved, let handle = FileHandle(forReadingAtPath: serving) else {
            try withUnsafeBytes(of: UInt64.max.littleEndian) { try ShuffleSockets.writeAll(connection, $0) }
            return
        }
        defer { try? handle.close() }
        counts.withLock { $0.outputsServed += 1 }
        let size = UInt64(try handle.seekToEnd())
        try withUnsafeBytes(of: size.littleEndian) { try ShuffleSockets.writeAll(connection, $0) }
        try handle.seek(toOffset: 0)
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            try chunk.withUnsafeBytes { try ShuffleSockets.writeAll(connection, $0) }
        }
    }

    private func receive(run: String, from connection: Int32) throws {
        while true {
            var header = ShuffleFrame.Header()
            guard try withUnsafeMutableBytes(of: &header, { try ShuffleSockets.readExactly(connection, into: $0) }) else { return }
            switch header.kind {
            case .piece(let output, let input, let length):
                guard length <= ShuffleFrame.largestPiece else { return }
                // A megabyte at a time: memory grows with the bytes that came, not with what a
                // header claims (a garbled one costs its connection, not a huge allocation).
                var encoded: [UInt8] = []
                while encoded.count < length {
                    var part = [UInt8](repeating: 0, count: min(1 << 20, length - encoded.count))
                    guard try part.withUnsafeMutableBytes({ try ShuffleSockets.readExactly(connection, into: $0) }) else { return }
                    encoded += part
                }
                try append(run: run, output: output, input: input, encoded: encoded)
                counts.withLock { $0.piecesReceived += 1 }
            case .sync:
                try [UInt8(ascii: "k")].withUnsafeBytes { try ShuffleSockets.writeAll(connection, $0) }
            case .end:
                try [UInt8(ascii: "k")].withUnsafeBytes { try ShuffleSockets.writeAll(connection, $0) }
                return
            }
        }
    }

    /// Sends encoded pieces of `run` (by output and input) to the service at `address`, in
    /// batches of about `batchBytes`: after each, the sender waits until the receiver has
    /// written it, so no more than a batch is ever in flight (the back-pressure).
    static func push(to address: String, run: String, pieces: [(output: Int, input: Int, encoded: [UInt8])], batchBytes: Int = 8 << 20) throws {
        func lost(_ why: String) -> LoomError {
            LoomError(.invalidArgument, "\(FrameShuffling.lostDataMarker): pieces of shuffle run \(run) for \(address) \(why)")
        }
        let fd: Int32
        do { fd = try connect(to: address) } catch { throw lost("cannot be sent: the worker cannot be reached (\(error))") }
        defer { close(fd) }
        func acknowledged(after header: ShuffleFrame.Header) throws {
            try withUnsafeBytes(of: header) { try ShuffleSockets.writeAll(fd, $0) }
            var answer: UInt8 = 0
            guard try withUnsafeMutableBytes(of: &answer, { try ShuffleSockets.readExactly(fd, into: $0) }), answer == UInt8(ascii: "k") else {
                throw lost("were not acknowledged: the worker closed the connection")
            }
        }
        do {
            try Array("put \(run)\n".utf8).withUnsafeBytes { try ShuffleSockets.writeAll(fd, $0) }
            var unacknowledged = 0
            for piece in pieces {
                try withUnsafeBytes(of: ShuffleFrame.Header(output: piece.output, input: piece.input, length: piece.encoded.count)) { try ShuffleSockets.writeAll(fd, $0) }
                try piece.encoded.withUnsafeBytes { try ShuffleSockets.writeAll(fd, $0) }
                unacknowledged += piece.encoded.count
                if unacknowledged >= batchBytes {
                    try acknowledged(after: .sync)
                    unacknowledged = 0
                }
            }
            try acknowledged(after: .end)
        } catch let error as LoomError where FrameShuffling.lostShuffleData(error) {
            throw error
        } catch {
            throw lost("could not be sent (\(error))")
        }
    }

    /// The pieces of output `output` of `run` that the worker at `address` holds, by input index.
    static func fetch(from address: String, run: String, output: Int) throws -> [(input: Int, piece: Table)] {
        func lost(_ why: String) -> LoomError {
            LoomError(.invalidArgument, "\(FrameShuffling.lostDataMarker): output \(output) of shuffle run \(run) at \(address) \(why)")
        }
        let fd: Int32
        do { fd = try connect(to: address) } catch { throw lost("cannot be reached (\(error))") }
        defer { close(fd) }
        try Array("get \(run) \(output)\n".utf8).withUnsafeBytes { try ShuffleSockets.writeAll(fd, $0) }
        var length: UInt64 = 0
        guard try withUnsafeMutableBytes(of: &length, { try ShuffleSockets.readExactly(fd, into: $0) }) else { throw lost("closed the connection") }
        length = UInt64(littleEndian: length)
        guard length != .max else { throw lost("is not there (taken before, or the worker restarted)") }
        return try pieces(length: Int(length), lost: lost) { try ShuffleSockets.readExactly(fd, into: $0) }
    }

    /// A file's pieces, read frame by frame through `read` (never the whole file at once).
    private static func pieces(length: Int, lost: (String) -> LoomError, read: (UnsafeMutableRawBufferPointer) throws -> Bool) throws -> [(input: Int, piece: Table)] {
        var pieces: [(Int, Table)] = []
        var remaining = length
        while remaining > 0 {
            var header = [UInt8](repeating: 0, count: 12)
            guard remaining >= 12, try header.withUnsafeMutableBytes(read) else { throw lost("was cut off") }
            let input = Int(UInt32(littleEndian: header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 0, as: UInt32.self) }))
            let size = Int(UInt64(littleEndian: header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 4, as: UInt64.self) }))
            remaining -= 12
            guard size <= remaining else { throw lost("was cut off") }
            var bytes = [UInt8](repeating: 0, count: size)
            guard try bytes.withUnsafeMutableBytes(read) else { throw lost("closed the connection mid-transfer") }
            remaining -= size
            pieces.append((input, try ValueCodec.decode(Table.self, from: bytes)))
        }
        return pieces
    }

    private static func connect(to address: String) throws -> Int32 {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) else {
            throw LoomError(.invalidArgument, "a bad shuffle address \(address)")
        }
        let host = String(address[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        return try ShuffleSockets.connect(host: host, port: port)
    }
}

/// What a push sends after `put RUN\n`: a 16-byte header a piece (its output, its input, its
/// encoding's length, little-endian) then the encoding; or a header asking for a sync (an
/// answer once everything before it is on disk) or marking the end.
enum ShuffleFrame {
    /// A piece larger than this is refused as garbage (a partition of a gigabyte is cut in
    /// many pieces; one piece this large is not a shuffle's).
    static let largestPiece = 1 << 32

    struct Header {
        var output: UInt32 = 0, input: UInt32 = 0, length: UInt64 = 0

        init() {}

        init(output: Int, input: Int, length: Int) {
            (self.output, self.input, self.length) = (UInt32(output).littleEndian, UInt32(input).littleEndian, UInt64(length).littleEndian)
        }

        private init(control: UInt64) { (output, length) = (UInt32.max, control.littleEndian) }
        static let sync = Header(control: 0)
        static let end = Header(control: 1)

        enum Kind { case piece(output: Int, input: Int, length: Int), sync, end }

        var kind: Kind {
            let output = UInt32(littleEndian: output), length = UInt64(littleEndian: length)
            guard output == .max else { return .piece(output: Int(output), input: Int(UInt32(littleEndian: input)), length: Int(clamping: length)) }
            return length == 0 ? .sync : .end
        }
    }
}

/// The last few thousand runs a service released (a run id is a few dozen bytes; a transfer
/// comes late by seconds, not by thousands of shuffles).
struct ReleasedRuns {
    private var order: [String] = []
    private var members: Set<String> = []

    func contains(_ run: String) -> Bool { members.contains(run) }

    mutating func insert(_ run: String) {
        guard members.insert(run).inserted else { return }
        order.append(run)
        if order.count > 4096 {
            members.remove(order.removeFirst())
        }
    }
}
