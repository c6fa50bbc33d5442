import Foundation
import LoomCore
import LoomDistributed
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
/// one batch at a time. The output's unpack takes the file from its own process. Pieces and
/// files travel as calls of `ShuffleKernels.receive` and `.serve` on the destination worker,
/// over the connections workers fetch data on (TLS on a TLS cluster; no port of its own). A
/// file is removed once taken: each output is unpacked once per run, and a run that needs it
/// again has lost data and starts anew.
final class ShuffleService: Sendable {
    /// The process's service, started by the first worker's plugin.
    static let shared = Mutex<ShuffleService?>(nil)

    let directory: String
    /// The address of the worker (this process's first) that peers call to reach it.
    let address: String
    /// This worker's calls on its peers.
    let peers: PeerCalls?
    /// Appends to one file at a time (transfer tasks run on several threads), and the runs
    /// released here, latest last: a piece of one that comes late (from a transfer still
    /// running when its computation failed) is dropped, not left on disk for good.
    private let writing = Mutex<ReleasedRuns>(ReleasedRuns())
    private let counts = Mutex(ShuffleStatistics())

    init(directory: String, address: String, peers: PeerCalls?) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        self.directory = directory
        self.address = address
        self.peers = peers
    }

    func stop() { try? FileManager.default.removeItem(atPath: directory) }

    /// The calls on other workers, which a service outside a worker does not have.
    func reachingPeers() throws -> PeerCalls {
        guard let peers else { throw LoomError(.unsupported, "this shuffle service runs outside a worker: it cannot reach other workers") }
        return peers
    }

    /// What this service has done since it started.
    var statistics: ShuffleStatistics { counts.withLock { $0 } }

    private func file(_ run: String, _ output: Int) -> String { "\(directory)/\(run)/\(output).pieces" }

    /// Appends piece `input` of output `output` in `run`.
    func append(run: String, output: Int, input: Int, piece: Table) throws {
        try append(run: run, output: output, input: input, encoded: try ValueCodec.encode(piece)[...])
    }

    /// Appends an encoded piece: the input's index, the encoding's length, the encoding.
    func append(run: String, output: Int, input: Int, encoded: ArraySlice<UInt8>) throws {
        guard Self.isRunName(run) else { throw LoomError(.invalidArgument, "'\(run)' is not a shuffle run's id") }
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

    /// Appends every piece of a pushed batch (`ShuffleBatch`), checked whole first: a garbled
    /// batch is refused, naming where, and leaves nothing on disk.
    func receive(run: String, batch: [UInt8]) throws -> Int {
        let pieces = try ShuffleBatch.pieces(in: batch, run: run)
        for piece in pieces { try append(run: run, output: piece.output, input: piece.input, encoded: batch[piece.bytes]) }
        counts.withLock { $0.piecesReceived += pieces.count }
        return pieces.count
    }

    /// The pieces of output `output` of `run` held here, taken (their file removed); nil when
    /// there is no file (taken before, or never written).
    func take(run: String, output: Int) throws -> [(input: Int, piece: Table)]? {
        guard let taken = takeFile(run: run, output: output) else { return nil }
        defer { unlink(taken) }
        guard let handle = FileHandle(forReadingAtPath: taken) else { return nil }
        defer { try? handle.close() }
        counts.withLock { $0.outputsTaken += 1 }
        let length = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        return try Self.pieces(length: length, lost: { Self.lost(run, output, "its file \($0)") }) { buffer in
            guard let data = try handle.read(upToCount: buffer.count), data.count == buffer.count else { return false }
            data.copyBytes(to: buffer.bindMemory(to: UInt8.self))
            return true
        }
    }

    /// The bytes of output `output`'s file, taken, for an unpack that ran on another worker;
    /// nil when there is none.
    func serve(run: String, output: Int) throws -> [UInt8]? {
        guard let taken = takeFile(run: run, output: output) else { return nil }
        defer { unlink(taken) }
        guard let data = FileManager.default.contents(atPath: taken) else { return nil }
        counts.withLock { $0.outputsServed += 1 }
        return [UInt8](data)
    }

    /// Moves the file out of the way (a piece pushed now starts a new one) and returns where.
    private func takeFile(run: String, output: Int) -> String? {
        guard Self.isRunName(run) else { return nil }
        let path = file(run, output), taken = path + ".taken"
        return writing.withLock { _ in rename(path, taken) == 0 } ? taken : nil
    }

    /// Removes the files of `runs`; the ones that had any.
    func drop(_ runs: [String]) -> [String] {
        writing.withLock { released in
            for run in runs { released.insert(run) }
            return runs.filter { run in
                guard Self.isRunName(run), FileManager.default.fileExists(atPath: "\(directory)/\(run)") else { return false }
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

    /// A run id names a folder: no separators, no dots, not empty.
    private static func isRunName(_ run: String) -> Bool { !run.isEmpty && !run.contains("/") && !run.contains(".") }

    private static func lost(_ run: String, _ output: Int, _ why: String) -> LoomError {
        LoomError(.invalidArgument, "\(FrameShuffling.lostDataMarker): output \(output) of shuffle run \(run): \(why)")
    }

    /// Sends encoded pieces of `run` (by output and input) to the service of the worker at
    /// `address`, in batches of about `batchBytes`: the next batch goes once the receiver has
    /// written the last, so no more than a batch is ever in flight (the back-pressure).
    static func push(to address: String, via peers: PeerCalls, run: String, pieces: [(output: Int, input: Int, encoded: [UInt8])], batchBytes: Int = 8 << 20) async throws {
        var batch = ShuffleBatch()
        for (index, piece) in pieces.enumerated() {
            batch.add(output: piece.output, input: piece.input, encoded: piece.encoded)
            guard batch.bytes.count >= batchBytes || index == pieces.count - 1 else { continue }
            do {
                _ = try await peers.run(ShuffleKernels.receive, run, batch.bytes, on: address)
            } catch {
                throw LoomError(.invalidArgument, "\(FrameShuffling.lostDataMarker): pieces of shuffle run \(run) could not be sent to \(address): \(error)")
            }
            batch = ShuffleBatch()
        }
    }

    /// The pieces of output `output` of `run` that the worker at `address` holds, by input index.
    static func fetch(from address: String, via peers: PeerCalls, run: String, output: Int) async throws -> [(input: Int, piece: Table)] {
        let file: [UInt8]?
        do {
            file = try await peers.run(ShuffleKernels.serve, run, output, on: address)
        } catch {
            throw lost(run, output, "cannot be fetched from \(address): \(error)")
        }
        guard let file else { throw lost(run, output, "is not at \(address) (taken before, or the worker restarted)") }
        var offset = 0
        return try pieces(length: file.count, lost: { lost(run, output, "the file from \(address) \($0)") }) { buffer in
            guard offset + buffer.count <= file.count else { return false }
            file.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + buffer.count])) }
            offset += buffer.count
            return true
        }
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
            guard try bytes.withUnsafeMutableBytes(read) else { throw lost("was cut off") }
            remaining -= size
            pieces.append((input, try ValueCodec.decode(Table.self, from: bytes)))
        }
        return pieces
    }
}

