import LoomCore
import LoomDistributed
import LoomLocal
import LoomFrame

/// What a transfer task reports: that input `input`'s pieces of `run` reached their outputs'
/// services.
struct ShuffleManifest: Sendable, Codable, Hashable {
    var run: String
    var input: Int
}

/// A worker's shuffle service's counts since it started (`ShuffleKernels.statistics`).
public struct ShuffleStatistics: Sendable, Codable, Hashable {
    /// Pieces other workers pushed to it.
    public var piecesReceived = 0
    /// Output files its own process's unpack tasks took.
    public var outputsTaken = 0
    /// Output files sent to unpack tasks on other workers (those that ran away from their files).
    public var outputsServed = 0
}

/// The peer-to-peer shuffle's task functions (registered by `Loom.bootstrap`).
public enum ShuffleKernels {
    static func service() throws -> ShuffleService {
        guard let service = ShuffleService.shared.withLock({ $0 }) else {
            throw LoomError(.unsupported, "no shuffle service in this process: the peer-to-peer shuffle runs on cluster workers set up by Loom.bootstrap")
        }
        return service
    }

    /// Cuts a partition and pushes every piece to its output's service (`destinations`, one
    /// an output), those for this worker's own service straight into it, the others' to every
    /// destination at once; finishes with a manifest once every piece is on its destination's
    /// disk, so the scheduler holds nothing large and the network works while transfers run.
    static let transfer = TaskFunction("shuffle.transfer") {
        (run: String, cut: PieceCut, boundaries: [Table], destinations: [String], input: Int, program: PartitionProgram, inputs: [Table]) in
        let service = try service()
        let pieces = try cut.cut(try program.run(inputs), into: destinations.count, boundaries: boundaries)
        var remote: [String: [(output: Int, input: Int, encoded: [UInt8])]] = [:]
        for (output, piece) in pieces.enumerated() {
            if destinations[output] == service.address {
                try service.append(run: run, output: output, input: input, piece: piece)
            } else {
                remote[destinations[output], default: []].append((output, input, try ValueCodec.encode(piece)))
            }
        }
        if !remote.isEmpty {
            let peers = try service.reachingPeers()
            try blockingWait { [remote] in
                try await withThrowingDiscardingTaskGroup { group in
                    for (address, encoded) in remote {
                        group.addTask { try await ShuffleService.push(to: address, via: peers, run: run, pieces: encoded) }
                    }
                }
            }
        }
        return ShuffleManifest(run: run, input: input)
    }

    /// Waits for every transfer (as its inputs) and checks they belong to one run.
    static let barrier = TaskFunction("shuffle.barrier") { (run: String, manifests: [ShuffleManifest]) in
        for manifest in manifests where manifest.run != run {
            throw LoomError(.invalidArgument, "shuffle run \(run) got a transfer of run \(manifest.run)")
        }
        return manifests
    }

    /// Output partition `output`: its pieces taken from its destination's service (this
    /// process's own, where it is pinned to run, or another worker's when it ran elsewhere),
    /// in input order, each input's piece once (a transfer that ran again pushed its pieces twice).
    static let unpack = TaskFunction("shuffle.unpack") { (run: String, output: Int, destination: String, manifests: [ShuffleManifest]) -> [Table] in
        let service = try service()
        let pieces: [(input: Int, piece: Table)]
        if destination == service.address {
            guard let taken = try service.take(run: run, output: output) else {
                throw LoomError(.invalidArgument, "\(FrameShuffling.lostDataMarker): output \(output) of shuffle run \(run) is not at \(destination) (taken before, or the worker restarted)")
            }
            pieces = taken
        } else {
            let peers = try service.reachingPeers()
            pieces = try blockingWait { try await ShuffleService.fetch(from: destination, via: peers, run: run, output: output) }
        }
        var byInput: [Int: Table] = [:]
        for (input, piece) in pieces where byInput[input] == nil { byInput[input] = piece }
        let inputs = manifests.map(\.input).sorted()
        let missing = inputs.filter { byInput[$0] == nil }
        guard missing.isEmpty else {
            throw LoomError(.invalidArgument, "\(FrameShuffling.lostDataMarker): output \(output) of shuffle run \(run) has no piece from inputs \(missing)")
        }
        return inputs.map { byInput[$0]! }
    }

