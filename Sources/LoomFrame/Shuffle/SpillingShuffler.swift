import Foundation
import LoomCore
import Synchronization

/// The shuffle on the local schedulers: a transfer task per input cuts its partition and puts
/// the pieces in the process's `ShuffleSpill`, which keeps them in memory while the pieces it
/// holds stay under a limit and writes the rest to files; each output's task takes its pieces
/// back once every transfer is done. So a sort or a merge of more than the machine's memory
/// spills instead of holding every piece — and on the processes scheduler, where the task that
/// takes a piece may run in another process, every piece goes through a file.
public struct SpillingShuffler: FrameShuffler {
    public init() {}

    public func exchange(_ partitions: [ShuffleInput], cut: PieceCut, cutInputs: [NodeInput], outputs: Int) -> [NodeInput] {
        ShuffleSpill.removeStaleOnce()
        let id = "\(getpid())-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let run = ShuffleSpill.Run(id: id, owner: getpid(), memoryLimit: FrameShuffling.localMemoryLimit,
                                   directory: FrameShuffling.localSpillDirectory + "/" + id)
        let transfers = partitions.enumerated().map { input, partition in
            FramePlan.task(ShuffleSpill.put.erased, "shuffle-spill",
                           [.literal(run), .literal(cut), .list(cutInputs), .literal(outputs), .literal(input), .literal(partition.program), .list(partition.inputs)])
        }
        return (0..<outputs).map { output in
            FramePlan.task(ShuffleSpill.take.erased, "shuffle-take", [.literal(run), .literal(output), .list(transfers)])
        }
    }
}

/// A process's pieces of local shuffles: in memory up to each run's limit (only in the process
/// that lowered the plan, where every task of a threads scheduler runs), else one file a piece
/// in the run's folder of `FrameShuffling.localSpillDirectory`. Each piece is taken once; what
/// a failed computation left is dropped when its graph is done (`PartitionValues`).
final class ShuffleSpill: Sendable {
    /// One shuffle: where its files go and how much of it may stay in memory.
    struct Run: Sendable, Codable, Hashable {
        var id: String
        /// The process that lowered the plan.
        var owner: Int32
        var memoryLimit: Int
        var directory: String
    }

    static let shared = ShuffleSpill()

    /// Output partition and input of a piece.
    private struct Piece: Hashable {
        var output: Int, input: Int
    }

    private struct State {
        /// Pieces in memory, by run id.
        var pieces: [String: [Piece: Table]] = [:]
        var held = 0
        var spilled = 0
    }
    private let state = Mutex(State())

    /// How many pieces this process wrote to files (what the tests watch).
    var spilledPieces: Int { state.withLock { $0.spilled } }

    static let put = TaskFunction("frame.shuffle-spill") {
        (run: Run, cut: PieceCut, boundaries: [Table], outputs: Int, input: Int, program: PartitionProgram, inputs: [Table]) in
        for (output, piece) in try cut.cut(try program.run(inputs), into: outputs, boundaries: boundaries).enumerated() {
            try shared.put(piece, run: run, output: output, input: input)
        }
        return input
    }

    /// Output `output`'s pieces, in input order (`inputs` is each transfer's index).
    static let take = TaskFunction("frame.shuffle-take") { (run: Run, output: Int, inputs: [Int]) in
        try inputs.sorted().map { try shared.take(run: run, output: output, input: $0) }
    }

    private static func path(_ run: Run, _ output: Int, _ input: Int) -> String { "\(run.directory)/\(output)-\(input).piece" }

    func put(_ piece: Table, run: Run, output: Int, input: Int) throws {
        let bytes = piece.byteCount
        let kept = getpid() == run.owner && state.withLock { state in
            guard state.held + bytes <= run.memoryLimit else { return false }
            state.pieces[run.id, default: [:]][Piece(output: output, input: input)] = piece
            state.held += bytes
            return true
        }
        if kept { return }
        try FileManager.default.createDirectory(atPath: run.directory, withIntermediateDirectories: true)
        let path = Self.path(run, output, input)
        guard FileManager.default.createFile(atPath: path, contents: Data(try ValueCodec.encode(piece))) else {
            throw LoomError(.invalidArgument, "cannot write the shuffle piece \(path)")
        }
        state.withLock { $0.spilled += 1 }
    }

    func take(run: Run, output: Int, input: Int) throws -> Table {
        let held = state.withLock { state -> Table? in
            guard let piece = state.pieces[run.id]?.removeValue(forKey: Piece(output: output, input: input)) else { return nil }
            state.held -= piece.byteCount
            return piece
        }
        if let held { return held }
        let path = Self.path(run, output, input)
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw LoomError(.invalidArgument, "the piece of input \(input) for output \(output) of local shuffle \(run.id) is missing (\(path))")
        }
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        let piece = try ValueCodec.decode(Table.self, from: try FileBytes.read(handle, path: path, offset: 0, count: size))
        unlink(path)
        return piece
    }

    /// Everything of `runs` still held or on disk.
    func drop(_ runs: Set<Run>) {
        guard !runs.isEmpty else { return }
        state.withLock { state in
            for run in runs {
                if let held = state.pieces.removeValue(forKey: run.id) { state.held -= held.values.reduce(0) { $0 + $1.byteCount } }
            }
        }
        for run in runs { try? FileManager.default.removeItem(atPath: run.directory) }
    }

    private static let staleRemoved = Atomic<Bool>(false)

    /// The files of runs whose process is gone (killed before it could drop them), in the
    /// default spill directory, once per process.
    static func removeStaleOnce() {
        guard !staleRemoved.exchange(true, ordering: .relaxed) else { return }
        let root = FrameShuffling.defaultSpillDirectory
        for run in (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [] {
            guard let owner = Int32(run.prefix { $0 != "-" }), owner != getpid(), kill(owner, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: root + "/" + run)
        }
    }

    /// The runs of local shuffles a graph's tasks belong to.
    static func runs(in graph: TaskGraph) -> Set<Run> {
        var runs = Set<Run>()
        for task in 0..<graph.count where graph.functions[task].name == put.name {
            if case .literal(let value) = graph.inputs[graph.inputRange(of: task).lowerBound], let run = value as? Run { runs.insert(run) }
        }
        return runs
    }
}