/// Pieces pushed together: each a 16-byte header (its output, its input, its encoding's
/// length, little-endian) and the encoding.
struct ShuffleBatch {
    private(set) var bytes: [UInt8] = []

    mutating func add(output: Int, input: Int, encoded: [UInt8]) {
        withUnsafeBytes(of: UInt32(output).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt32(input).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: UInt64(encoded.count).littleEndian) { bytes += $0 }
        bytes += encoded
    }

    /// Where each piece's encoding lies in `batch`; throws, naming the byte, when it is not a
    /// whole batch.
    static func pieces(in batch: [UInt8], run: String) throws -> [(output: Int, input: Int, bytes: Range<Int>)] {
        var pieces: [(Int, Int, Range<Int>)] = []
        var offset = 0
        while offset < batch.count {
            guard batch.count - offset >= 16 else {
                throw LoomError(.invalidArgument, "a batch of shuffle run \(run) ends inside a piece's header at byte \(offset) of \(batch.count)")
            }
            let (output, input, length) = batch.withUnsafeBytes {
                ($0.loadUnaligned(fromByteOffset: offset, as: UInt32.self), $0.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                 $0.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
            }
            let size = UInt64(littleEndian: length)
            guard size <= UInt64(batch.count - offset - 16) else {
                throw LoomError(.invalidArgument, "a batch of shuffle run \(run) says at byte \(offset) that a piece has \(size) bytes, but \(batch.count - offset - 16) follow")
            }
            pieces.append((Int(UInt32(littleEndian: output)), Int(UInt32(littleEndian: input)), offset + 16..<offset + 16 + Int(size)))
            offset += 16 + Int(size)
        }
        return pieces
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
