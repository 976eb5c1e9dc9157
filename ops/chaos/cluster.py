"""A local ablate cluster of real JVMs on 127.0.0.1 for chaos runs and the recovery benchmark.

Every node is `ablate node` in a process of its own, with its output in WORK/NAME-N.log. The
coordinator keeps fixed Artery and HTTP ports, so that it can be killed and started again at the
same address; a restarted node joins through every node still alive.
"""

import json
import os
import random
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ABLATE = str(ROOT / "ablate")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, name, role, process, log, address):
        self.name, self.role, self.process, self.log, self.address = name, role, process, log, address

    def alive(self):
        return self.process.poll() is None

    def kill(self, sig=signal.SIGKILL):
        if self.alive():
            os.kill(self.process.pid, sig)

    def wait(self, seconds):
        try:
            return self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            return None


class Cluster:
    """A coordinator and trainers on loopback; every node gets env (fault injection) added."""

    def __init__(self, work, trainers, env=None, node_args=None):
        self.work = Path(work)
        self.work.mkdir(parents=True, exist_ok=True)
        self.env = dict(os.environ, **(env or {}))
        self.node_args = list(node_args or [])
        self.env.setdefault("ABLATE_TOKEN", "chaos-%d" % random.randrange(1 << 40))
        self.token = self.env["ABLATE_TOKEN"]
        self.storage = self.work / "runs"
        self.coordinator_port = free_port()
        self.http_port = free_port()
        self.api = "127.0.0.1:%d" % self.http_port
        self.starts = 0
        self.coordinator = None
        self.trainers = {}
        self.start_coordinator()
        for i in range(trainers):
            self.start_trainer(i)
        self.await_trainers(trainers)

    # nodes

    def _start(self, name, role, args):
        self.starts += 1
        log = self.work / ("%s-%d.log" % (name, self.starts))
        out = open(log, "w")
        command = [ABLATE, "node", "--role", role, "--host", "127.0.0.1", "--set", "cluster.storage=%s" % self.storage] + self.node_args + args
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=self.env, start_new_session=True)
        deadline = time.time() + 180
        while time.time() < deadline:
            text = log.read_text(errors="replace")
            m = re.search(r"node up: \S+ at (\S+)", text)
            if m and (role != "coordinator" or "api: " in text):
                return Node(name, role, process, log, m.group(1))
            if process.poll() is not None:
                raise RuntimeError("%s exited with %d; its log %s:\n%s" % (name, process.returncode, log, text[-3000:]))
            time.sleep(0.1)
        process.kill()
        raise RuntimeError("%s did not come up within 180 s; see %s" % (name, log))

    def seeds(self, without=None):
        """Every node alive but `without`, as --seed arguments."""
        args = []
        for n in [self.coordinator] + list(self.trainers.values()):
            if n is not None and n is not without and n.alive():
                args += ["--seed", n.address]
        return args

    def start_coordinator(self):
        seeds = self.seeds(without=self.coordinator)
        self.coordinator = self._start("coordinator", "coordinator",
                                       ["--port", str(self.coordinator_port), "--http-port", str(self.http_port),
                                        "--data-dir", str(self.work / "coordinator")] + seeds)
        return self.coordinator

    def start_trainer(self, i):
        old = self.trainers.get(i)
        node = self._start("trainer-%d" % i, "trainer", ["--data-dir", str(self.work / ("trainer-%d" % i))] + self.seeds(without=old))
        self.trainers[i] = node
        return node

    def restart(self, node):
        if node.role == "coordinator":
            return self.start_coordinator()
        return self.start_trainer(int(node.name.split("-")[1]))

    def nodes(self):
        return [self.coordinator] + list(self.trainers.values())

    def node_at(self, address):
        address = re.sub(r"^pekko://[^@]+@", "", address)
        for n in self.nodes():
            if n.address == address:
                return n
        raise KeyError("no node at %s among %s" % (address, [n.address for n in self.nodes()]))

    def stop(self):
        for n in reversed(self.nodes()):
            if n.alive():
                n.kill(signal.SIGCONT)
                n.kill(signal.SIGTERM)
        for n in self.nodes():
            if n.wait(20) is None:
                n.kill()

    # the API

    def request(self, method, path, body=None, timeout=10):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request("http://%s%s" % (self.api, path), data=data, method=method,
                                     headers={"Authorization": "Bearer " + self.token, "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return json.loads(r.read() or b"null")

    def run(self, name):
        """The run's view, or None while the coordinator does not answer (it is being restarted)."""
        try:
            return self.request("GET", "/api/runs/" + name)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError, ValueError):
            return None

    def submit(self, name, preset, settings):
        return self.request("POST", "/api/runs", {"name": name, "preset": preset, "set": settings})

    def await_run(self, name, until, within):
        deadline = time.time() + within
        while True:
            view = self.run(name)
            if view is not None and (until(view) or view["state"] in ("finished", "failed", "cancelled")):
                return view
            if time.time() > deadline:
                raise TimeoutError("run %s: condition not met within %d s; last view %s" % (name, within, view))
            time.sleep(0.05)

    def await_trainers(self, count, within=120):
        deadline = time.time() + within
        while time.time() < deadline:
            try:
                nodes = self.request("GET", "/api/nodes")
                if sum(1 for n in nodes if n.get("reachable") and n.get("host")) >= count:
                    return
            except (urllib.error.URLError, ConnectionError, OSError, ValueError):
                pass
            time.sleep(0.2)
        raise TimeoutError("fewer than %d trainers registered within %d s" % (count, within))


def losses(run_dir):
    """step -> (loss, val loss or None) from metrics.jsonl, the last line of a step winning."""
    out = {}
    for line in open(Path(run_dir) / "metrics.jsonl"):
        if line.strip():
            m = json.loads(line)
            out[m["step"]] = (m["loss"], m.get("val_loss"))
    return out


def ledger(run_dir):
    """`ablate ledger --json RUN_DIR`: the verdict as a dict."""
    r = subprocess.run([ABLATE, "ledger", "--json", str(run_dir)], capture_output=True, text=True)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {"clean": False, "problem": (r.stdout + r.stderr).strip()}


def local_run(work, preset, settings, env=None):
    """The undisturbed run: `ablate train` of the same config in this process's host, its losses."""
    run_dir = Path(work) / "local"
    args = [ABLATE, "train", "--preset", preset, "--run-dir", str(run_dir)]
    for s in settings:
        args += ["--set", s]
    with open(Path(work) / "local.log", "w") as log:
        subprocess.run(args, check=True, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, **(env or {})))
    return losses(run_dir)


def same_losses(expected, actual):
    """Bitwise: json floats are printed shortest-round-trip, so equal floats mean equal doubles."""
    if sorted(expected) != sorted(actual):
        return False, "steps differ: %d expected, %d trained" % (len(expected), len(actual))
    for step in sorted(expected):
        if expected[step] != actual[step]:
            return False, "step %d: %s expected, %s trained" % (step, expected[step], actual[step])
    return True, ""
