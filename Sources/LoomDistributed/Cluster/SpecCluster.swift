import Foundation
import LoomCore
import Logging
import Synchronization

/// The base every cluster shares (Dask's `SpecCluster`): a scheduler (in this process, or on
/// another host for SSHCluster), and the launches of workers a `WorkerLauncher` starts, kept at
/// the number asked for — by `scale`, or by `adapt`, which follows the work. `LocalCluster`, the
/// batch-job clusters, SSHCluster and the Kubernetes cluster differ only in their launcher.
///
/// Scaling down retires workers gracefully: the scheduler copies the values only they hold to
/// staying workers first, so nothing is recomputed; a worker whose data has nowhere to go stays.
public final class SpecCluster: Sendable {
    public let schedulerAddress: Address
    public let scheduler: any ClusterScheduler
    public let launcher: any WorkerLauncher
    /// Prefix of launch and worker names.
    public let name: String
    /// What runs as long as the cluster: the scheduler (when it is this process's), adaptive
    /// scaling, and whatever its launcher and its owner start there (workers in this process,
    /// a batch system's polling).
    package let tasks: ClusterTasks
    /// The scheduler's run, when it is this process's (nil for a remote one).
    private let schedulerSession: ClusterTask?
    /// How long `scale` waits for the workers it started to join.
    public let startTimeout: Duration
    private let launches = Mutex<[Launch]>([])
    /// The workers the last `scale` asked for, which `restore` returns to.
    private let requested = Mutex<Int?>(nil)
    private let nextLaunch = Atomic<Int>(0)
    private let adaptive = Mutex<(task: ClusterTask, options: AdaptiveOptions)?>(nil)
    /// One scaling operation at a time: they await the scheduler and the launcher midway.
    private let scaling = OneAtATime()
    private let logger = Logger.loom("loom.cluster")

    /// One launch: its name, its workers' names, and what stops it (nil while starting).
    struct Launch: Sendable {
        var name: String
        var workerNames: [String]
        var started: (any LaunchedWorkers)?
    }

    /// Starts the scheduler (no workers yet; call `scale` or `adapt`) with `plugins` besides
    /// the process's defaults (`DefaultSchedulerPlugins`).
    public convenience init(name: String, launcher: any WorkerLauncher, scheduler options: SchedulerOptions,
                            plugins: [any SchedulerPlugin] = [], startTimeout: Duration = .seconds(60)) async throws {
        try await self.init(name: name, launcher: launcher, scheduler: options, plugins: plugins, startTimeout: startTimeout, tasks: ClusterTasks())
    }

    /// With `tasks` its launcher shares (one that runs workers in this process); `close()` closes them.
    package init(name: String, launcher: any WorkerLauncher, scheduler options: SchedulerOptions,
                 plugins: [any SchedulerPlugin] = [], startTimeout: Duration = .seconds(60), tasks: ClusterTasks) async throws {
        self.name = name
        self.launcher = launcher
        self.startTimeout = startTimeout
        self.tasks = tasks
        let server = try SchedulerServer(options: options, plugins: plugins)
        scheduler = server
        let (bound, announce) = AsyncStream.makeStream(of: Result<Address, any Error>.self)
        schedulerSession = tasks.start {
            do {
                try await server.run { announce.yield(.success($0)) }
            } catch {
                announce.yield(.failure(error))
            }
            announce.finish()
        }
        var iterator = bound.makeAsyncIterator()
        do {
            guard let address = try await iterator.next()?.get() else { throw TransportError("the scheduler stopped while starting") }
            schedulerAddress = address
        } catch {
            await tasks.close()
            throw error
        }
    }

    /// For a scheduler that runs elsewhere, at `address` (its process is the caller's to stop
    /// after `close`).
    public init(name: String, launcher: any WorkerLauncher, running scheduler: any ClusterScheduler, at address: Address,
                startTimeout: Duration = .seconds(60)) {
        self.name = name
        self.launcher = launcher
        self.startTimeout = startTimeout
        self.scheduler = scheduler
        schedulerAddress = address
        tasks = ClusterTasks()
        schedulerSession = nil
    }

