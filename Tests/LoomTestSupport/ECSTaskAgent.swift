import AsyncHTTPClient
import Foundation
import Loom
import NIOCore
import Synchronization

/// What moto lacks to stand in for ECS: something that runs its tasks. The agent watches the
/// emulator's RUNNING tasks and runs each one's command (its container override's, the image's
/// program replaced by `executable`) as a process here, with the override's environment; it
/// stops the process when the task is stopped, and stops the task (`Essential container in task
/// exited`) when the process ends by itself. moto's own clock is set to leave tasks RUNNING.
/// Tasks' addresses are moto's fiction: the processes listen on loopback.
public final class ECSTaskAgent: Sendable {
    private let client: AWSClient
    private let endpoint: URL
    private let executable: String
    private let running = Mutex<[String: Process]>([:])
    private let poller = Mutex<Task<Void, Never>?>(nil)

    /// - Parameter credentials: a key moto accepts once it checks signatures and policies.
    public init(moto: MotoServer, executable: String, credentials: AWSCredentials = AWSCredentials(accessKeyID: "AKIDAGENT", secretAccessKey: "agent")) {
        endpoint = moto.endpoint
        client = AWSClient(configuration: AWSConfiguration(credentials: credentials, region: "eu-west-1", endpoints: ["": moto.endpoint]))
        self.executable = executable
    }

    /// The processes running tasks now, by task ARN.
    public var processes: [String: Int32] { running.withLock { $0.mapValues(\.processIdentifier) } }

    public func start(region: String) async throws {
        var request = HTTPClientRequest(url: endpoint.appendingPathComponent("moto-api/state-manager/set-transition").absoluteString)
        request.method = .POST
        request.body = .bytes(ByteBuffer(string: #"{"model_name":"ecs::task","transition":{"progression":"manual","times":1000000}}"#))
        let answer = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        guard answer.status.code < 300 else { throw LoomError(.configuration, "moto refused the task transition: HTTP \(answer.status.code)") }
        let ecs = ECSAPI(client: AWSClient(configuration: AWSConfiguration(credentials: client.configuration.credentials, region: region, endpoints: ["": endpoint])))
        let task = Task { [self] in
            while !Task.isCancelled {
                await poll(ecs)
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        poller.withLock { $0 = task }
    }

    /// Ends every task's process.
    public func stop() async {
        let task = poller.withLock { $0 }
        task?.cancel()
        await task?.value
        for process in running.withLock({ Array($0.values) }) { Self.end(process) }
        running.withLock { $0 = [:] }
    }

    private func poll(_ ecs: ECSAPI) async {
        guard let clusters = try? await clusters(ecs) else { return }
        var seen: Set<String> = []
        for cluster in clusters {
            guard let arns = try? await ecs.listTasks(cluster: cluster), let tasks = try? await ecs.describeTasks(cluster: cluster, arns) else { continue }
            for task in tasks where task.desiredStatus == "RUNNING" {
                seen.insert(task.taskArn)
                if running.withLock({ $0[task.taskArn] }) == nil { launch(task) }
                if let process = running.withLock({ $0[task.taskArn] }), !process.isRunning {
                    running.withLock { _ = $0.removeValue(forKey: task.taskArn) }
                    try? await ecs.stopTask(cluster: cluster, task: task.taskArn, reason: "Essential container in task exited (exit code \(process.terminationStatus))")
                }
            }
        }
        // Stopped through the API (or gone): their processes end.
        let stopped = running.withLock { current in current.filter { !seen.contains($0.key) } }
        for (arn, process) in stopped {
            Self.end(process)
            running.withLock { _ = $0.removeValue(forKey: arn) }
        }
    }

    private func clusters(_ ecs: ECSAPI) async throws -> [String] {
        struct Empty: Encodable {}
        struct Answer: Decodable { var clusterArns: [String]? }
        return try await ecs.client.json("ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", action: "ListClusters", Empty(), as: Answer.self).clusterArns ?? []
    }

    private func launch(_ task: ECSAPI.Task) {
        guard let override = task.overrides?.containerOverrides?.first, let command = override.command, !command.isEmpty else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = Array(command.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        for variable in override.environment ?? [] { environment[variable.name] = variable.value }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return }
        running.withLock { $0[task.taskArn] = process }
    }

    private static func end(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
