"""Command-line dispatch shared by the peer scripts: `<script> WORKLOAD [--quick]`."""
import sys


def run(workloads, script, argv):
    """Runs one workload from `workloads` ({name: (function, full n, --quick n)})."""
    args = [a for a in argv if a != "--quick"]
    quick = "--quick" in argv
    if len(args) != 1 or args[0] not in workloads:
        sys.stderr.write(f"usage: {script} {{{'|'.join(workloads)}}} [--quick]\n")
        return 2
    fn, n_full, n_quick = workloads[args[0]]
    fn(n_quick if quick else n_full)
    return 0
