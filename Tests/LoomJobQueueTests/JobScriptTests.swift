import LoomCore
import LoomDistributed
import Testing
@testable import LoomJobQueue

/// Job scripts for each batch system, with their header lines and memory rules.
struct JobScriptTests {
    func options(cores: Int = 24, memory: String = "128GB") -> JobQueueOptions {
        var options = JobQueueOptions(cores: cores, memory: memory)
        options.workerCommand = "/opt/app/myapp"
        return options
    }

    @Test func memoryIsWrittenInEachSystemsUnits() {
        #expect(BatchMemory.slurm(28_000_000_000) == "27G", "28GB decimal is 26.1 GiB, rounded up")
        #expect(BatchMemory.slurm(1 << 30) == "1G" && BatchMemory.slurm(500 << 20) == "500M" && BatchMemory.slurm(1000) == "1K")
        #expect(BatchMemory.pbs(16 << 30) == "16GB" && BatchMemory.pbs(9 << 30) == "9216MB" && BatchMemory.pbs(5000) == "5000b")
        #expect(BatchMemory.pbs(20 << 10) == "20kB")
        #expect(BatchMemory.lsf(2_000_000_001) == "2000001" && BatchMemory.lsf(2_000_000_000, unit: "MB") == "2000MB")
        #expect(BatchMemory.condorMemory(4 << 30) == "4096" && BatchMemory.condorDisk(1 << 20) == "1024")
    }

    @Test func theSeedsSlurmClusterScript() throws {
        var slurm = options()
        slurm.queue = "normal"
        slurm.walltime = "02:00:00"
        slurm.jobExtraDirectives = ["--constraint=haswell"]
        slurm.logDirectory = "/scratch/logs"
        let script = try JobScript.render(.slurm, slurm, scheduler: "tcp://10.0.0.1:8786", name: "loom-0")
        #expect(script == """
            #!/usr/bin/env bash

            #SBATCH -J loom-worker
            #SBATCH -e /scratch/logs/loom-worker-%J.err
            #SBATCH -o /scratch/logs/loom-worker-%J.out
            #SBATCH -p normal
            #SBATCH -n 1
            #SBATCH --cpus-per-task=24
            #SBATCH --mem=120G
            #SBATCH -t 02:00:00
            #SBATCH --constraint=haswell

            /opt/app/myapp worker tcp://10.0.0.1:8786 --nthreads 6 --nworkers 4 --memory-limit 32000000000 --name loom-0 --death-timeout 60 --lifetime 6480 --lifetime-stagger 360

            """)
    }

    @Test func theSeedsSlurmClusterAsDaskUsersWriteIt() async throws {
        let cluster = try await SLURMCluster(
            queue: "normal", cores: 24, memory: "128GB", walltime: "02:00:00", jobExtraDirectives: ["--constraint=haswell"],
            setup: JobQueueSetup(host: "127.0.0.1", dashboardAddress: nil))
        let script = try cluster.jobScript()
        await cluster.close()
        for line in ["#SBATCH -p normal", "#SBATCH --cpus-per-task=24", "#SBATCH --mem=120G", "#SBATCH -t 02:00:00", "#SBATCH --constraint=haswell"] {
            #expect(script.contains(line + "\n"), "\(line) in:\n\(script)")
        }
        #expect(script.contains("--nthreads 6 --nworkers 4"), "Dask's choice of 4 workers for 24 cores")
        let error = await #expect(throws: LoomError.self) {
            _ = try await SGECluster(queue: "all.q", setup: JobQueueSetup(host: "127.0.0.1", dashboardAddress: nil))
        }
        #expect(error?.message.contains("jobqueue.sge.cores") == true, "\(String(describing: error))")
    }

    @Test func eachSystemsHeader() throws {
        var common = options(cores: 8, memory: "16GiB")
        common.queue = "q"
        common.account = "proj"
        common.walltime = "01:30:00"
        func header(_ system: BatchSystem) throws -> [String] {
            let directive = try #require(system.dialect as? any ScriptDialect).directive
            return try JobScript.render(system, common, scheduler: "tcp://h:1", name: "n").split(separator: "\n")
                .filter { $0.hasPrefix(directive + " ") }.map { String($0.dropFirst(directive.count + 1)) }
        }
        #expect(try header(.pbs) == ["-N loom-worker", "-q q", "-A proj", "-l select=1:ncpus=8:mem=16GB", "-l walltime=01:30:00"])
        #expect(try header(.lsf) == ["-J loom-worker", "-q q", "-P \"proj\"", "-n 8", "-R \"span[hosts=1]\"", "-M 17179870", "-W 01:30"])
        #expect(try header(.sge) == ["-N loom-worker", "-q q", "-P proj", "-l h_rt=01:30:00", "-cwd", "-j y"])
        #expect(try header(.oar) == ["-n loom-worker", "-q q", "--project proj", "-l /nodes=1/core=8,walltime=01:30:00"])
        common.resourceSpec = "select=2:ncpus=4"
        #expect(try header(.pbs).contains("-l select=2:ncpus=4"))
        common.jobDirectivesSkip = ["walltime"]
        #expect(try !header(.pbs).contains { $0.contains("walltime") })
    }

    @Test func htcondorGetsASubmitDescription() throws {
        var condor = options(cores: 2, memory: "4GiB")
        condor.jobScriptPrologue = ["echo 'hi there'"]
        let description = try JobScript.render(.htcondor, condor, scheduler: "tcp://h:1", name: "n")
        #expect(description.hasPrefix("Executable = /bin/sh\nArguments = \"-c 'echo ''hi there''; /opt/app/myapp worker tcp://h:1"))
        #expect(description.contains("RequestCpus = 2\nRequestMemory = 4096\nRequestDisk = 4194304\n"))
        #expect(description.hasSuffix("Queue\n"))
    }

    @Test func workerOptionsReachTheCommand() throws {
        var custom = options(cores: 4, memory: "8GB")
        custom.processes = 2
        custom.nanny = false
        custom.localDirectory = "$TMPDIR/loom"
        custom.interface = "ib0"
        custom.workerExtraArguments = ["--resources", "GPU=1"]
        let script = try JobScript.render(.slurm, custom, scheduler: "", schedulerFile: "/shared/scheduler.json", name: "job-3")
        #expect(script.contains("/opt/app/myapp worker --scheduler-file /shared/scheduler.json --nthreads 2 --nworkers 2 "
            + "--memory-limit 4000000000 --name job-3 --death-timeout 60 --no-nanny --local-directory $TMPDIR/loom --interface ib0 --resources GPU=1"))
    }

    @Test func badOptionsAreNamed() {
        var bad = options(cores: 4, memory: "lots")
        #expect(throws: LoomError.self) { try JobScript.render(.slurm, bad, scheduler: "tcp://h:1", name: "n") }
        bad.memory = "4GB"
        bad.processes = 8
        let error = #expect(throws: LoomError.self) { try JobScript.render(.slurm, bad, scheduler: "tcp://h:1", name: "n") }
        #expect(error?.message.contains("processes must be between 1 and cores (4), not 8") == true)
        bad.processes = nil
        bad.walltime = "two hours"
        let walltime = #expect(throws: LoomError.self) { try JobScript.render(.slurm, bad, scheduler: "tcp://h:1", name: "n") }
        #expect(walltime?.message.contains("walltime 'two hours'") == true)
    }
}
