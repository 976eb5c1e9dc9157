"""Chaos run: trains one run on a local cluster while SIGKILLing a random node (a trainer, or now and
then the coordinator) at random times, starts each killed node again, and checks at the end that the
losses are bitwise those of an undisturbed local run and that the sample ledger is clean.

Usage: ops/chaos/run KILLS [--trainers 3] [--steps 400*KILLS] [--seed S] [--coordinator-share 0.15]
                           [--gap 3,15] [--stall-ms 0] [--work DIR]
Prints one line per kill and, last, the verdict line; exit 0 only when every kill was survived,
the losses are equal and the ledger is clean.
"""

import argparse
import random
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cluster as c  # noqa: E402

PRESET = "debug"


def settings(steps, trainers):
    # debug with 8 micro-batches of 4 per step, dropout and the prefix mask: every source of
    # randomness the sample sequence and the model have, and a checkpoint every 50 steps
    return ["train.steps=%d" % steps, "train.threads=1", "train.global-batch-size=32", "train.micro-batch-size=4",
            "model.dropout=0.1", "model.attention-mask=prefix", "train.eval-interval=50", "checkpoint.interval=50",
            "data.builtin.train-documents=4000", "cluster.data-parallel=%d" % trainers]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("kills", type=int)
    p.add_argument("--trainers", type=int, default=3)
    p.add_argument("--steps", type=int, default=None, help="default: 400 per kill, at least 1500")
    p.add_argument("--seed", type=int, default=None, help="the random choices' seed (printed)")
    p.add_argument("--coordinator-share", type=float, default=0.15, help="the share of kills that hit the coordinator")
    p.add_argument("--gap", default="3,15", help="seconds of training between a recovery and the next kill: MIN,MAX")
    p.add_argument("--stall-ms", type=int, default=0, help="stall checkpoint writes this long (kills land in writes)")
    p.add_argument("--work", default=None, help="keep everything here (default: a temporary folder, removed when clean)")
    a = p.parse_args()
    a.steps = a.steps or max(1500, 400 * a.kills)
    seed = a.seed if a.seed is not None else random.randrange(1 << 31)
    rnd = random.Random(seed)
    gap = [float(x) for x in a.gap.split(",")]
    work = Path(a.work or tempfile.mkdtemp(prefix="ablate-chaos-"))
    env = {"ABLATE_CHAOS_CHECKPOINT_STALL_MS": str(a.stall_ms)} if a.stall_ms else {}
    print("chaos: seed %d, %d kills, %d trainers, %d steps, work %s" % (seed, a.kills, a.trainers, a.steps, work), flush=True)

    run_settings = settings(a.steps, a.trainers)
    cl = c.Cluster(work, a.trainers, env)
    survived, recoveries, lost_steps, coordinator_kills, unexpected = 0, [], 0, 0, []
    try:
        cl.submit("chaos", PRESET, run_settings)
        resumed_at = 0
        while survived < a.kills:
            view = cl.await_run("chaos", lambda r: r["state"] == "running" and r["step"] >= resumed_at + 2, 600)
            if view["state"] != "running":
                break
            time.sleep(rnd.uniform(*gap))
            for n in cl.nodes():
                if not n.alive():  # not killed by us: downed by the cluster, or crashed
                    unexpected.append("%s (%s, exit %s, log %s)" % (n.name, n.address, n.process.returncode, n.log))
                    print("unexpected: %s exited; starting it again" % unexpected[-1], flush=True)
                    cl.restart(n)
            coordinator = rnd.random() < a.coordinator_share
            before = cl.run("chaos")
            if before is None:
                continue  # the API did not answer in time: choose again
            if before["state"] != "running":
                break
            victim = cl.coordinator if coordinator else cl.node_at(rnd.choice(before["nodes"]))
            killed = time.time()
            victim.kill()
            victim.wait(20)
            # the killed node comes back meanwhile (a supervisor restarting it), as a spare the group
            # takes at its next checkpoint barrier; the recovery does not wait for it
            delay = rnd.uniform(0.5, 3)
            restart = threading.Thread(target=lambda: (time.sleep(delay), cl.restart(victim)), daemon=True)
            restart.start()
            at = before["step"]
            # recovered: the first step completed after the kill (from memory the run goes on from
            # the step in flight; after a coordinator's loss, from the committed checkpoint)
            floor = before["committed_step"] if coordinator else at
            after = cl.await_run("chaos", lambda r: r["state"] == "running" and r["step"] > floor + (0 if coordinator else 1)
                                 or r["state"] != "running" and r["state"] != "queued", 600)
            seconds = time.time() - killed
            restart.join(300)
            if after["state"] not in ("running", "finished"):
                print("kill %d: %s at step %d -> the run is %s: %s" % (survived + 1, victim.name, at, after["state"],
                                                                    after.get("error")), flush=True)
                break
            survived += 1
            coordinator_kills += coordinator
            recoveries.append(seconds)
            resumed_at = after["step"]
            print("kill %d: %s (%s) at step %d; training again at step %d after %.1f s, %d trainers, %d restarts"
                  % (survived, victim.name, victim.address, at, after["step"], seconds, after["trainers"], after["restarts"]),
                  flush=True)
            if after["state"] == "finished":
                break
        end = cl.await_run("chaos", lambda r: r["state"] in ("finished", "failed", "cancelled", "paused"), 3600)
    finally:
        cl.stop()

    run_dir = work / "runs" / "chaos"
    expected = c.local_run(work, PRESET, [s for s in run_settings if not s.startswith("cluster.")])
    equal, why = c.same_losses(expected, c.losses(run_dir))
    ledger = c.ledger(run_dir)
    lost_steps = ledger.get("undone_steps", -1)
    final = expected[max(expected)][0] if expected else float("nan")
    ok = end["state"] == "finished" and survived == a.kills and equal and ledger.get("clean") and not unexpected
    print("verdict: %s: %d of %d kills survived (%d of the coordinator), %d completed steps lost (ledger: %d restarts, "
          "%d regroups, %s), %d nodes exited unexpectedly, final loss %r %s the undisturbed run's%s; recovery median %.1f s (min %.1f, max %.1f); seed %d"
          % ("PASS" if ok else "FAIL", survived, a.kills, coordinator_kills, lost_steps, ledger.get("restarts", -1),
             ledger.get("regroups", -1), "clean" if ledger.get("clean") else "NOT clean: " + str(ledger.get("problem")),
             len(unexpected), final, "equal to" if equal else "NOT equal to", "" if equal else " (" + why + ")",
             statistics.median(recoveries) if recoveries else float("nan"), min(recoveries, default=float("nan")),
             max(recoveries, default=float("nan")), seed), flush=True)
    if ok and a.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
