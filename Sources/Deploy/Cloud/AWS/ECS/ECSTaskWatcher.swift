import Foundation
import LoomDistributed
import Logging
import Synchronization

/// The cluster's tasks as ECS last described them, polled every `interval`: what the launches
/// read to know whether a task stopped, and why.
final class ECSTaskWatcher: Sendable {
    private let ecs: ECSAPI
    private let cluster: String
    private let interval: Duration
    private let tasks = Mutex<[String: ECSAPI.Task]>([:])

    init(ecs: ECSAPI, cluster: String, interval: Duration = .seconds(2)) {
        self.ecs = ecs
        self.cluster = cluster
        self.interval = interval
    }

    func track(_ task: ECSAPI.Task) { tasks.withLock { $0[task.taskArn] = task } }

    func task(_ arn: String) -> ECSAPI.Task? { tasks.withLock { $0[arn] } }

    var all: [ECSAPI.Task] { tasks.withLock { Array($0.values) } }

    /// Describes `only` these tasks, or every tracked one that has not stopped, once.
    func refresh(only arns: [String]? = nil) async throws {
        let open = arns ?? tasks.withLock { $0.values.filter { $0.lastStatus != "STOPPED" }.map(\.taskArn) }
        for task in try await ecs.describeTasks(cluster: cluster, open) { track(task) }
    }

    func start(in clusterTasks: ClusterTasks) {
        clusterTasks.start { [self] in
            while !Task.isCancelled {
                do { try await refresh() } catch { Logger.loom("loom.cloud").warning("cannot describe the cluster's tasks: \(error)") }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
