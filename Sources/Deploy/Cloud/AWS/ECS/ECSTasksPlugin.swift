import Foundation
import LoomDistributed

/// The cluster's ECS tasks for the dashboard's cloud page (`/cloud`, `/api/cloud`): each task's
/// worker, status and, once stopped, ECS's reason (a Spot reclaim, a crash). A scheduler plugin
/// of the cluster's scheduler in this process (`.local`).
final class ECSTasksPlugin: SchedulerPlugin {
    static let pluginName = "cloud"
    var name: String { Self.pluginName }
    var observesTransitions: Bool { false }
    private let watcher: ECSTaskWatcher
    private let cluster: String

    init(watcher: ECSTaskWatcher, cluster: String) {
        self.watcher = watcher
        self.cluster = cluster
    }

    struct Report: Encodable, Sendable {
        struct Task: Encodable, Sendable {
            let id: String
            let worker: String
            let role: String
            let lastStatus: String
            let desiredStatus: String
            let stoppedReason: String?
        }
        let provider: String
        let cluster: String
        let tasks: [Task]
    }

    func status() async -> (any Encodable & Sendable)? {
        let tasks = watcher.all.map { task in
            let tag = { (key: String) in task.tags?.first { $0.key == key }?.value }
            let stopped = task.lastStatus == "STOPPED" || task.desiredStatus == "STOPPED"
            return Report.Task(
                id: task.taskArn.split(separator: "/").last.map(String.init) ?? task.taskArn, worker: tag("loom-worker") ?? "",
                role: tag("loom-role") ?? "worker", lastStatus: task.lastStatus ?? "", desiredStatus: task.desiredStatus ?? "",
                stoppedReason: stopped ? task.stopDescription : nil)
        }
        // Running first, then the stopped with their reasons.
        return Report(provider: "AWS ECS", cluster: cluster, tasks: tasks.sorted { ($0.stoppedReason != nil ? 1 : 0, $0.worker) < ($1.stoppedReason != nil ? 1 : 0, $1.worker) })
    }
}
