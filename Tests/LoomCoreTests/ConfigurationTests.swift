import Foundation
import Testing
import LoomCore

@Suite struct ConfigurationTests {
    private func withFile(_ text: String, _ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    @Test func defaultsWithoutFilesOrVariables() throws {
        let configuration = try Configuration.load(environment: ["HOME": "/nonexistent"])
        #expect(configuration == Configuration())
        #expect(configuration.localScheduler == .threads)
        #expect(configuration.localWorkers == nil)
    }

    @Test func fileThenEnvironment() throws {
        try withFile("local:\n  scheduler: processes\n  workers: 3\nprogress:\n  minimum: 2\n") { path in
            let fromFile = try Configuration.load(environment: ["LOOM_CONFIG": path])
            #expect(fromFile.localScheduler == .processes)
            #expect(fromFile.localWorkers == 3)
            #expect(fromFile.progressBarMinimum == 2)

            let overridden = try Configuration.load(environment: ["LOOM_CONFIG": path, "LOOM_LOCAL__WORKERS": "8", "LOOM_WORKER_MODE": "ignored"])
            #expect(overridden.localWorkers == 8)
            #expect(overridden.localScheduler == .processes)
        }
    }

    @Test func badEntriesNameFileLineKeyAndValue() throws {
        try withFile("local:\n  scheduler: threads\n  workers: many\n") { path in
            let error = #expect(throws: LoomError.self) { try Configuration.load(environment: ["LOOM_CONFIG": path]) }
            #expect(error?.code == .configuration)
            #expect(error?.message == "\(path):3: 'local.workers' is 'many', expected a positive whole number")
        }
        try withFile("local:\n  schedular: threads\n") { path in
            let error = #expect(throws: LoomError.self) { try Configuration.load(environment: ["LOOM_CONFIG": path]) }
            #expect(error?.message.contains("\(path):2: unknown setting 'local.schedular'") == true)
        }
        try withFile("local: [1, 2\n") { path in
            let error = #expect(throws: LoomError.self) { try Configuration.load(environment: ["LOOM_CONFIG": path]) }
            #expect(error?.message.contains("not valid YAML") == true)
        }
        let error = #expect(throws: LoomError.self) {
            try Configuration.load(environment: ["HOME": "/nonexistent", "LOOM_LOCAL__SCHEDULER": "gpu"])
        }
        #expect(error?.message == "environment variable LOOM_LOCAL__SCHEDULER: 'local.scheduler' is 'gpu', expected synchronous, threads or processes")
    }

    @Test func workerMemoryAndSchedulerSettings() throws {
        try withFile("worker:\n  memory:\n    target: 0.5\n    spill: false\nscheduler:\n  allowed-failures: 5\n") { path in
            let configuration = try Configuration.load(environment: ["LOOM_CONFIG": path, "LOOM_WORKER__MEMORY__PAUSE": "0.9"])
            #expect(configuration.workerMemory.target == 0.5)
            #expect(configuration.workerMemory.spill == nil, "false turns it off")
            #expect(configuration.workerMemory.pause == 0.9)
            #expect(configuration.workerMemory.terminate == 0.95)
            #expect(configuration.allowedFailures == 5)
        }
        let error = #expect(throws: LoomError.self) {
            try Configuration.load(environment: ["HOME": "/nonexistent", "LOOM_SCHEDULER__ALLOWED_FAILURES": "0"])
        }
        #expect(error?.message.contains("'scheduler.allowed-failures' is '0', expected a positive whole number") == true)
    }

    @Test func jobQueueSectionsAreKeptPerBatchSystemWithLists() throws {
        try withFile("jobqueue:\n  slurm:\n    queue: normal\n    job-extra-directives:\n      - --exclusive\n      - --constraint=haswell\n") { path in
            let configuration = try Configuration.load(environment: [
                "LOOM_CONFIG": path, "LOOM_JOBQUEUE__SGE__JOB_SCRIPT_PROLOGUE": "[\"module load gcc\", \"ulimit -c 0\"]",
            ])
            #expect(configuration.jobQueue[.slurm]?["queue"] == JobQueueSetting(values: ["normal"], isList: false, origin: "\(path):3"))
            #expect(configuration.jobQueue[.slurm]?["job-extra-directives"]?.values == ["--exclusive", "--constraint=haswell"])
            #expect(configuration.jobQueue[.sge]?["job-script-prologue"]?.values == ["module load gcc", "ulimit -c 0"])
        }
        try withFile("jobqueue:\n  slrum:\n    queue: normal\n") { path in
            let error = #expect(throws: LoomError.self) { try Configuration.load(environment: ["LOOM_CONFIG": path]) }
            #expect(error?.message.hasPrefix("\(path):3: unknown batch system 'slrum'") == true, "\(String(describing: error))")
        }
        try withFile("local:\n  workers: null\njobqueue:\n  pbs:\n    queue: ~\n    account:\n") { path in
            let configuration = try Configuration.load(environment: ["LOOM_CONFIG": path])
            #expect(configuration.localWorkers == nil && configuration.jobQueue[.pbs] == nil, "null, ~ and nothing leave a setting unset")
        }
        let badList = #expect(throws: LoomError.self) {
            try Configuration.load(environment: ["HOME": "/nonexistent", "LOOM_JOBQUEUE__SLURM__JOB_EXTRA_DIRECTIVES": "[\"--a\""])
        }
        #expect(badList?.message.contains("LOOM_JOBQUEUE__SLURM__JOB_EXTRA_DIRECTIVES") == true && badList?.message.contains("not a YAML list") == true)
        try withFile("local:\n  workers: [1, 2]\n") { path in
            let error = #expect(throws: LoomError.self) { try Configuration.load(environment: ["LOOM_CONFIG": path]) }
            #expect(error?.message == "\(path):2: 'local.workers' must be a single value")
        }
    }
}
