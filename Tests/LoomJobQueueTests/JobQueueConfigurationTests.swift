import Foundation
import LoomCore
import LoomDistributed
import Testing
@testable import LoomJobQueue

/// The `jobqueue.<system>` sections of loom.yaml as job-queue clusters read them.
struct JobQueueConfigurationTests {
    func configuration(_ yaml: String, environment: [String: String] = [:]) throws -> (Configuration, String) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString).yaml").path
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        return (try Configuration.load(environment: environment.merging(["LOOM_CONFIG": path]) { $1 }), path)
    }

    @Test func aSectionGivesEachSystemItsDefaultsAndCodeOverridesThem() throws {
        let (configuration, _) = try configuration("""
            jobqueue:
              slurm:
                cores: 24
                memory: 128GB
                queue: normal
                account: physics
                walltime: "02:00:00"
                job-extra-directives: ["--constraint=haswell"]
                job-script-prologue: ["module load gcc"]
                nanny: false
                death-timeout: 120
                maximum-pending-jobs: 10
                scheduler-interface: ib0
                failures-before-pause: 3
                pause-seconds: 60
                cancel-jobs-on-signals: false
              pbs:
                queue: workq
            """)
        let slurm = try JobQueueOptions.configured(for: .slurm, configuration: configuration)
        #expect(slurm.cores == 24 && slurm.memory == "128GB" && slurm.queue == "normal" && slurm.account == "physics")
        #expect(slurm.walltime == "02:00:00" && slurm.jobExtraDirectives == ["--constraint=haswell"])
        #expect(slurm.jobScriptPrologue == ["module load gcc"] && !slurm.nanny && slurm.deathTimeout == 120)
        let setup = try JobQueueSetup.configured(for: .slurm, configuration: configuration)
        #expect(setup.limits.maximumPendingJobs == 10 && setup.schedulerInterface == "ib0")
        #expect(setup.limits.failuresBeforePause == 3 && setup.limits.pause == .seconds(60) && !setup.cancelJobsOnSignals)
        // Arguments override the section; the other systems' sections stay theirs.
        let smaller = try JobQueueOptions.configured(for: .slurm, cores: 4, memory: "8GB", configuration: configuration)
        #expect(smaller.cores == 4 && smaller.memory == "8GB" && smaller.queue == "normal")
        let pbs = try JobQueueOptions.configured(for: .pbs, cores: 2, memory: "4GB", configuration: configuration)
        #expect(pbs.queue == "workq" && pbs.account == nil && pbs.nanny)
        #expect(try JobQueueSetup.configured(for: .pbs, configuration: configuration).limits == SubmissionLimits())
    }

    @Test func mistakesNameTheFileLineAndSetting() throws {
        let (misspelt, path) = try configuration("jobqueue:\n  sge:\n    cores: 2\n    memory: 4GB\n    queues: all.q\n")
        let unknown = #expect(throws: LoomError.self) { try JobQueueOptions.configured(for: .sge, configuration: misspelt) }
        #expect(unknown?.message.hasPrefix("\(path):5: unknown setting 'jobqueue.sge.queues'") == true, "\(String(describing: unknown))")

        let (wrong, wrongPath) = try configuration("jobqueue:\n  lsf:\n    cores: many\n")
        let kind = #expect(throws: LoomError.self) { try JobQueueOptions.configured(for: .lsf, configuration: wrong) }
        #expect(kind?.message == "\(wrongPath):3: 'jobqueue.lsf.cores' is 'many', expected a positive whole number")

        let (badMemory, memoryPath) = try configuration("jobqueue:\n  slurm:\n    cores: 2\n    memory: lots\n")
        let memory = #expect(throws: LoomError.self) { try JobQueueOptions.configured(for: .slurm, configuration: badMemory) }
        #expect(memory?.message == "\(memoryPath):4: 'jobqueue.slurm.memory' is 'lots', expected a size like 128GB or 64GiB")

        let (empty, _) = try configuration("jobqueue:\n  oar:\n    queue: default\n")
        let missing = #expect(throws: LoomError.self) { try JobQueueOptions.configured(for: .oar, configuration: empty) }
        #expect(missing?.message.contains("jobqueue.oar.cores") == true)

        let (fromVariable, _) = try configuration("", environment: ["LOOM_JOBQUEUE__HTCONDOR__NANNY": "maybe"])
        let variable = #expect(throws: LoomError.self) {
            try JobQueueOptions.configured(for: .htcondor, cores: 1, memory: "1GB", configuration: fromVariable)
        }
        #expect(variable?.message == "environment variable LOOM_JOBQUEUE__HTCONDOR__NANNY: 'jobqueue.htcondor.nanny' is 'maybe', expected true or false")
    }

    @Test func theSectionIsCheckedWholeOnlyAfterCodeOverridesIt() throws {
        let (configuration, _) = try configuration("jobqueue:\n  slurm:\n    cores: 24\n    memory: 96GB\n    processes: 6\n")
        var options = try JobQueueOptions.configured(for: .slurm, cores: 4, configuration: configuration)
        #expect(throws: LoomError.self) { try options.validated() }
        options.processes = 2
        #expect(try options.validated().perWorker == 48_000_000_000)
    }
}
