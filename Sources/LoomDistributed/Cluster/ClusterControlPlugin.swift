import Foundation
import LoomCore
import Logging
import Synchronization

/// A request a cluster in another process makes of its scheduler (`RemoteScheduler`).
enum ClusterRequest: Codable, Sendable {
    case workerCount
    case connectedWorkerNames
    case workersToClose(target: Int?, groups: [String: String])
    case retire(groups: [[String]], timeoutSeconds: Double)
    case adaptiveTarget(targetSeconds: Double, groups: [String: String])
}

/// Answers `ClusterRequest`s: the scheduler side of a cluster whose scaling runs elsewhere,
/// such as SSHCluster's, whose scheduler is a process on the first host (`myapp scheduler`
/// serves this plugin).
public final class ClusterControlPlugin: SchedulerPlugin {
    public static let pluginName = "cluster"
    public var name: String { Self.pluginName }
    public var observesTransitions: Bool { false }
    private let scheduler = Mutex<SchedulerServer?>(nil)

    public init() {}

    public func start(_ scheduler: SchedulerServer) async throws { self.scheduler.withLock { $0 = scheduler } }

    public func close() async { scheduler.withLock { $0 = nil } }

    public func handle(request payload: [UInt8]) async throws -> [UInt8] {
        guard let server = scheduler.withLock({ $0 }) else { throw LoomError(.plugin, "the scheduler is closing") }
        let request: ClusterRequest
        do {
            request = try JSONDecoder().decode(ClusterRequest.self, from: Data(payload))
        } catch {
            throw LoomError(.plugin, "not a cluster request: \(error)")
        }
        let encoder = JSONEncoder()
        switch request {
        case .workerCount: return Array(try encoder.encode(await server.workerCount))
        case .connectedWorkerNames: return Array(try encoder.encode(await server.connectedWorkerNames))
        case .workersToClose(let target, let groups): return Array(try encoder.encode(await server.workersToClose(target: target, groups: groups)))
        case .retire(let groups, let timeout): return Array(try encoder.encode(await server.retire(groups: groups, timeout: .seconds(timeout))))
        case .adaptiveTarget(let target, let groups):
            return Array(try encoder.encode(await server.adaptiveTarget(targetDuration: .seconds(target), groups: groups)))
        }
    }
}

/// A scheduler in another process (SSHCluster's on the first host, KubeCluster's in a pod),
/// asked through a client connection and its `cluster` plugin.
public final class RemoteScheduler: ClusterScheduler {
    public let client: Client
    public let dashboardLink: String?
    public var security: Security? { client.security }
    private let logger = Logger.loom("loom.cluster")

    public init(client: Client) {
        self.client = client
        dashboardLink = client.dashboardLink
    }

    private func ask<Answer: Decodable>(_ request: ClusterRequest, otherwise fallback: Answer) async -> Answer {
        do {
            let answer = try await client.pluginRequest(ClusterControlPlugin.pluginName, payload: Array(try JSONEncoder().encode(request)))
            return try JSONDecoder().decode(Answer.self, from: Data(answer))
        } catch {
            logger.warning("the scheduler did not answer a cluster request: \(error)")
            return fallback
        }
    }

    public var workerCount: Int { get async { await ask(.workerCount, otherwise: 0) } }
    public var connectedWorkerNames: [String] { get async { await ask(.connectedWorkerNames, otherwise: []) } }

    public func workersToClose(target: Int?, groups: [String: String]) async -> [String] {
        await ask(.workersToClose(target: target, groups: groups), otherwise: [])
    }

    public func retire(groups: [[String]], timeout: Duration) async -> [String] {
        await ask(.retire(groups: groups, timeoutSeconds: timeout / .seconds(1)), otherwise: [])
    }

    public func adaptiveTarget(targetDuration: Duration, groups: [String: String]) async -> Int {
        await ask(.adaptiveTarget(targetSeconds: targetDuration / .seconds(1), groups: groups), otherwise: 0)
    }
}
