import AsyncHTTPClient
import Foundation
import Loom
import NIOCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What moto lacks to stand in for ECS: something that runs its tasks. The agent watches the
/// emulator's RUNNING tasks and runs each one's command (its container override's, the image's
/// program replaced by `executable`) as a process here, with the override's environment; it
/// stops the process when the task is stopped, and stops the task (`Essential container in task
/// exited`) when the process ends by itself. moto's own clock is set to leave tasks RUNNING.
/// Tasks' addresses are moto's fiction: the processes listen on loopback. What a process prints
/// goes to its task definition's `awslogs` group and stream (`PREFIX/CONTAINER/TASK-ID`), as
/// ECS's log driver sends it (moto keeps log events but makes none).
public final class ECSTaskAgent: Sendable {
    /// What a container's image holds, as the agent runs its command.
    public enum ImageProgram: Sendable {
        /// A Loom program: the command's first word (its path in the image) is this executable.
        case executable(String)
        /// The command as given, found on this process's `PATH` (a peer's image: `dask worker …`).
        case commandAsGiven
    }

    private let client: AWSClient
    private let endpoint: URL
    private let executable: String
    private let images: [String: ImageProgram]
    private let running = Mutex<[String: Process]>([:])
    /// Processes of stopped tasks, ending.
    private let retiring = Mutex<[Process]>([])
    /// `HOST:PORT` as ECS reports a scheduler task's address → where its process listens here.
    private let mapped = Mutex<[String: String]>([:])
    private let poller = Mutex<Task<Void, Never>?>(nil)
    private let definitions = Mutex<[String: Container]>([:])

    /// - Parameters:
    ///   - executable: the program of every image not in `images`.
    ///   - credentials: a key moto accepts once it checks signatures and policies.
    public init(moto: MotoServer, executable: String, images: [String: ImageProgram] = [:],
                credentials: AWSCredentials = AWSCredentials(accessKeyID: "AKIDAGENT", secretAccessKey: "agent")) {
        endpoint = moto.endpoint
        client = AWSClient(configuration: AWSConfiguration(credentials: credentials, region: "eu-west-1", endpoints: ["": moto.endpoint]))
        self.executable = executable
        self.images = images
    }

    /// Where a task's address (moto's fiction, never to be dialled) is reached here: a
    /// scheduler task's port on loopback once its process runs; loopback as it is; anything
    /// else loopback's port 1, where nothing listens (a refused connection, tried again).
    public func resolve(_ address: Address) -> Address {
        if let local = mapped.withLock({ $0["\(address.host):\(address.port)"] }), let port = Int(local.split(separator: ":").last ?? "") {
            return Address(host: "127.0.0.1", port: port, scheme: address.scheme)
        }
        if NetworkInterface.isLoopback(address.host) { return address }
        return Address(host: "127.0.0.1", port: 1, scheme: address.scheme)
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
        Self.end(running.withLock { Array($0.values) } + retiring.withLock { $0 })
        running.withLock { $0 = [:] }
    }

    private func poll(_ ecs: ECSAPI) async {
        guard let clusters = try? await clusters(ecs) else { return }
        var seen: Set<String> = []
        for cluster in clusters {
            guard let arns = try? await ecs.listTasks(cluster: cluster), let tasks = try? await ecs.describeTasks(cluster: cluster, arns) else { continue }
            for task in tasks where task.desiredStatus == "RUNNING" {
                seen.insert(task.taskArn)
                if running.withLock({ $0[task.taskArn] }) == nil {
                    let container = await container(of: task, ecs: ecs)
                    let variables = (container?.environment ?? []).reduce(into: [String: String]()) { $0[$1.name] = $1.value }
                        .merging(await secrets(of: container)) { $1 }
                    // Only a scheduler's address is mapped: a worker's is never dialled through ECS's.
                    let command = task.overrides?.containerOverrides?.first?.command ?? container?.command
                    let addresses = command?.dropFirst().first == "scheduler" ? await addresses(of: task) : []
                    launch(task, container: container, logs: logDestination(task, container), secrets: variables, addresses: addresses)
                }
                if let process = running.withLock({ $0[task.taskArn] }), !process.isRunning {
                    running.withLock { _ = $0.removeValue(forKey: task.taskArn) }
                    try? await ecs.stopTask(cluster: cluster, task: task.taskArn, reason: "Essential container in task exited (exit code \(process.terminationStatus))")
                }
            }
        }
        // Stopped through the API (or gone): their processes end, together and in the
        // background, so the tasks that come meanwhile start without waiting for them.
        let stopped = running.withLock { current in
            let gone = current.filter { !seen.contains($0.key) }
            for arn in gone.keys { current.removeValue(forKey: arn) }
            return Array(gone.values)
        }
        guard !stopped.isEmpty else { return }
        retiring.withLock { $0 += stopped }
        nonisolated(unsafe) let ending = stopped
        Thread { [self] in
            Self.end(ending)
            retiring.withLock { list in list.removeAll { process in ending.contains { $0 === process } } }
        }.start()
    }

    private func clusters(_ ecs: ECSAPI) async throws -> [String] {
        struct Empty: Encodable {}
        struct Answer: Decodable { var clusterArns: [String]? }
        return try await ecs.client.json("ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", action: "ListClusters", Empty(), as: Answer.self).clusterArns ?? []
    }

    /// The addresses ECS gives the task's network interface.
    private func addresses(of task: ECSAPI.Task) async -> [String] {
        guard let interface = task.networkInterfaceID, let found = try? await EC2API(client: client).addresses(ofInterface: interface) else { return [] }
        return [found.private, found.public].compactMap { $0 }
    }

