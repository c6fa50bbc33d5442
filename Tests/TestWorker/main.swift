import Foundation
import Loom
import LoomTestSupport

// The worker executable the process-scheduler tests start. Run under another name (a symlink
// ending in "-mismatch") it registers an `add` with other types, to test registry checks.
if CommandLine.arguments[0].hasSuffix("-mismatch") {
    try await Loom.bootstrap(registering: TaskFunction("add") { (a: Double, b: Double) in a + b }, TestTasks.inc)
} else {
    try await Loom.bootstrap(registering: TestTasks.all, workerPlugins: [TestTasks.recording], pluginTypes: [StampPlugin.self])
}

// Started by hand: `loom-test-worker parent PIDFILE-PREFIX N` computes on N worker processes
// that each write their pid and sleep, so a test can kill this parent and watch its children.
let arguments = CommandLine.arguments
if arguments.count == 4, arguments[1] == "parent", let workers = Int(arguments[3]) {
    let tasks = (0..<workers).map { TestTasks.reportThenSleep.delayed("\(arguments[2])\($0)", 120.0) }
    _ = try await compute(tasks, scheduler: .processes(workers))
    exit(0)
}
// `loom-test-worker batch-client COMMANDS JOBS READY`: a program with a PBS cluster (stand-in
// commands in COMMANDS) whose one job's worker joined; writes the job's id to READY, then waits
// to be interrupted, so a test can press Ctrl-C on it. It ends by itself when its standard input
// closes (the test ended), so it never outlives the test.
if arguments.count == 5, arguments[1] == "batch-client" {
    // As a program started from a terminal: whatever the test runner ignores.
    for signal in [SIGINT, SIGTERM, SIGHUP] { Foundation.signal(signal, SIG_DFL) }
    Thread { while FileHandle.standardInput.availableData.count > 0 {}; exit(3) }.start()
    let cluster = try await PBSCluster(options: JobQueueOptions(cores: 1, memory: "1GB"), setup: JobQueueSetup(
        host: "127.0.0.1", jobsDirectory: arguments[3], dashboardAddress: nil, commandsDirectory: arguments[2]))
    try await cluster.scale(jobs: 1)
    try await Client(cluster).waitForWorkers(1, timeout: .seconds(120))
    try cluster.jobs[0].id.write(toFile: arguments[4], atomically: true, encoding: .utf8)
    while true { try await Task.sleep(for: .seconds(3600)) }
}
// `loom-test-worker fargate-client ENDPOINT NAME READY`: a program with a FargateCluster on the
// AWS emulator at ENDPOINT whose one worker joined; writes READY, then waits to be killed. It
// ends by itself when its standard input closes (the test ended).
if arguments.count == 5, arguments[1] == "fargate-client", let endpoint = URL(string: arguments[2]) {
    Thread { while FileHandle.standardInput.availableData.count > 0 {}; exit(3) }.start()
    let configuration = AWSConfiguration(
        credentials: AWSCredentials(accessKeyID: "AKIDTEST", secretAccessKey: "test"), region: "eu-west-1", endpoints: ["": endpoint])
    let cluster = try await FargateCluster(
        name: arguments[3], image: "example/loom:1", workerCPU: 1024, workerMemory: 2048, executable: "/app/loom",
        configuration: configuration, schedulerHost: "127.0.0.1")
    try await cluster.scale(1)
    try "ready".write(toFile: arguments[4], atomically: true, encoding: .utf8)
    while true { try await Task.sleep(for: .seconds(3600)) }
}
// `loom-test-worker multihost-client SCHEDULER BYTES`: on a test host of its own, makes BYTES
// of data on the first worker (by address) and checksums them on the second, so they must move
// between the workers' hosts; prints the workers and the checksum. TLS from the configuration.
if arguments.count == 4, arguments[1] == "multihost-client", let bytes = Int(arguments[3]) {
    let client = try await Client(address: arguments[2])
    try await client.waitForWorkers(2, timeout: .seconds(60))
    let workers = try await client.schedulerInfo().map(\.address).sorted()
    for worker in workers { print("worker at: \(worker)") }
    let data = try await client.submit(TestTasks.pattern, bytes, workers: [workers[0]])
    let checksum = try await client.submit(TestTasks.checksum, data, workers: [workers[1]])
    print("checksum: \(try await checksum.result())")
    await client.close()
    exit(0)
}
// `loom-test-worker kube-client KUBECONFIG NODE NAME IMAGE`: a program whose KubeCluster NAME
// (scheduler here, on the pod network's NODE address) runs one worker pod of IMAGE; prints
// `ready` and waits, so a test can kill it as a crash would and look at what is left.
if arguments.count == 6, arguments[1] == "kube-client" {
    let template = try PodTemplate.yaml("containers: [{name: worker, image: \"\(arguments[5])\", resources: {limits: {cpu: '1', memory: 512Mi}}}]")
    let cluster = try await KubeCluster(
        podTemplate: template, options: KubeClusterOptions(name: arguments[4], schedulerHost: arguments[3], dashboardAddress: nil),
        credentials: try KubernetesCredentials.kubeconfig(arguments[2]))
    try await cluster.scale(1)
    FileHandle.standardOutput.write(Data("ready\n".utf8))
    while true { try await Task.sleep(for: .seconds(3600)) }
}
// `loom-test-worker ssh-cluster SSH_CONFIG MODE HOST...`: an SSHCluster on HOSTs (scheduler
// first) reached with the ssh client configuration SSH_CONFIG. MODE `compute` scales up and
// down around a computation and closes; `tls` does the same with Security.temporary(); `hold`
// starts it, prints `ready`, and waits until its standard input closes (the test kills it or
// its ssh sessions meanwhile).
if arguments.count >= 6, arguments[1] == "ssh-cluster" {
    // Unbuffered: the test reads the lines as they come.
    func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    let connect = SSHConnectOptions(extraArguments: ["-F", arguments[2]])
    let mode = arguments[3], hosts = Array(arguments[4...])
    let cluster = try await SSHCluster(
        hosts: hosts, connect: connect, workers: SSHWorkerOptions(threads: 1, memoryLimit: "1GB"),
        security: mode == "tls" ? try Security.temporary() : nil)
    let client = try await Client(cluster)
    say("scheduler at: \(cluster.schedulerAddress)")
    say("dashboard at: \(cluster.dashboardLink ?? "none")")
    for worker in try await client.schedulerInfo().sorted(by: { $0.address < $1.address }) { say("worker at: \(worker.address)") }
    if mode == "hold" {
        say("ready")
        while FileHandle.standardInput.availableData.count > 0 {}
        exit(0)
    }
    let total = try await client.gather(try await client.map(TestTasks.inc, Array(0..<200))).reduce(0, +)
    say("total: \(total)")
    try await cluster.scale(4)
    say("scaled to: \(try await client.schedulerInfo().count)")
    try await cluster.scale(1)
    try await client.waitForWorkers(1, timeout: .seconds(30))
    say("scaled down to: \(try await client.schedulerInfo().count) names \(cluster.workerNames)")
    // Adaptive scaling asks the remote scheduler (its cluster plugin) and holds the minimum.
    cluster.adapt(minimum: 2, maximum: 2, interval: .milliseconds(200))
    try await client.waitForWorkers(2, timeout: .seconds(60))
    say("adapted to: \(try await client.schedulerInfo().count)")
    await client.close()
    await cluster.close()
    say("closed")
    exit(0)
}
FileHandle.standardError.write(Data(("loom-test-worker: started without a role; the tests run it\n").utf8))
exit(2)