    /// Names of the workers started or starting, and not stopped.
    public var workerNames: [String] { launches.withLock { $0.flatMap(\.workerNames) } }

    /// What each launch is (for launchers that expose more, like nannies or job ids).
    public var launched: [any LaunchedWorkers] { launches.withLock { $0.compactMap(\.started) } }

    /// Starts or retires workers until there are `workers` (rounded up to whole launches);
    /// with `wait`, returns once the scheduler sees them all.
    public func scale(_ workers: Int, wait: Bool = true) async throws {
        try await scaling.run { try await scaleNow(workers, wait: wait) }
    }

    private func scaleNow(_ workers: Int, wait: Bool) async throws {
        requested.withLock { $0 = max(0, workers) }
        forgetEndedLaunches()
        let perLaunch = max(1, launcher.workersPerLaunch)
        let wanted = (max(0, workers) + perLaunch - 1) / perLaunch
        let current = launches.withLock { $0.count }
        if wanted < current {
            let target = wanted * perLaunch
            let order = await scheduler.workersToClose(target: target, groups: launchOfWorker)
            let connected = Set(await scheduler.connectedWorkerNames)
            await retire(launchesToClose(count: current - wanted, order: order, connected: connected))
            return
        }
        try await launch(count: wanted - current)
        if wait { try await waitForWorkers(wanted * perLaunch) }
    }

    /// The launch each worker belongs to, by name.
    private var launchOfWorker: [String: String] {
        launches.withLock { list in
            Dictionary(list.flatMap { launch in launch.workerNames.map { ($0, launch.name) } }) { first, _ in first }
        }
    }

    /// `count` launches to close: those none of whose workers has joined first (a job still
    /// queued), then in `order` (the scheduler's preference), then the newest.
    private func launchesToClose(count: Int, order: [String], connected: Set<String>) -> [String] {
        let all = launches.withLock { $0 }
        let rank = Dictionary(order.enumerated().map { ($1, $0) }) { first, _ in first }
        func key(_ launch: Launch) -> (joined: Bool, rank: Int) {
            (launch.workerNames.contains(where: connected.contains), launch.workerNames.compactMap { rank[$0] }.min() ?? .max)
        }
        let ranked = all.enumerated().sorted { lhs, rhs in
            let left = key(lhs.element), right = key(rhs.element)
            if left.joined != right.joined { return !left.joined }
            if left.rank != right.rank { return left.rank < right.rank }
            return lhs.offset > rhs.offset
        }
        return ranked.prefix(count).map(\.element.name)
    }

    /// Retires the launches gracefully. With `keepingData`, a launch whose workers hold values
    /// that could not be copied elsewhere stays (adaptive scaling); without, it goes anyway once
    /// copies were attempted (an explicit `scale`, as Dask does).
    private func retire(_ names: [String], keepingData: Bool = false) async {
        guard !names.isEmpty else { return }
        let chosen = launches.withLock { list in
            defer { list.removeAll { names.contains($0.name) } }
            return list.filter { names.contains($0.name) }
        }
        let connected = Set(await scheduler.connectedWorkerNames)
        // Kept, a launch's workers stay together (a batch job runs until all have left); going
        // anyway, each worker whose data could move leaves gracefully.
        let joined = chosen.map { $0.workerNames.filter(connected.contains) }
        let retired = Set(await scheduler.retire(groups: keepingData ? joined : joined.flatMap { $0.map { [$0] } }, timeout: .seconds(30)))
        var kept: [Launch] = []
        for launch in chosen {
            if !keepingData || launch.workerNames.allSatisfy({ retired.contains($0) || !connected.contains($0) }) {
                await launch.started?.stop()
            } else {
                kept.append(launch)
            }
        }
        if !kept.isEmpty {
            logger.info("kept workers whose data has nowhere to go", metadata: ["launches": "\(kept.map(\.name))"])
            launches.withLock { $0 += kept }
        }
    }

