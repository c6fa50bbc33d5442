import Foundation
import Synchronization

/// What every pod's worker shares: the store, the network, the node and the images.
struct KubeletContext: Sendable {
    let store: ObjectStore
    let network: PodNetwork
    let node: KubernetesStandIn.Node
    let images: [String: KubernetesStandIn.Image]
    /// Logs under `logs/`, volumes under `volumes/`.
    let directory: String
    let port: ListeningPort
    let mountPoints: MountPoints

    var apiPort: Int { port.value }

    /// `images[image]`, else without the tag or digest (`sleeper:1.0` → `sleeper`).
    func image(_ name: String) -> KubernetesStandIn.Image? {
        if let image = images[name] { return image }
        var bare = name.split(separator: "@").first.map(String.init) ?? name
        if let colon = bare.lastIndex(of: ":"), !bare[colon...].contains("/") { bare = String(bare[..<colon]) }
        return images[bare]
    }

    /// Where the kubelet writes a container's output, as in `/var/log/pods`: one file per run.
    func logPath(namespace: String, pod: String, uid: String, container: String, restart: Int) -> String {
        "\(directory)/logs/\(namespace)_\(pod)_\(uid)/\(container)/\(restart).log"
    }
}

/// The scheduler and the kubelet of the one node, driven by the store's events as the real
/// ones are by their watches: pending pods are bound when they fit (and tried again whenever
/// a pod goes or finishes), bound pods get a worker that runs them, deletions are handed to
/// the worker, and a pod removed outright has its processes killed.
struct Kubelet: Sendable {
    let context: KubeletContext

    private enum Input: Sendable {
        case store(WatchItem)
        case workerEnded(uid: String)
    }

    func run(events: AsyncStream<WatchItem>) async {
        let store = context.store
        let (inputs, input) = AsyncStream<Input>.makeStream()
        let scheduler = Scheduler(node: context.node)
        await withDiscardingTaskGroup { group in
            group.addTask {
                for await item in events { input.yield(.store(item)) }
                input.finish()
            }
            var workers: [String: AsyncStream<PodWorker.Control>.Continuation] = [:]
            var keys: [String: ObjectKey] = [:]
            var finished: Set<String> = []
            for await next in inputs {
                switch next {
                case .store(.event(let event)) where event.resource == "pods":
                    let pod = event.object
                    let uid = pod["metadata"]["uid"].string ?? ""
                    let key = ObjectKey(resource: "pods", namespace: pod["metadata"]["namespace"].string ?? "", name: pod["metadata"]["name"].string ?? "")
                    if event.kind == .deleted {
                        workers.removeValue(forKey: uid)?.yield(.kill)
                        finished.remove(uid)
                        keys[uid] = nil
                    } else if pod["spec"]["nodeName"].string == context.node.name {
                        let deletion = Timestamp.parse(pod["metadata"]["deletionTimestamp"].string)
                        if let worker = workers[uid] {
                            if let deletion { worker.yield(.terminate(deadline: deletion)) }
                        } else if deletion != nil {
                            store.remove(key, uid: uid)
                        } else if !finished.contains(uid) && scheduler.occupies(pod) {
                            let (control, continuation) = AsyncStream<PodWorker.Control>.makeStream()
                            workers[uid] = continuation
                            keys[uid] = key
                            let worker = PodWorker(context: context, pod: pod, control: control, continuation: continuation)
                            group.addTask {
                                await worker.run()
                                input.yield(.workerEnded(uid: uid))
                            }
                        }
                    }
                    if event.kind != .modified || !scheduler.occupies(pod) { schedulePending(scheduler) }
                case .workerEnded(let uid):
                    if workers.removeValue(forKey: uid) != nil { finished.insert(uid) }
                    // Its containers ended as a deletion arrived: a terminal pod being deleted goes now.
                    if let key = keys.removeValue(forKey: uid), let pod = store.get(key), pod["metadata"]["uid"].string == uid,
                       !pod["metadata"]["deletionTimestamp"].isNull {
                        store.remove(key, uid: uid)
                    }
                    schedulePending(scheduler)
                default:
                    continue
                }
            }
            for worker in workers.values { worker.finish() }
        }
    }

    /// Binds every pending pod that fits, oldest first; marks the others Unschedulable.
    private func schedulePending(_ scheduler: Scheduler) {
        let store = context.store
        let pods = store.list("pods", namespace: nil).items
        var usage = Scheduler.Usage()
        for pod in pods where scheduler.occupies(pod) { usage.add(pod) }
        let pending = pods.filter { ($0["spec"]["nodeName"].string ?? "").isEmpty && $0["metadata"]["deletionTimestamp"].isNull }
            .sorted { Int($0["metadata"]["resourceVersion"].string ?? "") ?? 0 < Int($1["metadata"]["resourceVersion"].string ?? "") ?? 0 }
        for pod in pending {
            let key = ObjectKey(resource: "pods", namespace: pod["metadata"]["namespace"].string ?? "", name: pod["metadata"]["name"].string ?? "")
            let uid = pod["metadata"]["uid"].string
            if let refusal = scheduler.refusal(for: pod, usage: usage) {
                store.update(key, uid: uid) { pod in
                    Self.setScheduled(&pod, ["type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": .string(refusal)])
                }
            } else {
                usage.add(pod)
                store.update(key, uid: uid) { pod in
                    pod["spec"]["nodeName"] = .string(scheduler.node.name)
                    Self.setScheduled(&pod, ["type": "PodScheduled", "status": "True"])
                }
            }
        }
    }

    /// Sets the PodScheduled condition, keeping its transition time when nothing changed.
    private static func setScheduled(_ pod: inout JSON, _ condition: JSON) {
        var conditions = pod["status"]["conditions"].array ?? []
        let index = conditions.firstIndex { $0["type"].string == "PodScheduled" }
        var condition = condition
        condition["lastProbeTime"] = nil
        if let index, conditions[index]["status"] == condition["status"], conditions[index]["reason"] == condition["reason"],
           conditions[index]["message"] == condition["message"] {
            return
        }
        condition["lastTransitionTime"] = .string(Timestamp.now())
        if let index { conditions[index] = condition } else { conditions.append(condition) }
        pod["status"]["conditions"] = .array(conditions)
    }
}

/// Directories made on this machine for volume mount points (bind mounts live in the
/// containers' own mount namespaces, the directories do not); removed at shutdown.
final class MountPoints: Sendable {
    private let made = Mutex<[String]>([])

    func ensure(_ path: String) {
        var missing: [String] = []
        var current = (path as NSString).standardizingPath
        while !FileManager.default.fileExists(atPath: current), current != "/" {
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for directory in missing.reversed() {
            if (try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)) != nil {
                made.withLock { $0.append(directory) }
            }
        }
    }

    /// Removes what `ensure` made, deepest first, and only where it is still empty.
    func removeAll() {
        for directory in made.withLock({ $0 }).reversed() { rmdir(directory) }
        made.withLock { $0.removeAll() }
    }
}
