import Foundation
import LoomCore
import LoomDistributed
import Logging
import Synchronization

/// Starts each launch as one EC2 instance whose user data starts `workersPerInstance` workers
/// and powers the instance off (so it terminates) once they have all ended.
final class EC2Launcher: WorkerLauncher {
    let ec2: EC2API
    let template: EC2API.Launch
    let executable: String
    let workersPerInstance: Int
    let threads: Int
    let memoryMiB: Int
    let watcher: EC2InstanceWatcher
    let startTimeout: Duration
    var workersPerLaunch: Int { workersPerInstance }
    /// Instances bill by the second after the first minute: shrink at once, a quarter at a step.
    var adaptiveLimits: AdaptiveLimits { AdaptiveLimits(maximumShrink: 0.25, coolDown: .seconds(10)) }
    /// RunInstances takes bursts (its throttling is retried).
    var concurrentLaunches: Int { 16 }

    init(ec2: EC2API, template: EC2API.Launch, executable: String, workersPerInstance: Int, threads: Int, memoryMiB: Int,
         watcher: EC2InstanceWatcher, startTimeout: Duration) {
        self.ec2 = ec2
        self.template = template
        self.executable = executable
        self.workersPerInstance = workersPerInstance
        self.threads = threads
        self.memoryMiB = memoryMiB
        self.watcher = watcher
        self.startTimeout = startTimeout
    }

    /// The boot script: the workers in the background, then, once every one has ended (retired,
    /// or its scheduler gone past `--death-timeout`), the power-off that terminates the instance.
    static func userData(cluster: String, executable: String, workers: [String], scheduler: Address, threads: Int, memoryMiB: Int) -> String {
        let lines = workers.map { worker in
            [executable, "worker", scheduler.description, "--name", worker, "--nthreads", "\(threads)",
             "--memory-limit", "\(memoryMiB)MiB", "--death-timeout", "60"].map { ShellWord.quoted($0) }.joined(separator: " ") + " &"
        }
        return """
            #!/bin/bash
            # Loom cluster \(cluster): \(workers.count) worker(s) of \(scheduler); the instance powers off, and so terminates, once they end.
            \(lines.joined(separator: "\n"))
            wait
            shutdown -h now

            """
    }

    func launch(name: String, workerNames: [String], scheduler: Address) async throws -> any LaunchedWorkers {
        var launch = template
        launch.userData = Self.userData(cluster: template.tags[CloudTags.cluster] ?? name, executable: executable, workers: workerNames,
                                        scheduler: scheduler, threads: threads, memoryMiB: memoryMiB)
        launch.tags["Name"] = name
        launch.tags["loom-workers"] = workerNames.joined(separator: ",")
        launch.clientToken = "\(name)-\(UInt64.random(in: 0...UInt64.max))"
        let instance = try await ec2.runInstance(launch)
        watcher.track(instance)
        let deadline = ContinuousClock.now + startTimeout
        while true {
            try await watcher.refresh(only: [instance.id])
            let seen = watcher.instance(instance.id) ?? instance
            if seen.state == "running" { break }
            if seen.hasEnded {
                throw LoomError(.configuration, "EC2 instance \(instance.id) of \(name) ended before it ran: \(seen.stateReason ?? seen.state)")
            }
            guard ContinuousClock.now < deadline else {
                try? await ec2.terminateInstances([instance.id])
                throw LoomError(.configuration, "EC2 instance \(instance.id) of \(name) was not running within \(startTimeout) (state \(seen.state))")
            }
            try await Task.sleep(for: .milliseconds(500))
        }
        return LaunchedInstance(id: instance.id, launch: name, ec2: ec2, watcher: watcher)
    }
}

/// One launch's instance, as the watcher last saw it.
final class LaunchedInstance: LaunchedWorkers {
    let id: String
    let launch: String
    private let ec2: EC2API
    private let watcher: EC2InstanceWatcher
    private let stopping = Atomic<Bool>(false)

    init(id: String, launch: String, ec2: EC2API, watcher: EC2InstanceWatcher) {
        self.id = id
        self.launch = launch
        self.ec2 = ec2
        self.watcher = watcher
    }

    private var endedBehindOurBack: EC2API.Instance? {
        guard !stopping.load(ordering: .relaxed), let instance = watcher.instance(id), instance.hasEnded else { return nil }
        return instance
    }

    /// Why the instance went, in EC2's words (a Spot interruption, a shutdown from inside).
    var failure: String? { endedBehindOurBack.map { "EC2 instance \(id) of \(launch) is \($0.state): \($0.stateReason ?? "no reason given")" } }

    /// An instance ended by anyone but this cluster is gone for good: adaptive scaling replaces it.
    var hasEnded: Bool { endedBehindOurBack != nil }

    func stop() async {
        stopping.store(true, ordering: .relaxed)
        do {
            try await ec2.terminateInstances([id])
        } catch {
            Logger.loom("loom.cloud").error("cannot terminate EC2 instance \(id): \(error)")
        }
    }
}
