import LoomCore
import LoomDistributed
import Testing
@testable import LoomJobQueue

/// Reading each batch system's answers: job ids from submissions, states from status commands.
struct BatchDialectTests {
    @Test func jobIDsFromWhatSubmitPrints() {
        #expect(BatchSystem.slurm.dialect.jobID(fromSubmitOutput: "Submitted batch job 4242\n") == "4242")
        #expect(BatchSystem.pbs.dialect.jobID(fromSubmitOutput: "1234.pbs-server\n") == "1234.pbs-server", "qdel wants the whole id")
        #expect(BatchSystem.lsf.dialect.jobID(fromSubmitOutput: "Job <77> is submitted to queue <normal>.\n") == "77")
        #expect(BatchSystem.sge.dialect.jobID(fromSubmitOutput: "Your job 9 (\"loom-worker\") has been submitted\n") == "9")
        #expect(BatchSystem.htcondor.dialect.jobID(fromSubmitOutput: "Submitting job(s).\n1 job(s) submitted to cluster 31.\n") == "31")
        #expect(BatchSystem.oar.dialect.jobID(fromSubmitOutput: "[ADMISSION RULE] Set default walltime\nOAR_JOB_ID=5150\n") == "5150")
        #expect(BatchSystem.slurm.dialect.jobID(fromSubmitOutput: "sbatch: error: Batch job submission failed") == nil)
    }

    @Test func statesFromStatusOutput() {
        let slurm = BatchSystem.slurm.dialect.states(fromStatusOutput: "11 PD\n12 R\n13 TO\n14 F\n15 CA\n", ids: ["11", "12", "13", "14", "15", "16"])
        #expect(slurm == ["11": .pending, "12": .running, "13": .timedOut, "14": .failed, "15": .cancelled, "16": .finished], "unlisted: ended")
        let sge = BatchSystem.sge.dialect.states(fromStatusOutput: """
            job-ID  prior   name       user         state submit/start at     queue                          slots ja-task-ID
            -----------------------------------------------------------------------------------------------------------------
                  1 0.50000 loom-worke root         r     11/27/2026 04:13:18 all.q@vm                           1
                  2 0.00000 loom-worke root         qw    11/27/2026 04:13:25                                    1
                  3 0.00000 loom-worke root         Eqw   11/27/2026 04:13:25                                    1
                  8 0.00000 other      root         r     11/27/2026 04:13:25 all.q@vm                           1
            """, ids: ["1", "2", "3", "4"])
        #expect(sge == ["1": .running, "2": .pending, "3": .failed, "4": .finished])
        let lsf = BatchSystem.lsf.dialect.states(fromStatusOutput: "77 RUN\n78 PEND\n79 EXIT\n", ids: ["77", "78", "79"])
        #expect(lsf == ["77": .running, "78": .pending, "79": .failed])
        let condor = BatchSystem.htcondor.dialect.states(fromStatusOutput: "31.0 2\n32.0 1\n", ids: ["31", "32", "33"])
        #expect(condor == ["31": .running, "32": .pending, "33": .finished])
        let oar = BatchSystem.oar.dialect.states(fromStatusOutput: "5150: Running\n5151: Waiting\n", ids: ["5150", "5151"])
        #expect(oar == ["5150": .running, "5151": .pending])
        let pbs = BatchSystem.pbs.dialect.states(fromStatusOutput: """
            {"Jobs": {"1.s": {"job_state": "R"}, "2.s": {"job_state": "Q"}, "3.s": {"job_state": "F", "Exit_status": 1}}}
            """, ids: ["1.s", "2.s", "3.s"])
        #expect(pbs == ["1.s": .running, "2.s": .pending, "3.s": .failed])
    }

    @Test func commandsForEachSystem() {
        #expect(BatchSystem.slurm.dialect.submit("/j/job.sh").command == ["sbatch", "/j/job.sh"])
        #expect(BatchSystem.lsf.dialect.submit("/j/job.sh") == (["bsub"], "/j/job.sh"), "bsub reads the script on standard input")
        #expect(BatchSystem.oar.dialect.submit("/j/job.sh").command == ["oarsub", "-S", "/j/job.sh"])
        #expect(BatchSystem.sge.dialect.cancel(["1", "2"]) == ["qdel", "1", "2"])
        #expect(BatchSystem.slurm.dialect.status(["1", "2"]).last == "--jobs=1,2")
    }
}
