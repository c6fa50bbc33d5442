import Foundation
import LoomDistributed
import Logging
import Synchronization

/// The cluster's instances as EC2 last described them, polled every `interval`.
final class EC2InstanceWatcher: Sendable {
    private let ec2: EC2API
    private let interval: Duration
    private let instances = Mutex<[String: EC2API.Instance]>([:])

    init(ec2: EC2API, interval: Duration = .seconds(2)) {
        self.ec2 = ec2
        self.interval = interval
    }

    func track(_ instance: EC2API.Instance) { instances.withLock { $0[instance.id] = instance } }

    func instance(_ id: String) -> EC2API.Instance? { instances.withLock { $0[id] } }

    var all: [EC2API.Instance] { instances.withLock { Array($0.values) } }

    /// Describes `only` these, or every tracked instance not yet terminated, once.
    func refresh(only ids: [String]? = nil) async throws {
        let open = ids ?? instances.withLock { $0.values.filter { $0.state != "terminated" }.map(\.id) }
        for instance in try await ec2.describeInstances(open) { track(instance) }
    }

    func start(in clusterTasks: ClusterTasks) {
        clusterTasks.start { [self] in
            while !Task.isCancelled {
                do { try await refresh() } catch { Logger.loom("loom.cloud").warning("cannot describe the cluster's instances: \(error)") }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