    /// Starts `count` launches, `launcher.concurrentLaunches` at a time; the first failure is
    /// thrown and the launches still starting are cancelled.
    private func launch(count: Int) async throws {
        let width = min(max(1, launcher.concurrentLaunches), count)
        guard width > 1 else {
            for _ in 0..<count { try await launchOne() }
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<width { group.addTask { try await self.launchOne() } }
            var started = width
            while try await group.next() != nil, started < count {
                group.addTask { try await self.launchOne() }
                started += 1
            }
            try await group.waitForAll()
        }
    }

    private func launchOne() async throws {
        let index = nextLaunch.add(1, ordering: .relaxed).oldValue
        let launchName = "\(name)-\(index)"
        let perLaunch = max(1, launcher.workersPerLaunch)
        let names = perLaunch == 1 ? [launchName] : (0..<perLaunch).map { "\(launchName)-\($0)" }
        launches.withLock { $0.append(Launch(name: launchName, workerNames: names)) }
        do {
            let started = try await launcher.launch(name: launchName, workerNames: names, scheduler: schedulerAddress)
            let stillWanted = launches.withLock { list in
                guard let index = list.firstIndex(where: { $0.name == launchName }) else { return false }
                list[index].started = started
                if let named = started.workerNames { list[index].workerNames = named }
                return true
            }
            if !stillWanted { await started.stop() }  // retired while it was starting
        } catch {
            launches.withLock { $0.removeAll { $0.name == launchName } }
            throw error
        }
    }

    /// Waits until `count` workers joined; throws what keeps them from joining — a launch's
    /// failure (a pod that cannot start, a job that failed) — instead of waiting on, or after
    /// `timeout` (by default `startTimeout`).
    public func waitForWorkers(_ count: Int, timeout: Duration? = nil) async throws {
        let timeout = timeout ?? startTimeout
        let deadline = ContinuousClock.now + timeout
        while await scheduler.workerCount < count {
            if let failure = launched.lazy.compactMap(\.failure).first { throw LoomError(.workerDied, failure) }
            guard ContinuousClock.now < deadline else {
                throw LoomError(.timeout, "only \(await scheduler.workerCount) of \(count) workers joined within \(timeout)")
            }
            // Each look at a remote scheduler (SSHCluster's) is a round trip.
            try await Task.sleep(for: scheduler is SchedulerServer ? .milliseconds(5) : .milliseconds(100))
        }
    }

    /// Starts launches in place of those that ended (a pod deleted behind the cluster's back),
    /// back to the number the last `scale` asked for; returns how many it started. While
    /// adapting it does nothing: adaptive scaling replaces what the work needs.
    @discardableResult
    public func restore() async throws -> Int {
        try await scaling.run {
            forgetEndedLaunches()
            guard adaptive.withLock({ $0 == nil }), let requested = requested.withLock({ $0 }) else { return 0 }
            let perLaunch = max(1, launcher.workersPerLaunch)
            let missing = (requested + perLaunch - 1) / perLaunch - launches.withLock { $0.count }
            try await launch(count: max(0, missing))
            return max(0, missing)
        }
    }

    // MARK: Adaptive scaling

