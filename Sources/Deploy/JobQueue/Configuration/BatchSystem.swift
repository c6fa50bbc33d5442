/// The batch systems Loom submits workers to.
public enum BatchSystem: String, Sendable, CaseIterable {
    case slurm, pbs, lsf, sge, htcondor, oar
}
