import Foundation
import Loom
import LoomTestSupport
import Testing

/// Runs the built `loom` executable and returns its exit status, standard output and error.
func runLoom(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32, output: String, error: String) {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [bundle, bundle.deletingLastPathComponent()].map { $0.appendingPathComponent("loom").path }
    let executable = try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }, "loom is not built")
    return try await runProcess(executable, arguments, environment: environment)
}

@Suite struct CLITests {
    @Test func versionPrintsTheVersion() async throws {
        let result = try await runLoom(["version"])
        #expect(result.status == 0)
        #expect(result.output.hasPrefix("loom 0."))
    }

    @Test func theDemoCountsPrimesOnEveryScheduler() async throws {
        let dot = FileManager.default.temporaryDirectory.appendingPathComponent("loom-demo-\(UUID().uuidString).dot").path
        defer { try? FileManager.default.removeItem(atPath: dot) }
        let result = try await runLoom(["demo", "--limit", "1000000", "--segment", "100000", "--workers", "2", "--array", "600", "--frame", "20000", "--dot", dot])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.contains("synchronous"))
        #expect(result.output.contains("threads(2)"))
        #expect(result.output.contains("processes(2)"))
        #expect(result.output.contains("LocalCluster at tcp://127.0.0.1:"))
        #expect(result.output.contains("cluster "))
        #expect(result.output.contains("π(1,000,000) = 78,498"))
        #expect(result.output.contains("Matches the known value"))
        // The demo itself fails if the cluster's array result differs from the thread pool's.
        #expect(result.output.contains("(x + xᵀ).mean(axis: 0).sum() = ") && result.output.contains("600 × 600 array"))
        // And if its dataframe result differs.
        #expect(result.output.contains("a dataframe of 20,000 rows filtered and grouped by id into 100 groups"))
        #expect(result.output.contains("y_sum"))
        let graph = try String(contentsOfFile: dot, encoding: .utf8)
        #expect(graph.contains("sieve-segment"))
    }

    @Test func badArgumentsAreExplained() async throws {
        let result = try await runLoom(["demo", "--schedulers", "gpu"])
        #expect(result.status != 0)
        #expect(result.error.contains("unknown scheduler 'gpu'"))
        let unknown = try await runLoom(["frobnicate"])
        #expect(unknown.status != 0)
    }

    @Test func jobScriptsStartFromTheConfiguredSectionAndTheOptionsOverrideIt() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString).yaml").path
        try """
            jobqueue:
              slurm:
                cores: 24
                memory: 128GB
                queue: normal
                job-extra-directives: ["--constraint=haswell", "--exclusive"]
            """.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let configured = try await runLoom(["job-script", "slurm", "--walltime", "01:00:00"], environment: ["LOOM_CONFIG": file])
        #expect(configured.status == 0, "\(configured.error)")
        for line in ["#SBATCH -p normal", "#SBATCH --cpus-per-task=24", "#SBATCH --mem=120G", "#SBATCH -t 01:00:00",
                     "#SBATCH --constraint=haswell", "#SBATCH --exclusive"] {
            #expect(configured.output.contains(line + "\n"), "\(line) in:\n\(configured.output)")
        }
        let overridden = try await runLoom(["job-script", "slurm", "--queue", "debug", "--cores", "4"], environment: ["LOOM_CONFIG": file])
        #expect(overridden.output.contains("#SBATCH -p debug\n") && overridden.output.contains("#SBATCH --cpus-per-task=4\n"))
        let missing = try await runLoom(["job-script", "pbs"], environment: ["LOOM_CONFIG": file])
        #expect(missing.status != 0 && missing.error.contains("jobqueue.pbs.cores"), "\(missing.error)")
    }

    @Test func aWorkerStartedBeforeItsSchedulerFindsItThroughTheSchedulerFile() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("loom-scheduler-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        let said = file + ".stderr"
        FileManager.default.createFile(atPath: said, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: said) }
        func start(_ executable: String, _ arguments: [String]) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle(forWritingAtPath: said)
            try process.run()
            return process
        }
        // As one batch script starts both: the worker first, waiting for the file.
        let worker = try start(TestTasks.workerExecutable, ["worker", "--scheduler-file", file, "--no-nanny", "--name", "early"])
        defer { if worker.isRunning { kill(worker.processIdentifier, SIGKILL) } }
        func stderr() -> String { (try? String(contentsOfFile: said, encoding: .utf8)) ?? "" }
        try await eventually("the worker to say it waits for the scheduler file (or to end)") {
            stderr().contains("Waiting for the scheduler file") || !worker.isRunning
        }
        #expect(worker.isRunning && stderr().contains("Waiting for the scheduler file \(file)"), "the worker waits: \(stderr())")
        let loom = try #require(
            [URL(fileURLWithPath: TestTasks.workerExecutable).deletingLastPathComponent().appendingPathComponent("loom").path]
                .first(where: FileManager.default.isExecutableFile), "loom is not built")
        let scheduler = try start(loom, ["scheduler", "--port", "0", "--dashboard-address", "none", "--scheduler-file", file])
        defer { if scheduler.isRunning { kill(scheduler.processIdentifier, SIGKILL) } }
        try await eventually("the scheduler to write its file \(file)") { FileManager.default.fileExists(atPath: file) }
        let client = try await Client(address: try Address(parsing: try SchedulerFile.read(file).address), setAsDefault: false)
        try await client.waitForWorkers(1, timeout: .seconds(60))
        #expect(try await client.schedulerInfo().map(\.name) == ["early"])
        #expect(try await client.submit(TestTasks.inc, 41).result() == 42)
        await client.close()
        // Ended, the scheduler leaves no address behind for the next workers to find.
        kill(scheduler.processIdentifier, SIGTERM)
        try await eventually("the scheduler to end on SIGTERM") { !scheduler.isRunning }
        #expect(!scheduler.isRunning && !FileManager.default.fileExists(atPath: file), "the scheduler removed its file as it ended")
    }
}