    /// Appends a pushed batch of pieces (`ShuffleBatch`) of `run` to this worker's service;
    /// how many it held. Called by transfers on other workers.
    static let receive = TaskFunction("shuffle.receive") { (run: String, batch: [UInt8]) in try service().receive(run: run, batch: batch) }
    /// Output `output`'s file of `run`, taken, for an unpack that ran on another worker; nil
    /// when it is not here.
    static let serve = TaskFunction("shuffle.serve") { (run: String, output: Int) in try service().serve(run: run, output: output) }
    /// This process's shuffle service's address (`client.run` on every worker, to choose
    /// the outputs' destinations).
    static let address = TaskFunction("shuffle.address") { () in try service().address }
    /// Removes what this worker's service holds of `runs` (`client.run` on every worker, when
    /// the computation that lowered them is done); the runs it held.
    static let release = TaskFunction("shuffle.release") { (runs: [String]) in try service().drop(runs) }
    /// The runs this worker's service holds files of.
    static let heldRuns = TaskFunction("shuffle.held-runs") { () in try service().heldRuns }
    /// This worker's service's counts (`client.run(ShuffleKernels.statistics)`).
    public static let statistics = TaskFunction("shuffle.statistics") { () in try service().statistics }

    public static var all: [any TaskFunctionRepresentable] { [transfer, barrier, unpack, receive, serve, address, release, heldRuns, statistics] }
}

/// The shuffle on a cluster, as Dask's P2P in its essentials: each output partition has a
/// destination worker (the services in turn); transfer tasks cut their partition and push
/// every piece to its output's destination in acknowledged batches, finishing once they are on
/// disk there; a barrier waits for every transfer; each output's unpack task takes its file
/// from its destination. Only manifests pass through the scheduler, and a worker holds on
/// disk, not in memory, what it has not unpacked.
public struct P2PShuffler: FrameShuffler {
    /// The services outputs go to, in turn; empty until `prepared(on:)` asked the workers.
    let services: [String]
    /// The workers (addresses) in each service's process: where the outputs it holds unpack.
    let workersByService: [String: [String]]

    public init() { self.init(workersByService: [:]) }
    init(workersByService: [String: [String]]) {
        self.workersByService = workersByService
        services = workersByService.keys.sorted()
    }

    /// This shuffler with the services of `runner`'s workers (one per worker process).
    public func prepared(on runner: any GraphRunner) async throws -> any FrameShuffler {
        guard let client = runner as? Client else { return self }
        var workersByService: [String: [String]] = [:]
        for (worker, service) in try await client.run(ShuffleKernels.address) { workersByService[service, default: []].append(worker) }
        guard !workersByService.isEmpty else { throw LoomError(.unsupported, "no worker runs a shuffle service: the peer-to-peer shuffle needs workers set up by Loom.bootstrap") }
        return P2PShuffler(workersByService: workersByService.mapValues { $0.sorted() })
    }

    public func exchange(_ partitions: [ShuffleInput], cut: PieceCut, cutInputs: [NodeInput], outputs: Int) -> [NodeInput] {
        let run = "run-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        FrameShuffling.lowered(run: run)
        // Outputs spread over the services in turn, from a point that moves with each run.
        let offset = Int.random(in: 0..<Swift.max(1, services.count))
        let destinations = (0..<outputs).map { services.isEmpty ? "" : services[(offset + $0) % services.count] }
        let transfers = partitions.enumerated().map { input, partition in
            task(ShuffleKernels.transfer.erased, "shuffle-transfer",
                 [.literal(run), .literal(cut), .list(cutInputs), .literal(destinations), .literal(input), .literal(partition.program), .list(partition.inputs)])
        }
        let barrier = task(ShuffleKernels.barrier.erased, "shuffle-barrier", [.literal(run), .list(transfers)])
        return (0..<outputs).map { output in
            // Pinned to the workers holding its file, loosely: with them gone it runs elsewhere,
            // finds its file missing and restarts the run, instead of waiting for them forever.
            let holders = workersByService[destinations[output]] ?? []
            return task(ShuffleKernels.unpack.erased, "shuffle-unpack", [.literal(run), .literal(output), .literal(destinations[output]), barrier],
                        placement: holders.isEmpty ? nil : TaskPlacement(workers: holders, allowOtherWorkers: true))
        }
    }

    /// A run's files: removed when served, and here what an unpack never fetched (a run that
    /// restarted, a computation that failed) on every worker still connected.
    public func release(_ runs: [String], on runner: any GraphRunner) async {
        guard let client = runner as? Client else { return }
        _ = try? await client.run(ShuffleKernels.release, runs)
    }

    private func task(_ function: AnyTaskFunction, _ name: String, _ inputs: [NodeInput], placement: TaskPlacement? = nil) -> NodeInput {
        .node(TaskNode(key: Key.unique(prefix: name), function: function, inputs: inputs, placement: placement))
    }
}
