import Foundation

/// Runs one bound pod, as the kubelet's pod worker does: makes its network namespace, starts
/// each container whose image is known (the others wait in ImagePullBackOff), reports every
/// change of state to the store, restarts containers as `restartPolicy` says (with
/// CrashLoopBackOff), kills them at their memory limit (OOMKilled), and on deletion sends
/// SIGTERM, then SIGKILL when the grace period is over, and removes the pod.
///
/// It lives in one task and is driven by `Control` messages only (process exits, timers,
/// deletions), so its state needs no lock.
final class PodWorker {
    enum Control: Sendable {
        case exited(index: Int, run: Int, status: Int32, signal: Int32?)
        /// The pod has a deletionTimestamp: stop by then.
        case terminate(deadline: Date)
        /// The pod is gone from the store: kill everything now.
        case kill
        case retry(index: Int)
        case deadline
        case checkMemory
    }

    private enum Outcome { case running, finished }

    let context: KubeletContext
    let key: ObjectKey
    let uid: String
    var pod: JSON
    private let control: AsyncStream<Control>
    private let continuation: AsyncStream<Control>.Continuation
    private var report: PodStatusReport
    private var sandbox: PodNetwork.Sandbox?
    /// Each container's number of starts, to tell a current process's exit from an older one's.
    private var runs: [Int]
    private var deadline: Date?
    private let live = LiveProcesses()
    private var terminating: Bool { deadline != nil }

    init(context: KubeletContext, pod: JSON, control: AsyncStream<Control>, continuation: AsyncStream<Control>.Continuation) {
        self.context = context
        self.pod = pod
        self.control = control
        self.continuation = continuation
        uid = pod["metadata"]["uid"].string ?? ""
        key = ObjectKey(resource: "pods", namespace: pod["metadata"]["namespace"].string ?? "", name: pod["metadata"]["name"].string ?? "")
        let containers = (pod["spec"]["containers"].array ?? []).map { ContainerState(name: $0["name"].string ?? "", image: $0["image"].string ?? "") }
        report = PodStatusReport(hostIP: context.network.nodeAddress, containers: containers)
        runs = Array(repeating: 0, count: containers.count)
    }

    private var specs: [JSON] { pod["spec"]["containers"].array ?? [] }

    func run() async {
        await withDiscardingTaskGroup { group in
            if start(&group) == .running, await setUp(&group) == .running {
                for await message in control {
                    if await handle(message, &group) == .finished { break }
                }
            }
            group.cancelAll()
        }
        // Also when the stand-in shuts down (this task cancelled): nothing of the pod stays.
        live.killAll()
        if let sandbox {
            await context.network.removeSandbox(sandbox)
            self.sandbox = nil
        }
        try? FileManager.default.removeItem(atPath: Volumes.directory(context, uid: uid))
    }

    private func start(_ group: inout DiscardingTaskGroup) -> Outcome {
        for (index, spec) in specs.enumerated() where context.image(spec["image"].string ?? "") == nil {
            report.containers[index].state = .waiting(reason: "ErrImagePull", message: "failed to pull and unpack image \"\(spec["image"].string ?? "")\": not found")
            after(.seconds(1), .retry(index: index), &group)
        }
        guard publish() else { return .finished }
        return .running
    }

    /// The sandbox, then every container whose image is known.
    private func setUp(_ group: inout DiscardingTaskGroup) async -> Outcome {
        do {
            sandbox = try await context.network.addSandbox()
            report.podIP = sandbox?.address
        } catch {
            for index in report.containers.indices where !report.containers[index].isTerminated {
                report.containers[index].state = .waiting(reason: "ContainerCreating", message: "failed to set up the pod network: \(error)")
            }
            return finish(phase: "Failed")
        }
        for index in specs.indices where context.image(specs[index]["image"].string ?? "") != nil { launch(index, &group) }
        startMemoryWatch(&group)
        return await settle()
    }

