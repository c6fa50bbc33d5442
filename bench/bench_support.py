"""Pieces of bench/run kept apart so that it stays readable: its error type, its log, and the
Kubernetes stand-in the Kubernetes workloads run against. Standard library only."""

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RUN_TIMEOUT = float(os.environ.get("LOOM_BENCH_TIMEOUT", "3600"))  # seconds per run


def log(msg=""):
    print(msg, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


class KubeStandIn:
    """The tests' Kubernetes stand-in for a workload: image `loom-bench` runs loom-bench, image
    `dask-bench` runs its args through env with the peers' virtual environment first on PATH
    (and a `dask-worker` that is `dask worker`, which classic dask-kubernetes' pods call).
    Ends when its standard input closes."""

    def __init__(self, loom_bin, python):
        self.loom_bin, self.python = loom_bin, python

    @property
    def environment(self):
        """What the sides need to reach it."""
        return {"KUBECONFIG": str(self.kubeconfig), "LOOM_BENCH_KUBE_NODE": self.node}

    def binary(self):
        override = os.environ.get("LOOM_BENCH_STANDIN")
        if override:
            return override
        if os.environ.get("LOOM_BENCH_BIN"):
            beside = Path(self.loom_bin).parent / "kube-standin"
            if os.access(beside, os.X_OK):
                return str(beside)
        cmd = ["swift", "build", "-c", "release", "--product", "kube-standin"]
        log(f"building: {shlex.join(cmd)}")
        if subprocess.run(cmd, cwd=REPO, stdout=sys.stderr, stderr=sys.stderr).returncode != 0:
            raise BenchError("swift build of kube-standin failed")
        return str(REPO / ".build" / "release" / "kube-standin")

    def __enter__(self):
        if os.geteuid() != 0:
            raise BenchError("the Kubernetes stand-in needs root (each pod is a network namespace)")
        shim = REPO / ".build" / "bench-kube-shim"
        shim.mkdir(parents=True, exist_ok=True)
        (shim / "dask-worker").write_text('#!/bin/sh\nexec dask worker "$@"\n')
        (shim / "dask-worker").chmod(0o755)
        path = f"{shim}:{Path(self.python).parent}:{os.environ.get('PATH', '')}"
        self.kubeconfig = REPO / ".build" / "bench-kubeconfig"
        cmd = [self.binary(), "--image", f"loom-bench={self.loom_bin}", "--image", "dask-bench=/usr/bin/env",
               "--kubeconfig", str(self.kubeconfig)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env={**os.environ, "PATH": path})
        self.node = None
        for line in self.proc.stdout:
            if line.startswith("node: "):
                self.node = line.split()[1]
                break
        if not self.node:
            raise BenchError(f"kube-standin did not start: {shlex.join(cmd)}")
        log(f"   kube-standin: node {self.node}, kubeconfig {self.kubeconfig}")
        return self

    def settle(self, timeout=180):
        """Waits until no pod is left from the previous run (a peer's pods may still be
        terminating), so each run starts on an idle node."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc = subprocess.run(["kubectl", "--kubeconfig", str(self.kubeconfig), "get", "pods", "-A", "-o", "name"],
                                  capture_output=True, text=True)
            if proc.returncode == 0 and not proc.stdout.strip():
                return
            time.sleep(0.5)
        log("   WARNING: pods of an earlier run are still there; measuring anyway")

    def __exit__(self, *exc):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return False


RESULT_RE = re.compile(r"^RESULT((?:\s+\w+=\S+)+)\s*$")


def parse_result(stdout):
    lines = [m for m in (RESULT_RE.match(l) for l in stdout.splitlines()) if m]
    if len(lines) != 1:
        return None, f"expected exactly one RESULT line on stdout, got {len(lines)}"
    fields = dict(kv.split("=", 1) for kv in lines[0].group(1).split())
    try:
        res = {"seconds": float(fields["seconds"]), "tasks": int(fields["tasks"])}
        for k in ("peak_rss_bytes", "held_peak"):
            if k in fields:
                res[k] = int(fields[k])
        if "value" in fields:  # the computed value, only logged
            res["value"] = float(fields["value"])
        if "parts" in fields:  # the times of a workload's steps, only logged
            res["parts"] = fields["parts"]
    except (KeyError, ValueError) as e:
        return None, f"bad RESULT line ({type(e).__name__}: {e}): {lines[0].group(0)}"
    if res["seconds"] <= 0 or res["tasks"] <= 0:
        return None, f"RESULT needs seconds > 0 and tasks > 0: {lines[0].group(0)}"
    return res, None


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _end_group(pgid, grace):
    """Waits up to `grace` s for the run's process group to empty, then SIGKILLs what is left.
    Returns True if something had to be killed."""
    deadline = time.monotonic() + grace
    while _group_alive(pgid):
        if time.monotonic() >= deadline:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                return False
            return True
        time.sleep(0.05)
    return False


def run_once(cmd, env=None):
    """One run in its own session/process group, so that whatever it starts (worker processes,
    Ray's daemons) is ended with it on a timeout and cannot linger into the next run."""
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                stdin=subprocess.DEVNULL, text=True, start_new_session=True,
                                env=None if env is None else {**os.environ, **env})
    except OSError as e:
        raise BenchError(f"cannot run {shlex.join(cmd)}: {e}")
    try:
        out, err = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        _end_group(proc.pid, 0)
        out, err = proc.communicate()
        raise BenchError(f"timed out after {RUN_TIMEOUT:.0f} s: {shlex.join(cmd)}\n{out}{err}")
    except BaseException:
        _end_group(proc.pid, 0)
        proc.wait()
        raise
    wall = time.monotonic() - t0
    if _end_group(proc.pid, 5):
        log(f"   WARNING: {shlex.join(cmd)} left processes running 5 s after it exited; killed them")
    res, why = (None, f"exit status {proc.returncode}") if proc.returncode != 0 else parse_result(out)
    if res is None:
        raise BenchError(f"{shlex.join(cmd)}: {why}\n--- stdout ---\n{out}"
                         f"--- stderr ---\n{err}--- end ---")
    res["wall"] = wall
    return res
