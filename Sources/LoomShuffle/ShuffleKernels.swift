import LoomCore
import LoomDistributed
import LoomLocal
import LoomFrame

/// What a transfer task reports: which worker's service holds input `input`'s pieces of `run`.
struct ShuffleManifest: Sendable, Codable, Hashable {
    var run: String
    var input: Int
    var address: String
}

/// The peer-to-peer shuffle's task functions (registered by `Loom.bootstrap`).
public enum ShuffleKernels {
    static func service() throws -> ShuffleService {
        guard let service = ShuffleService.shared.withLock({ $0 }) else {
            throw LoomError(.unsupported, "no shuffle service in this process: the peer-to-peer shuffle runs on cluster workers set up by Loom.bootstrap")
        }
        return service
    }

    /// Cuts a partition and hands every piece to this worker's service; finishes at once with
    /// a manifest, so the scheduler holds nothing large.
    static let transfer = TaskFunction("shuffle.transfer") {
        (run: String, cut: PieceCut, boundaries: [Table], outputs: Int, input: Int, program: PartitionProgram, inputs: [Table]) in
        let service = try service()
        for (output, piece) in try cut.cut(try program.run(inputs), into: outputs, boundaries: boundaries).enumerated() {
            try service.append(run: run, output: output, input: input, piece: piece)
        }
        return ShuffleManifest(run: run, input: input, address: service.address)
    }

    /// Waits for every transfer (as its inputs) and checks they belong to one run.
    static let barrier = TaskFunction("shuffle.barrier") { (run: String, manifests: [ShuffleManifest]) in
        for manifest in manifests where manifest.run != run {
            throw LoomError(.invalidArgument, "shuffle run \(run) got a transfer of run \(manifest.run)")
        }
        return manifests
    }

    /// Output partition `output`: its pieces fetched from every worker that holds some, in
    /// input order, each input's piece exactly once.
    static let unpack = TaskFunction("shuffle.unpack") { (run: String, output: Int, manifests: [ShuffleManifest]) -> [Table] in
        var byInput: [Int: Table] = [:]
        let holders = Dictionary(grouping: manifests, by: \.address)
        for (address, held) in holders.sorted(by: { $0.key < $1.key }) {
            let expected = Set(held.map(\.input))
            for (input, piece) in try ShuffleService.fetch(from: address, run: run, output: output) where expected.contains(input) && byInput[input] == nil {
                byInput[input] = piece
            }
        }
        guard byInput.count == manifests.count else {
            let missing = manifests.map(\.input).filter { byInput[$0] == nil }
            throw LoomError(.invalidArgument, "\(FrameShuffling.lostDataMarker): output \(output) of shuffle run \(run) has no piece from inputs \(missing)")
        }
        return manifests.map(\.input).sorted().map { byInput[$0]! }
    }

    /// Removes what this worker's service holds of `runs` (`client.run` on every worker, when
    /// the computation that lowered them is done); the runs it held.
    static let release = TaskFunction("shuffle.release") { (runs: [String]) in try service().drop(runs) }
    /// The runs this worker's service holds files of.
    static let heldRuns = TaskFunction("shuffle.held-runs") { () in try service().heldRuns }

    public static var all: [any TaskFunctionRepresentable] { [transfer, barrier, unpack, release, heldRuns] }
}

/// The shuffle on a cluster, as Dask's P2P in its essentials: transfer tasks hand their
/// partition to their worker's shuffle service and finish at once; the service writes each
/// output's pieces to disk; a barrier waits for every transfer; each output's unpack task
/// fetches its pieces from the workers that hold them, over the services' own connections.
/// Only manifests pass through the scheduler, and a worker holds on disk, not in memory, what
/// it has not served.
public struct P2PShuffler: FrameShuffler {
    public init() {}

    public func exchange(_ partitions: [ShuffleInput], cut: PieceCut, cutInputs: [NodeInput], outputs: Int) -> [NodeInput] {
        let run = "run-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        FrameShuffling.lowered(run: run)
        let transfers = partitions.enumerated().map { input, partition in
            task(ShuffleKernels.transfer.erased, "shuffle-transfer",
                 [.literal(run), .literal(cut), .list(cutInputs), .literal(outputs), .literal(input), .literal(partition.program), .list(partition.inputs)])
        }
        let barrier = task(ShuffleKernels.barrier.erased, "shuffle-barrier", [.literal(run), .list(transfers)])
        return (0..<outputs).map { output in task(ShuffleKernels.unpack.erased, "shuffle-unpack", [.literal(run), .literal(output), barrier]) }
    }

    /// A run's files: removed when served, and here what an unpack never fetched (a run that
    /// restarted, a computation that failed) on every worker still connected.
    public func release(_ runs: [String], on runner: any GraphRunner) async {
        guard let client = runner as? Client else { return }
        _ = try? await client.run(ShuffleKernels.release, runs)
    }

    private func task(_ function: AnyTaskFunction, _ name: String, _ inputs: [NodeInput]) -> NodeInput {
        .node(TaskNode(key: Key.unique(prefix: name), function: function, inputs: inputs))
    }
}