    private func handle(_ message: Control, _ group: inout DiscardingTaskGroup) async -> Outcome {
        switch message {
        case .exited(let index, let run, let status, let signal):
            guard run == runs[index], report.containers[index].pid != nil else { return .running }
            exited(index, status: status, signal: signal, &group)
        case .retry(let index):
            if !terminating, case .waiting = report.containers[index].state {
                if context.image(specs[index]["image"].string ?? "") == nil {
                    report.containers[index].state = .waiting(reason: "ImagePullBackOff", message: "Back-off pulling image \"\(specs[index]["image"].string ?? "")\"")
                } else {
                    launch(index, &group)
                }
            }
        case .terminate(let deadline):
            guard self.deadline.map({ deadline < $0 }) ?? true else { return .running }
            let first = self.deadline == nil
            self.deadline = deadline
            if first { await signalAll(SIGTERM) }
            after(.seconds(max(0, deadline.timeIntervalSinceNow)), .deadline, &group)
        case .deadline:
            if let deadline, deadline.timeIntervalSinceNow <= 0.01 { await signalAll(SIGKILL) }
        case .kill:
            await signalAll(SIGKILL)
            return .finished
        case .checkMemory:
            checkMemory()
        }
        return await settle()
    }

    /// After any change: the pod's removal once a deletion has stopped every container, its
    /// final phase once all have ended for good, else the new status.
    private func settle() async -> Outcome {
        if terminating && !report.containers.contains(where: \.isRunning) {
            // Terminal before it goes, as kubelets since 1.27 report it.
            if report.containers.allSatisfy(\.isTerminated) { report.phase = report.containers.allSatisfy(\.succeeded) ? "Succeeded" : "Failed" }
            _ = publish()
            if let sandbox { await context.network.removeSandbox(sandbox) }
            sandbox = nil
            context.store.remove(key, uid: uid)
            return .finished
        }
        if !terminating && isDone { return finish(phase: report.containers.allSatisfy(\.succeeded) ? "Succeeded" : "Failed") }
        report.phase = phase
        return publish() ? .running : .finished
    }

    private func launch(_ index: Int, _ group: inout DiscardingTaskGroup) {
        guard let sandbox else { return }
        let spec = specs[index]
        let image = context.image(spec["image"].string ?? "")
        let environmentContext = ContainerEnvironment.Context(
            pod: pod, podIP: sandbox.address, hostIP: context.network.nodeAddress, nodeName: context.node.name,
            nodeCPU: context.node.cpu, nodeMemory: context.node.memoryBytes, apiPort: context.apiPort,
            services: context.store.list("services", namespace: key.namespace).items,
            secrets: { [store = context.store, namespace = key.namespace] name in
                store.get(ObjectKey(resource: "secrets", namespace: namespace, name: name))
            })
        let environment: ContainerEnvironment
        let mounts: [ContainerProcess.Mount]
        do {
            environment = try ContainerEnvironment(container: spec, image: image, context: environmentContext)
            mounts = try Volumes.prepare(pod: pod, container: spec, context: context, uid: uid)
        } catch let error as ContainerEnvironment.ConfigError {
            report.containers[index].state = .waiting(reason: "CreateContainerConfigError", message: error.message)
            after(.seconds(2), .retry(index: index), &group)
            return
        } catch {
            report.containers[index].state = .waiting(reason: "ContainerCreating", message: "\(error)")
            after(.seconds(2), .retry(index: index), &group)
            return
        }
        var container = report.containers[index]
        if container.lastTermination != nil { container.restartCount += 1 }
        runs[index] += 1
        let run = runs[index]
        let log = context.logPath(namespace: key.namespace, pod: key.name, uid: uid, container: container.name, restart: container.restartCount)
        let startedAt = Timestamp.now()
        container.containerID = "standin://\(uid.prefix(8))-\(container.name)-\(container.restartCount)"
        container.oomKilled = false
        do {
            container.pid = try ContainerProcess.start(
                argv: environment.argv(container: spec, image: image), environment: environment.variables, namespace: sandbox.namespace,
                log: log, workingDirectory: spec["workingDir"].string, mounts: mounts, live: live,
                onExit: { [continuation] status, signal in
                    continuation.yield(.exited(index: index, run: run, status: status, signal: signal))
                })
            container.state = .running(startedAt: startedAt)
        } catch {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            container.pid = nil
            container.state = .terminated(.init(exitCode: 128, reason: "StartError", message: error.message, startedAt: startedAt,
                                                finishedAt: Timestamp.now(), containerID: container.containerID))
            report.containers[index] = container
            afterExit(index, exitCode: 128, &group)
            return
        }
        report.containers[index] = container
    }

