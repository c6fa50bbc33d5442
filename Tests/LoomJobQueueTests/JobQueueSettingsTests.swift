import Foundation
import Loom
import Testing

/// `jobqueue:` in loom.yaml, kept per batch system as written, lists included.
@Suite struct JobQueueSettingsTests {
    private func withFile(_ text: String, _ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    @Test func sectionsAreKeptPerBatchSystemWithLists() throws {
        try withFile("jobqueue:\n  slurm:\n    queue: normal\n    job-extra-directives:\n      - --exclusive\n      - --constraint=haswell\n") { path in
            let configuration = try Configuration.load(environment: [
                "LOOM_CONFIG": path, "LOOM_JOBQUEUE__SGE__JOB_SCRIPT_PROLOGUE": "[\"module load gcc\", \"ulimit -c 0\"]",
            ])
            let systems = try configuration.section(JobQueueSettings.self).systems
            #expect(systems[.slurm]?["queue"] == ConfigurationValue(key: "jobqueue.slurm.queue", values: ["normal"], isList: false, origin: "\(path):3"))
            #expect(systems[.slurm]?["job-extra-directives"]?.values == ["--exclusive", "--constraint=haswell"])
            #expect(systems[.sge]?["job-script-prologue"]?.values == ["module load gcc", "ulimit -c 0"])
        }
        try withFile("jobqueue:\n  slrum:\n    queue: normal\n") { path in
            let configuration = try Configuration.load(environment: ["LOOM_CONFIG": path])
            let error = #expect(throws: LoomError.self) { try configuration.section(JobQueueSettings.self) }
            #expect(error?.message.hasPrefix("\(path):3: unknown batch system 'slrum'") == true, "\(String(describing: error))")
        }
        try withFile("jobqueue:\n  pbs:\n    queue: ~\n    account:\n") { path in
            let configuration = try Configuration.load(environment: ["LOOM_CONFIG": path])
            #expect(try configuration.section(JobQueueSettings.self).systems[.pbs] == nil, "null, ~ and nothing leave a setting unset")
        }
    }
}
