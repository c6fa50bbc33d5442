"""Pieces of bench/run kept apart so that it stays readable: its error type, its log, the
Kubernetes stand-in the Kubernetes workloads run against and the AWS one (moto and the task
agent) of the cloud workloads. Standard library only."""

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


class StandIn:
    """A stand-in server program for a workload's runs: it ends when its standard input closes."""

    def __exit__(self, *exc):
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return False


class KubeStandIn(StandIn):
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

    def __enter__(self):
        if os.geteuid() != 0:
            raise BenchError("the Kubernetes stand-in needs root (each pod is a network namespace)")
        path = peer_path(self.python)
        self.kubeconfig = REPO / ".build" / "bench-kubeconfig"
        cmd = [standin_binary("kube-standin", self.loom_bin, "LOOM_BENCH_STANDIN"), "--image", f"loom-bench={self.loom_bin}", "--image", "dask-bench=/usr/bin/env",
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


class CloudStandIn(StandIn):
    """moto and the tests' ECS task agent for a workload (Tests/CloudStandIn; one for the
    workload, both sides against it): a task of image `loom-bench` runs loom-bench, one of image
    `dask-bench` its command as given, with the peers' virtual environment (where moto is
    installed too) first on PATH. Ends when its standard input closes."""

    def __init__(self, loom_bin, python):
        self.loom_bin, self.python = loom_bin, python

    @property
    def environment(self):
        """What the sides need to reach it: the endpoint, and keys moto takes."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_ACCESS_KEY_ID": "AKIDBENCH", "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_EC2_METADATA_DISABLED": "true"}

    def __enter__(self):
        cmd = [standin_binary("cloud-standin", self.loom_bin, "LOOM_BENCH_CLOUD_STANDIN"), "--python", str(self.python),
               "--image", f"loom-bench={self.loom_bin}", "--image", "dask-bench=as-given"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env={**os.environ, "PATH": peer_path(self.python)})
        self.endpoint = None
        for line in self.proc.stdout:
            if line.startswith("endpoint: "):
                self.endpoint = line.split()[1].rstrip("/")
                break
        if not self.endpoint:
            raise BenchError(f"cloud-standin did not start: {shlex.join(cmd)}")
        log(f"   cloud-standin: moto at {self.endpoint}")
        return self

    def settle(self, timeout=120):
        """Waits until the previous run's task processes have ended (the agent ends a stopped
        task's in the background), so each run starts on an idle machine: until moto is the
        stand-in's only child."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(children_of(self.proc.pid)) <= 1:
                return
            time.sleep(0.1)
        log("   WARNING: task processes of an earlier run are still there; measuring anyway")


def children_of(pid):
    """The processes whose parent is `pid` (from /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # "pid (name) state ppid ...": the name may hold spaces, so read after its last ')'.
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 1 and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def standin_binary(product, loom_bin, override_variable):
    """A stand-in's executable: `override_variable`'s, beside LOOM_BENCH_BIN's loom-bench, or built."""
    override = os.environ.get(override_variable)
    if override:
        return override
    if os.environ.get("LOOM_BENCH_BIN"):
        beside = Path(loom_bin).parent / product
        if os.access(beside, os.X_OK):
            return str(beside)
    cmd = ["swift", "build", "-c", "release", "--product", product]
    log(f"building: {shlex.join(cmd)}")
    if subprocess.run(cmd, cwd=REPO, stdout=sys.stderr, stderr=sys.stderr).returncode != 0:
        raise BenchError(f"swift build of {product} failed")
    return str(REPO / ".build" / "release" / product)


def peer_path(python):
    """PATH for a stand-in's peer containers: the peers' virtual environment first, and a
    `dask-worker` and `dask-scheduler` that are `dask worker`/`dask scheduler` (classic
    dask-kubernetes and dask-cloudprovider call them; distributed no longer installs them)."""
    shim = REPO / ".build" / "bench-peer-shim"
    shim.mkdir(parents=True, exist_ok=True)
    for role in ("worker", "scheduler"):
        (shim / f"dask-{role}").write_text(f'#!/bin/sh\nexec dask {role} "$@"\n')
        (shim / f"dask-{role}").chmod(0o755)
    return f"{shim}:{Path(python).parent}:{os.environ.get('PATH', '')}"


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