    private func exited(_ index: Int, status: Int32, signal: Int32?, _ group: inout DiscardingTaskGroup) {
        var container = report.containers[index]
        let startedAt: String? = if case .running(let time) = container.state { time } else { nil }
        let oom = container.oomKilled
        container.pid = nil
        container.state = .terminated(.init(
            exitCode: oom ? 137 : status, signal: signal, reason: oom ? "OOMKilled" : status == 0 ? "Completed" : "Error",
            startedAt: startedAt, finishedAt: Timestamp.now(), containerID: container.containerID))
        report.containers[index] = container
        afterExit(index, exitCode: status, &group)
    }

    /// Restarts as `restartPolicy` says: at once the first time, then after 10 s, 20 s, … 5 min.
    private func afterExit(_ index: Int, exitCode: Int32, _ group: inout DiscardingTaskGroup) {
        let policy = pod["spec"]["restartPolicy"].string ?? "Always"
        guard !terminating, policy == "Always" || (policy == "OnFailure" && exitCode != 0),
              case .terminated(let termination) = report.containers[index].state else { return }
        report.containers[index].lastTermination = termination
        let crashes = report.containers[index].restartCount + 1
        guard crashes > 1 else { return launch(index, &group) }
        let delay = min(300, 10 << min(crashes - 2, 5))
        let name = report.containers[index].name
        report.containers[index].state = .waiting(
            reason: "CrashLoopBackOff", message: "back-off \(delay)s restarting failed container=\(name) pod=\(key.name)_\(key.namespace)(\(uid))")
        after(.seconds(delay), .retry(index: index), &group)
    }

    /// Pending until every container has started once; Running while one runs or will again.
    private var phase: String {
        if report.containers.contains(where: { !$0.isTerminated && !$0.isRunning && $0.lastTermination == nil }) { return "Pending" }
        return isDone ? (report.containers.allSatisfy(\.succeeded) ? "Succeeded" : "Failed") : "Running"
    }

    private var isDone: Bool { report.containers.allSatisfy(\.isTerminated) }

    private func finish(phase: String) -> Outcome {
        report.phase = phase
        _ = publish()
        return .finished
    }

    /// Writes the report to the stored pod; false when the pod is gone (or another of its name).
    private func publish() -> Bool {
        let updated = context.store.update(key, uid: uid) { [self] pod in report.apply(to: &pod) }
        if let updated { pod = updated }
        return updated != nil
    }

    /// SIGTERM goes to each container's main process only (its PID 1, in a real pod); SIGKILL
    /// to everything in the pod's namespace, as tearing down its cgroups does.
    private func signalAll(_ signal: Int32) async {
        for container in report.containers { if let pid = container.pid { kill(pid, signal) } }
        guard signal == SIGKILL, let sandbox else { return }
        for pid in await PodNetwork.pids(in: sandbox.namespace) { kill(pid, signal) }
    }

    private func after(_ delay: Duration, _ message: Control, _ group: inout DiscardingTaskGroup) {
        group.addTask { [continuation] in
            try? await Task.sleep(for: delay)
            if !Task.isCancelled { continuation.yield(message) }
        }
    }

    /// Every 250 ms, for a pod with a container that has a memory limit.
    private func startMemoryWatch(_ group: inout DiscardingTaskGroup) {
        guard specs.contains(where: { Quantity.parse($0["resources"]["limits"]["memory"]) != nil }) else { return }
        group.addTask { [continuation] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(250))
                continuation.yield(.checkMemory)
            }
        }
    }

    private func checkMemory() {
        for (index, spec) in specs.enumerated() {
            guard let limit = Quantity.parse(spec["resources"]["limits"]["memory"]), report.containers[index].isRunning,
                  !report.containers[index].oomKilled, let pid = report.containers[index].pid else { continue }
            let tree = ProcessTree.descendants(of: pid)
            if Double(ProcessTree.residentBytes(tree)) > limit {
                report.containers[index].oomKilled = true
                for member in tree { kill(member, SIGKILL) }
            }
        }
    }
}

extension ContainerState {
    var succeeded: Bool { if case .terminated(let termination) = state { termination.exitCode == 0 } else { false } }
}
