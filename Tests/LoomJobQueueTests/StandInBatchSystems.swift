import Foundation

/// Stand-ins for the batch systems that cannot be installed here (PBS, LSF, HTCondor, OAR):
/// one script answering as `qsub`/`qdel`/`qstat` (PBS), `bsub`/`bkill`/`bjobs`,
/// `condor_submit`/`condor_rm`/`condor_q` and `oarsub`/`oardel`/`oarstat`. They check their
/// arguments as the real ones would (a missing script, unknown options, the header lines Loom
/// must write), answer in the real output formats, errors included (queue `bad` is unknown),
/// and run each job locally in the background.
struct StandInBatchSystem {
    let directory: String

    static func make() throws -> StandInBatchSystem {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-standin-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/state", withIntermediateDirectories: true)
        let script = directory + "/stand-in"
        try Self.script.replacingOccurrences(of: "STATE", with: directory + "/state").write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        for name in ["qsub", "qdel", "qstat", "bsub", "bkill", "bjobs", "condor_submit", "condor_rm", "condor_q", "oarsub", "oardel", "oarstat"] {
            try FileManager.default.createSymbolicLink(atPath: "\(directory)/\(name)", withDestinationPath: script)
        }
        return StandInBatchSystem(directory: directory)
    }

    /// The commands called so far, one line each with their arguments.
    var calls: [String] {
        ((try? String(contentsOfFile: directory + "/state/calls", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Kills every job still running and removes the stand-ins.
    func remove() {
        let state = directory + "/state"
        for file in (try? FileManager.default.contentsOfDirectory(atPath: state)) ?? [] where file.hasSuffix(".pid") {
            if let pid = Int32((try? String(contentsOfFile: "\(state)/\(file)", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") {
                kill(-pid, SIGKILL)
                kill(pid, SIGKILL)
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    static let script = #"""
    #!/usr/bin/env bash
    # Loom's stand-in for a batch system's commands (tests only).
    state=STATE
    command=$(basename "$0")
    echo "$command $*" >> "$state/calls"
    next_id() { local n; n=$(cat "$state/next" 2>/dev/null || echo 100); echo $((n + 1)) > "$state/next"; echo "$n"; }
    # Runs the job script in its own session, so cancelling kills the whole job.
    # Only the job goes to the background, its output to a file: the command's own pipes close.
    start() { (cd "$(dirname "$2")" || exit 1; setsid bash "$2" < /dev/null > "$state/$1.out" 2>&1 & echo $! > "$state/$1.pid"); }
    alive() { [ -f "$state/$1.pid" ] && kill -0 "$(cat "$state/$1.pid")" 2>/dev/null; }
    stop() { [ -f "$state/$1.pid" ] && { kill -9 -- "-$(cat "$state/$1.pid")" 2>/dev/null; kill -9 "$(cat "$state/$1.pid")" 2>/dev/null; echo cancelled > "$state/$1.cancelled"; }; true; }
    need_header() { grep -q -- "$2" "$1" || { echo "$command: the script lacks a '$2' line" >&2; exit 2; }; }

    case "$command" in
    qsub)
        [ $# -eq 1 ] && [ -f "$1" ] || { echo "qsub: script file:: No such file or directory" >&2; exit 2; }
        grep -q '^#PBS -q bad$' "$1" && { echo "qsub: Unknown queue" >&2; exit 170; }
        need_header "$1" '^#PBS -l select=1:ncpus=[0-9][0-9]*:mem=[0-9][0-9]*\(GB\|MB\|kB\|b\)$'
        id=$(next_id); start "$id" "$1"; echo "$id.standin-pbs" ;;
    qdel) for job; do stop "${job%%.*}"; done ;;
    qstat)
        [ "$1 $2 $3 $4" = "-x -f -F json" ] || { echo "qstat: invalid option" >&2; exit 2; }
        shift 4; printf '{"Jobs": {'; separator=
        for job; do
            id=${job%%.*}; if alive "$id"; then s=R; else s=F; fi
            printf '%s"%s": {"job_state": "%s", "Exit_status": 0}' "$separator" "$job" "$s"; separator=,
        done; echo '}}' ;;
    bsub)
        [ $# -eq 0 ] || { echo "bsub: this stand-in reads the job script on standard input" >&2; exit 255; }
        script=$(mktemp "$state/bsub-XXXXXX"); cat > "$script"
        grep -q '^#BSUB -q bad$' "$script" && { echo "bad: No such queue. Job not submitted." >&2; exit 255; }
        need_header "$script" '^#BSUB -M [0-9][0-9]*$'
        id=$(next_id); start "$id" "$script"; echo "Job <$id> is submitted to queue <normal>." ;;
    bkill) for job; do stop "$job"; echo "Job <$job> is being terminated"; done ;;
    bjobs)
        [ "$1" = "-noheader" ] && [ "$2" = "-o" ] && [ "$3" = "jobid stat" ] || { echo "bjobs: invalid option" >&2; exit 255; }
        shift 3; for job; do if alive "$job"; then echo "$job RUN"; else echo "$job DONE"; fi; done ;;
    condor_submit)
        [ $# -eq 1 ] && [ -f "$1" ] || { echo "ERROR: Can't open \"$1\"" >&2; exit 1; }
        grep -q '^Queue$' "$1" || { echo "ERROR: no Queue statement in $1" >&2; exit 1; }
        grep -q '^+bad' "$1" && { echo "ERROR: Failed to parse command file" >&2; exit 1; }
        need_header "$1" '^RequestMemory = [0-9][0-9]*$'
        # Arguments = "-c '…'" with '' for a quote: the shell line between the outer quotes.
        line=$(sed -n "s/^Arguments = \"-c '\(.*\)'\"$/\1/p" "$1" | sed "s/''/'/g; s/\"\"/\"/g")
        script=$(mktemp "$state/condor-XXXXXX"); printf '%s\n' "$line" > "$script"
        id=$(next_id); start "$id" "$script"; printf 'Submitting job(s).\n1 job(s) submitted to cluster %s.\n' "$id" ;;
    condor_rm) for job; do stop "$job"; echo "All jobs in cluster $job have been marked for removal"; done ;;
    condor_q)
        ids=(); while [ $# -gt 0 ]; do case "$1" in -af:jr) shift 2 ;; *) ids+=("$1"); shift ;; esac; done
        for job in "${ids[@]}"; do alive "$job" && echo "$job.0 2"; done; true ;;
    oarsub)
        [ "$1" = "-S" ] && [ -f "$2" ] || { echo "oarsub: usage: oarsub -S script" >&2; exit 1; }
        grep -q '^#OAR -q bad$' "$2" && { echo "[ADMISSION RULE] Error: queue bad does not exist" >&2; exit 1; }
        need_header "$2" '^#OAR -l /nodes=1/core=[0-9][0-9]*'
        id=$(next_id); start "$id" "$2"; echo "OAR_JOB_ID=$id" ;;
    oardel) for job; do stop "$job"; echo "Deleting the job = $job ...REGISTERED."; done ;;
    oarstat)
        [ "$1" = "-s" ] || { echo "oarstat: this stand-in answers -s only" >&2; exit 1; }; shift
        while [ $# -gt 0 ]; do [ "$1" = "-j" ] && { if alive "$2"; then echo "$2: Running"; else echo "$2: Terminated"; fi; shift; }; shift; done ;;
    *) echo "stand-in: unknown command $command" >&2; exit 127 ;;
    esac
    """#
}
