/// Memory as each batch system wants it written in a job script. Getting GB and GiB wrong is
/// a top complaint about dask-jobqueue, so each rule is here once, exactly.
public enum BatchMemory {
    /// SLURM `--mem`: binary units rounded up, `G` from 1 GiB, `M` from 1 MiB, else `K`
    /// (28GB, 28e9 bytes, is `27G`).
    public static func slurm(_ bytes: UInt64) -> String {
        if bytes >= 1 << 30 { return "\(ceil(bytes, 1 << 30))G" }
        if bytes >= 1 << 20 { return "\(ceil(bytes, 1 << 20))M" }
        return "\(ceil(bytes, 1 << 10))K"
    }

    /// PBS `mem=`: binary units rounded up, a unit only from 10 of it (`GB` from 10 GiB, `MB`
    /// from 10 MiB, `kB` from 10 KiB), else bytes (`b`).
    public static func pbs(_ bytes: UInt64) -> String {
        if bytes >= 10 << 30 { return "\(ceil(bytes, 1 << 30))GB" }
        if bytes >= 10 << 20 { return "\(ceil(bytes, 1 << 20))MB" }
        if bytes >= 10 << 10 { return "\(ceil(bytes, 1 << 10))kB" }
        return "\(bytes)b"
    }

    /// LSF `-M`: decimal units rounded up, in the unit of `LSF_UNIT_FOR_LIMITS` (KB by default).
    public static func lsf(_ bytes: UInt64, unit: String = "KB") -> String {
        let divisors: [String: UInt64] = ["B": 1, "KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000, "TB": 1_000_000_000_000]
        let divisor = divisors[unit.uppercased()] ?? 1_000
        return "\(ceil(bytes, divisor))" + (unit.uppercased() == "KB" ? "" : unit.uppercased())
    }

    /// HTCondor `RequestMemory`: MiB, rounded up.
    public static func condorMemory(_ bytes: UInt64) -> String { "\(ceil(bytes, 1 << 20))" }

    /// HTCondor `RequestDisk`: KiB, rounded up.
    public static func condorDisk(_ bytes: UInt64) -> String { "\(ceil(bytes, 1 << 10))" }

    private static func ceil(_ value: UInt64, _ unit: UInt64) -> UInt64 { (value + unit - 1) / unit }
}