    private func launch(_ task: ECSAPI.Task, container: Container?, logs: (group: String, stream: String)?, secrets: [String: String], addresses: [String]) {
        let override = task.overrides?.containerOverrides?.first
        guard let command = override?.command ?? container?.command, let first = command.first else { return }
        let program: String, isLoom: Bool
        var arguments = Array(command.dropFirst())
        switch container?.image.flatMap({ images[$0] }) ?? .executable(executable) {
        case .executable(let path): (program, isLoom) = (path, true)
        case .commandAsGiven:
            (program, isLoom) = ("/usr/bin/env", false)
            arguments.insert(first, at: 0)
        }
        if isLoom, arguments.first == "scheduler" {
            // Its port on loopback, mapped from the address ECS gives the task.
            guard let port = Self.freePort() else { return }
            if let index = arguments.firstIndex(of: "--port"), index + 1 < arguments.count {
                let announced = arguments[index + 1]
                arguments[index + 1] = "\(port)"
                mapped.withLock { map in for host in addresses { map["\(host):\(announced)"] = "127.0.0.1:\(port)" } }
            }
            if let index = arguments.firstIndex(of: "--dashboard-address"), index + 1 < arguments.count { arguments[index + 1] = "none" }
            arguments += ["--host", "127.0.0.1"]
        } else {
            // A worker dials the scheduler where this agent put it.
            arguments = arguments.map { argument in
                guard let address = try? Address(parsing: argument) else { return argument }
                return resolve(address).description
            }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for variable in override?.environment ?? [] { environment[variable.name] = variable.value }
        environment.merge(secrets) { $1 }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        do { try process.run() } catch { return }
        running.withLock { $0[task.taskArn] = process }
        ship(output.fileHandleForReading, to: logs)
    }

    /// Sends the lines of `output` to CloudWatch Logs as they come (every line read is sent
    /// before the next read), until the process closes it.
    private func ship(_ output: FileHandle, to logs: (group: String, stream: String)?) {
        let client = client
        Thread {
            struct Create: Encodable { var logGroupName: String; var logStreamName: String }
            struct Event: Encodable { var timestamp: Int64; var message: String }
            struct Put: Encodable { var logGroupName: String; var logStreamName: String; var logEvents: [Event] }
            struct Nothing: Decodable {}
            func send(_ action: String, _ body: some Encodable & Sendable) {
                _ = try? blockingWait { _ = try await client.json("logs", targetPrefix: "Logs_20140328", action: action, body, as: Nothing.self) }
            }
            if let logs { send("CreateLogStream", Create(logGroupName: logs.group, logStreamName: logs.stream)) }
            var pending = Data()
            // `availableData` returns what came (`read(upToCount:)` would wait for all of it).
            while case let chunk = output.availableData, !chunk.isEmpty {
                pending += chunk
                guard let logs, let end = pending.lastIndex(of: UInt8(ascii: "\n")) else { continue }
                let lines = String(decoding: pending[..<end], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
                pending = Data(pending[pending.index(after: end)...])
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                send("PutLogEvents", Put(logGroupName: logs.group, logStreamName: logs.stream, logEvents: lines.map { Event(timestamp: now, message: String($0)) }))
            }
        }.start()
    }

    /// What the agent reads of a task definition's container.
    struct Container: Decodable, Sendable {
        struct Logging: Decodable, Sendable { var options: [String: String]? }
        var name: String
        var image: String?
        var command: [String]?
        var logConfiguration: Logging?
        var environment: [ECSAPI.KeyValue]?
        var secrets: [ECSAPI.Secret]?
    }

    /// The task definition's container (a revision never changes: asked once).
    private func container(of task: ECSAPI.Task, ecs: ECSAPI) async -> Container? {
        struct Request: Encodable { var taskDefinition: String }
        struct Answer: Decodable { var taskDefinition: Definition }
        struct Definition: Decodable { var containerDefinitions: [Container] }
        guard let arn = task.taskDefinitionArn else { return nil }
        if let known = definitions.withLock({ $0[arn] }) { return known }
        let found = try? await ecs.client.json("ecs", targetPrefix: "AmazonEC2ContainerServiceV20141113", action: "DescribeTaskDefinition",
                                               Request(taskDefinition: arn), as: Answer.self).taskDefinition.containerDefinitions.first
        if let found { definitions.withLock { $0[arn] = found } }
        return found
    }

    /// The `awslogs` group and stream ECS would give `task`'s container.
    private func logDestination(_ task: ECSAPI.Task, _ container: Container?) -> (group: String, stream: String)? {
        guard let container, let options = container.logConfiguration?.options ?? nil,
              let group = options["awslogs-group"], let prefix = options["awslogs-stream-prefix"] else { return nil }
        let id = task.taskArn.split(separator: "/").last.map(String.init) ?? task.taskArn
        return (group, "\(prefix)/\(container.name)/\(id)")
    }

    /// The variables ECS would set from the container's secrets (read from Secrets Manager).
    private func secrets(of container: Container?) async -> [String: String] {
        var values: [String: String] = [:]
        for secret in container?.secrets ?? [] {
            values[secret.name] = try? await SecretsManagerAPI(client: client).value(of: secret.valueFrom)
        }
        return values
    }

    /// A loopback port nothing listens on now.
    public static func freePort() -> Int? {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        return bound ? Int(UInt16(bigEndian: address.sin_port)) : nil
    }

    /// Asks them all to stop, then kills what is left after 10 s.
    private static func end(_ processes: [Process]) {
        for process in processes where process.isRunning { process.terminate() }
        let deadline = Date().addingTimeInterval(10)
        while processes.contains(where: \.isRunning), Date() < deadline { usleep(20_000) }
        for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        for process in processes { process.waitUntilExit() }
    }
}