    /// Follows the work between `minimum` and `maximum` workers (Dask's `adapt`): every
    /// `interval` the scheduler says how many workers the work calls for; more start at once,
    /// idle ones retire after `waitCount` recommendations in a row. Replaces an earlier `adapt`;
    /// `scale` does not stop it. Launches of several workers (batch jobs) count whole: the
    /// minimum rounds up to whole launches, the maximum down but never below the minimum.
    public func adapt(_ options: AdaptiveOptions) {
        let perLaunch = max(1, launcher.workersPerLaunch)
        let inLaunches = AdaptiveOptions(
            minimum: (options.minimum + perLaunch - 1) / perLaunch, maximum: options.maximum / perLaunch,
            targetDuration: options.targetDuration, interval: options.interval, waitCount: options.waitCount,
            maximumShrink: options.maximumShrink, coolDown: options.coolDown)
        let task = tasks.start { [weak self] in
            var policy = AdaptivePolicy(options: inLaunches)
            while !Task.isCancelled {
                try? await Task.sleep(for: options.interval)
                guard let self, !Task.isCancelled else { return }
                await self.adaptOnce(&policy)
            }
        }
        adaptive.withLock { current in
            current?.task.cancel()
            current = (task, options)
        }
    }

    /// Stops adaptive scaling; the workers stay as they are (and `restore` keeps them so).
    public func stopAdapting() {
        adaptive.withLock { current in
            current?.task.cancel()
            current = nil
        }
        let count = launches.withLock { $0.count } * max(1, launcher.workersPerLaunch)
        requested.withLock { $0 = count }
    }

    /// The adaptive settings in force, if adapting.
    public var adaptiveOptions: AdaptiveOptions? { adaptive.withLock { $0?.options } }

    /// Launches whose workers are gone for good (a batch job past its walltime) no longer count.
    private func forgetEndedLaunches() {
        let ended = launches.withLock { list in
            defer { list.removeAll { $0.started?.hasEnded == true } }
            return list.filter { $0.started?.hasEnded == true }.map(\.name)
        }
        if !ended.isEmpty { logger.info("launches ended", metadata: ["launches": "\(ended)"]) }
    }

    /// One round of adaptive scaling, counted in launches: a batch job running several workers
    /// is started and retired whole, so the target is rounded up to whole launches.
    private func adaptOnce(_ policy: inout AdaptivePolicy) async {
        await scaling.run { forgetEndedLaunches() }
        let perLaunch = max(1, launcher.workersPerLaunch)
        let launchOf = launchOfWorker
        let targetWorkers = await scheduler.adaptiveTarget(targetDuration: policy.options.targetDuration, groups: launchOf)
        let wanted = (targetWorkers + perLaunch - 1) / perLaunch
        let target = policy.bounded(wanted)
        let planned = launches.withLock { $0 }
        let connected = Set(await scheduler.connectedWorkerNames)
        let notYetArrived = planned.filter { !$0.workerNames.allSatisfy(connected.contains) }.map(\.name)
        var closable: [String] = []
        if target < planned.count {
            for worker in await scheduler.workersToClose(target: target * perLaunch, groups: launchOf) {
                if let launch = launchOf[worker], !closable.contains(launch) { closable.append(launch) }
            }
        }
        switch policy.recommend(target: wanted, planned: planned.count, notYetArrived: notYetArrived, closable: closable) {
        case .same:
            break
        case .up(let count):
            logger.info("adaptive: scaling up", metadata: ["workers": "\(count * perLaunch)", "target": "\(targetWorkers)"])
            do {
                try await scale(count * perLaunch, wait: false)
            } catch {
                logger.error("adaptive: could not start workers: \(error)")
            }
            policy.changed()
        case .down(let names):
            logger.info("adaptive: retiring", metadata: ["launches": "\(names)", "target": "\(targetWorkers)"])
            await scaling.run { await retire(names, keepingData: true) }
            policy.changed()
        }
    }

    /// Stops adapting, every worker and the scheduler; no process is left behind.
    public func close() async {
        let adapting = adaptive.withLock { current in
            defer { current = nil }
            return current?.task
        }
        await adapting?.stop()
        // After any scaling under way, so no launch it holds escapes.
        let all = await scaling.run {
            launches.withLock { list in
                defer { list.removeAll() }
                return list
            }
        }
        for launch in all { await launch.started?.stop() }
        await schedulerSession?.stop()
        await tasks.close()
    }
    // Dropped without close(): its tasks' deinit cancels them all.
}
