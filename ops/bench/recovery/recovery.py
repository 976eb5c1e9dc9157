"""Recovery benchmark: seconds from a trainer's SIGKILL to the first step completed after it, and the
completed steps lost, on a local cluster (JVMs on loopback), for groups of 2 and 3 trainers.

Two scenarios per group size:
  memory    one trainer of the group is killed: the survivors go on from memory (the step in
            flight is computed again, no completed step is lost); the killed node is started again
            and rejoins at a checkpoint barrier before the next kill.
  fallback  every trainer of the group is killed at once: nothing survives in memory, so the run
            is placed again on spare trainers from its last committed checkpoint.

Where the seconds go comes from the coordinator's log (its lines carry milliseconds):
  detect     kill -> the group broke (a closed collective connection, or the failure detector)
  settle     broke -> the survivors agreed and regrouped (memory: the dead rank must be declared
             unreachable, ~4 s of failure detector) / the run was placed again (fallback)
  rejoin     regrouped/placed -> the ring connected (fallback: includes loading the checkpoint)
  first      connected -> the first completed step seen on the API (warm-up included)

Usage: ops/bench/recovery/run [--kills 5] [--sizes 2,3] [--scenarios memory,fallback] [--work DIR]
Prints the median of each phase over the kills.
"""

import argparse
import json
import datetime
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "chaos"))
import cluster as c  # noqa: E402

LINE = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d\d\d) ")


def settings(steps, trainers):
    return ["train.steps=%d" % steps, "train.threads=1", "train.global-batch-size=32", "train.micro-batch-size=4",
            "train.eval-interval=0", "checkpoint.interval=50", "data.builtin.train-documents=4000",
            "cluster.data-parallel=%d" % trainers]


def log_times(log, since, pattern):
    """Wall-clock times (today, local) of the log lines after `since` that match `pattern`."""
    day = datetime.datetime.fromtimestamp(since).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    out = []
    for line in open(log, errors="replace"):
        m = LINE.match(line)
        if m and re.search(pattern, line):
            t = day + int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3)) + int(m.group(4)) / 1000
            if t >= since - 0.002:
                out.append(t)
    return out


def first_after(log, since, pattern):
    times = log_times(log, since, pattern)
    return times[0] if times else None


def last_step(metrics):
    try:
        with open(metrics, "rb") as f:
            f.seek(0, 2)
            f.seek(max(0, f.tell() - 4096))
            lines = [l for l in f.read().decode(errors="replace").splitlines() if l.strip().startswith("{")]
        return json.loads(lines[-1])["step"] if lines else -1
    except (OSError, ValueError, KeyError):
        return -1


def measure(cl, name, kill_nodes, scenario):
    before = cl.run(name)
    killed = time.time()
    for n in kill_nodes:
        n.kill(signal.SIGKILL)
    for n in kill_nodes:
        n.wait(20)
    at, committed = before["step"], before["committed_step"]
    if scenario == "memory":
        after = cl.await_run(name, lambda r: r["state"] == "running" and r["step"] > at + 1, 300)
    else:
        # the run's view keeps the old step until the next progress report: watch rank 0's metrics
        # instead, rewound to the checkpoint and then grown by the first step after it
        metrics = cl.storage / name / "metrics.jsonl"
        deadline = time.time() + 300
        while last_step(metrics) not in range(committed + 1, at) and time.time() < deadline:
            time.sleep(0.02)
        after = cl.run(name)
    done = time.time()
    log = cl.coordinator.log
    broke = first_after(log, killed, r"group %s#\d+ broke|run %s queued|group %s#\d+ broke" % (name, name, name))
    settle = first_after(log, killed, r"goes on from memory" if scenario == "memory" else r"group %s#\d+ placed on" % name)
    connected = first_after(log, settle or killed, r"group %s#\d+ connected on" % name)
    phases = {
        "total": done - killed,
        "detect": (broke or done) - killed,
        "settle": (settle - broke) if settle and broke else float("nan"),
        "rejoin": (connected - settle) if connected and settle else float("nan"),
        "first": (done - connected) if connected else float("nan"),
        "lost": float(at - (committed if scenario == "fallback" else at)),
    }
    return phases, after


def bench(size, scenario, kills, work):
    spares = size if scenario == "fallback" else 0
    # every kill of the fallback scenario is a restart of the run: allow them all
    cl = c.Cluster(work / ("%s-%d" % (scenario, size)), size + spares, node_args=["--set", "cluster.training.max-restarts=1000"])
    rows = []
    try:
        cl.submit("bench", "debug", settings(100000, size))
        for k in range(kills):
            known = {n.address for n in cl.nodes() if n.alive()}
            view = cl.await_run("bench", lambda r: r["state"] == "running" and r["trainers"] == size
                                and r["step"] >= r["committed_step"] + 5
                                and all(re.sub(r"^pekko://[^@]+@", "", a) in known for a in r["nodes"]), 300)
            if scenario == "memory":
                victims = [cl.node_at(view["nodes"][k % size])]
            else:
                victims = [cl.node_at(a) for a in view["nodes"]]
            phases, _ = measure(cl, "bench", victims, scenario)
            rows.append(phases)
            print("  %s, %d trainers, kill %d: %s" % (scenario, size, k + 1,
                                                      ", ".join("%s %.2f" % kv for kv in phases.items())), flush=True)
            restarts = [threading.Thread(target=cl.restart, args=(v,)) for v in victims]
            for t in restarts:
                t.start()
            for t in restarts:
                t.join(300)
            # let the split-brain resolver down the killed node (about 11 s) before the next kill:
            # keep-majority counts only Up members, and a joining replacement is not one yet
            time.sleep(12)
            if scenario == "fallback":
                cl.await_trainers(size + spares)
    finally:
        try:
            cl.request("POST", "/api/runs/bench/cancel")
        except Exception:  # noqa: BLE001 - already ended, or the coordinator is gone: stopping is what matters
            pass
        cl.stop()
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kills", type=int, default=5)
    p.add_argument("--sizes", default="2,3")
    p.add_argument("--scenarios", default="memory,fallback")
    p.add_argument("--work", default=None)
    a = p.parse_args()
    work = Path(a.work or tempfile.mkdtemp(prefix="ablate-recovery-"))
    results = []
    for scenario in a.scenarios.split(","):
        for size in [int(s) for s in a.sizes.split(",")]:
            rows = bench(size, scenario, a.kills, work)
            med = {k: statistics.median([r[k] for r in rows]) for k in rows[0]}
            results.append((scenario, size, len(rows), med))
    print("recovery after SIGKILL, median over kills (seconds; lost = completed steps computed again)")
    print("%-9s %8s %5s %7s %7s %7s %7s %7s %5s" % ("scenario", "trainers", "kills", "total", "detect", "settle", "rejoin",
                                                   "first", "lost"))
    for scenario, size, n, med in results:
        print("%-9s %8d %5d %7.2f %7.2f %7.2f %7.2f %7.2f %5.0f" % (scenario, size, n, med["total"], med["detect"],
                                                                    med["settle"], med["rejoin"], med["first"], med["lost"]))
    print("(logs: %s)" % work)


if __name__ == "__main__":
    main()
