import Foundation
import LoomCore
import LoomDistributed
import Logging
import Synchronization

/// Starts each worker as an ECS task of the cluster's task definition, its command the worker's
/// (`EXECUTABLE worker ADDRESS --name … --nthreads … --memory-limit … --death-timeout …`).
final class ECSLauncher: WorkerLauncher {
    let ecs: ECSAPI
    let cluster: String
    let taskDefinition: String
    let launchType: String
    let network: ECSAPI.NetworkConfiguration?
    let executable: String
    let threads: Int
    let memoryMiB: Int
    let tags: [ECSAPI.Tag]
    let startedBy: String
    let watcher: ECSTaskWatcher
    let startTimeout: Duration
    var workersPerLaunch: Int { 1 }
    /// RunTask takes bursts (its throttling is retried): twenty workers start together.
    var concurrentLaunches: Int { 16 }
    /// dask-cloudprovider leaves shrinking to Dask's defaults; tasks bill by the second, so
    /// shrink at once but not more than a quarter at a step.
    var adaptiveLimits: AdaptiveLimits { AdaptiveLimits(maximumShrink: 0.25, coolDown: .seconds(10)) }

    init(ecs: ECSAPI, cluster: String, taskDefinition: String, launchType: String, network: ECSAPI.NetworkConfiguration?,
         executable: String, threads: Int, memoryMiB: Int, tags: [ECSAPI.Tag], startedBy: String, watcher: ECSTaskWatcher, startTimeout: Duration) {
        self.ecs = ecs
        self.cluster = cluster
        self.taskDefinition = taskDefinition
        self.launchType = launchType
        self.network = network
        self.executable = executable
        self.threads = threads
        self.memoryMiB = memoryMiB
        self.tags = tags
        self.startedBy = startedBy
        self.watcher = watcher
        self.startTimeout = startTimeout
    }

    func command(worker: String, scheduler: Address) -> [String] {
        [executable, "worker", scheduler.description, "--name", worker, "--nthreads", "\(threads)",
         "--memory-limit", "\(memoryMiB)MiB", "--death-timeout", "60"]
    }

    func launch(name: String, workerNames: [String], scheduler: Address) async throws -> any LaunchedWorkers {
        let worker = workerNames.first ?? name
        let task = try await ecs.runTask(
            cluster: cluster, taskDefinition: taskDefinition, launchType: launchType, network: network,
            override: .init(name: FargateCluster.containerName, command: command(worker: worker, scheduler: scheduler)),
            tags: tags + [ECSAPI.Tag(key: "loom-worker", value: worker)], startedBy: startedBy)
        _ = try await waitUntilRunning(task, what: "worker \(worker)")
        return LaunchedTask(arn: task.taskArn, worker: worker, ecs: ecs, cluster: cluster, watcher: watcher)
    }

    /// The task once RUNNING; until then, one that stops says why (an image that cannot be
    /// pulled, no capacity), and one still pending at `startTimeout` is stopped.
    func waitUntilRunning(_ task: ECSAPI.Task, what: String) async throws -> ECSAPI.Task {
        watcher.track(task)
        let deadline = ContinuousClock.now + startTimeout
        while true {
            // Its own task only: twenty launches at once must not each describe all twenty.
            try await watcher.refresh(only: [task.taskArn])
            let seen = watcher.task(task.taskArn) ?? task
            if seen.lastStatus == "RUNNING" { return seen }
            if seen.lastStatus == "STOPPED" || seen.desiredStatus == "STOPPED" {
                throw LoomError(.configuration, "ECS task \(task.taskArn) of \(what) stopped before it ran: \(seen.stopDescription)")
            }
            guard ContinuousClock.now < deadline else {
                try? await ecs.stopTask(cluster: cluster, task: task.taskArn, reason: "not RUNNING within \(startTimeout)")
                throw LoomError(.configuration, "ECS task \(task.taskArn) of \(what) was not RUNNING within \(startTimeout) (last status \(seen.lastStatus ?? "unknown"))")
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}

/// One worker's task, as the watcher last saw it.
final class LaunchedTask: LaunchedWorkers {
    let arn: String
    let worker: String
    private let ecs: ECSAPI
    private let cluster: String
    private let watcher: ECSTaskWatcher
    private let stopping = Atomic<Bool>(false)

    init(arn: String, worker: String, ecs: ECSAPI, cluster: String, watcher: ECSTaskWatcher) {
        self.arn = arn
        self.worker = worker
        self.ecs = ecs
        self.cluster = cluster
        self.watcher = watcher
    }

    private var stoppedBehindOurBack: ECSAPI.Task? {
        guard !stopping.load(ordering: .relaxed), let task = watcher.task(arn) else { return nil }
        return task.lastStatus == "STOPPED" || task.desiredStatus == "STOPPED" ? task : nil
    }

    /// Why the task stopped, in ECS's words (a spot reclaim, a crash, a `StopTask` by someone else).
    var failure: String? { stoppedBehindOurBack.map { "ECS task \(arn) of worker \(worker) stopped: \($0.stopDescription)" } }

    /// A task stopped by anyone but this cluster is gone for good: adaptive scaling replaces it.
    var hasEnded: Bool { stoppedBehindOurBack != nil }

    func stop() async {
        stopping.store(true, ordering: .relaxed)
        do {
            try await ecs.stopTask(cluster: cluster, task: arn, reason: "Loom retired worker \(worker)")
        } catch {
            Logger.loom("loom.cloud").error("cannot stop ECS task \(arn): \(error)")
        }
    }
}
