import LoomDistributed
import Testing
@testable import LoomJobQueue

/// Reading each batch system's answers: job ids from submissions, states from status commands.
struct BatchCommandsTests {
    @Test func jobIDsFromWhatSubmitPrints() {
        #expect(BatchCommands(system: .slurm).jobID(fromSubmitOutput: "Submitted batch job 4242\n") == "4242")
        #expect(BatchCommands(system: .pbs).jobID(fromSubmitOutput: "1234.pbs-server\n") == "1234.pbs-server", "qdel wants the whole id")
        #expect(BatchCommands(system: .lsf).jobID(fromSubmitOutput: "Job <77> is submitted to queue <normal>.\n") == "77")
        #expect(BatchCommands(system: .sge).jobID(fromSubmitOutput: "Your job 9 (\"loom-worker\") has been submitted\n") == "9")
        #expect(BatchCommands(system: .htcondor).jobID(fromSubmitOutput: "Submitting job(s).\n1 job(s) submitted to cluster 31.\n") == "31")
        #expect(BatchCommands(system: .oar).jobID(fromSubmitOutput: "[ADMISSION RULE] Set default walltime\nOAR_JOB_ID=5150\n") == "5150")
        #expect(BatchCommands(system: .slurm).jobID(fromSubmitOutput: "sbatch: error: Batch job submission failed") == nil)
    }

    @Test func statesFromStatusOutput() {
        let slurm = BatchCommands(system: .slurm).states(fromStatusOutput: "11 PD\n12 R\n13 TO\n14 F\n15 CA\n", ids: ["11", "12", "13", "14", "15", "16"])
        #expect(slurm == ["11": .pending, "12": .running, "13": .timedOut, "14": .failed, "15": .cancelled, "16": .finished], "unlisted: ended")
        let sge = BatchCommands(system: .sge).states(fromStatusOutput: """
            job-ID  prior   name       user         state submit/start at     queue                          slots ja-task-ID
            -----------------------------------------------------------------------------------------------------------------
                  1 0.50000 loom-worke root         r     11/27/2026 04:13:18 all.q@vm                           1
                  2 0.00000 loom-worke root         qw    11/27/2026 04:13:25                                    1
                  3 0.00000 loom-worke root         Eqw   11/27/2026 04:13:25                                    1
                  8 0.00000 other      root         r     11/27/2026 04:13:25 all.q@vm                           1
            """, ids: ["1", "2", "3", "4"])
        #expect(sge == ["1": .running, "2": .pending, "3": .failed, "4": .finished])
        let lsf = BatchCommands(system: .lsf).states(fromStatusOutput: "77 RUN\n78 PEND\n79 EXIT\n", ids: ["77", "78", "79"])
        #expect(lsf == ["77": .running, "78": .pending, "79": .failed])
        let condor = BatchCommands(system: .htcondor).states(fromStatusOutput: "31.0 2\n32.0 1\n", ids: ["31", "32", "33"])
        #expect(condor == ["31": .running, "32": .pending, "33": .finished])
        let oar = BatchCommands(system: .oar).states(fromStatusOutput: "5150: Running\n5151: Waiting\n", ids: ["5150", "5151"])
        #expect(oar == ["5150": .running, "5151": .pending])
        let pbs = BatchCommands(system: .pbs).states(fromStatusOutput: """
            {"Jobs": {"1.s": {"job_state": "R"}, "2.s": {"job_state": "Q"}, "3.s": {"job_state": "F", "Exit_status": 1}}}
            """, ids: ["1.s", "2.s", "3.s"])
        #expect(pbs == ["1.s": .running, "2.s": .pending, "3.s": .failed])
    }

    @Test func commandsForEachSystem() {
        #expect(BatchCommands(system: .slurm).submit("/j/job.sh").command == ["sbatch", "/j/job.sh"])
        #expect(BatchCommands(system: .lsf).submit("/j/job.sh") == (["bsub"], "/j/job.sh"), "bsub reads the script on standard input")
        #expect(BatchCommands(system: .oar).submit("/j/job.sh").command == ["oarsub", "-S", "/j/job.sh"])
        #expect(BatchCommands(system: .sge).cancel(["1", "2"]) == ["qdel", "1", "2"])
        #expect(BatchCommands(system: .slurm).status(["1", "2"]).last == "--jobs=1,2")
    }
}
