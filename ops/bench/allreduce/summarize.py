"""Summarizes ops/bench/allreduce/run's runs: the median over rounds of each run's median time per
implementation, mode, rank count and size; bus bandwidth from it; ablate's ratios to Gloo.
Prints a markdown table and writes every run plus the summary as JSON. Plain Python, no torch."""
import argparse
import datetime
import json
import os
import platform
import statistics


def main():
    p = argparse.ArgumentParser()
    p.add_argument("runs")
    p.add_argument("out")
    p.add_argument("--rounds", type=int)
    p.add_argument("--warmup", type=int)
    p.add_argument("--iters", type=int)
    p.add_argument("--block-bytes", type=int)
    a = p.parse_args()
    runs = [json.loads(line) for line in open(a.runs)]
    groups = {}
    for r in runs:
        groups.setdefault((r["impl"], r["mode"], r["ranks"], r["bytes"]), []).append(r)
    summary = []
    for (impl, mode, ranks, nbytes), rs in sorted(groups.items(), key=lambda kv: (kv[0][2], kv[0][3], kv[0][0], kv[0][1])):
        medians = [r["median_s"] for r in rs]
        m = statistics.median(medians)
        busbw = [nbytes * 2 * (ranks - 1) / ranks / t / 1e9 for t in medians]
        summary.append({"impl": impl, "mode": mode, "ranks": ranks, "bytes": nbytes, "rounds": len(rs), "median_s": m,
                        "busbw_gbps": nbytes * 2 * (ranks - 1) / ranks / m / 1e9,
                        "spread": (max(medians) - min(medians)) / m, "busbw_per_round": busbw,
                        "load1": [r["load1"] for r in rs]})
    by = {(s["impl"], s["mode"], s["ranks"], s["bytes"]): s for s in summary}
    rows = []
    for ranks, nbytes in sorted({(s["ranks"], s["bytes"]) for s in summary}):
        gloo = by.get(("gloo", "fast", ranks, nbytes))
        fast = by.get(("ablate", "fast", ranks, nbytes))
        det = by.get(("ablate", "deterministic", ranks, nbytes))
        row = {"ranks": ranks, "mb": nbytes / 2**20}
        for name, s in (("gloo", gloo), ("fast", fast), ("deterministic", det)):
            row[name] = s["busbw_gbps"] if s else None
            row[name + "_spread"] = s["spread"] if s else None
        row["fast_ratio"] = fast["busbw_gbps"] / gloo["busbw_gbps"] if fast and gloo else None
        row["deterministic_ratio"] = det["busbw_gbps"] / gloo["busbw_gbps"] if det and gloo else None
        rows.append(row)

    def f(x, fmt):
        return "-" if x is None else format(x, fmt)

    print("\nbus bandwidth GB/s (median over rounds; ± = (max - min) / median across rounds)\n")
    print("| ranks | MiB | Gloo | ± | ablate fast | ± | ablate deterministic | ± | fast/Gloo | deterministic/Gloo |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['ranks']} | {r['mb']:g} | {f(r['gloo'], '.2f')} | {f(r['gloo_spread'], '.0%')} | {f(r['fast'], '.2f')} "
              f"| {f(r['fast_spread'], '.0%')} | {f(r['deterministic'], '.2f')} | {f(r['deterministic_spread'], '.0%')} "
              f"| {f(r['fast_ratio'], '.2f')} | {f(r['deterministic_ratio'], '.2f')} |")
    loads = [r["load1"] for r in runs]
    print(f"\nload average (1 min) before the runs: {min(loads):.2f} to {max(loads):.2f}" if loads else "")
    result = {"date": datetime.datetime.now().isoformat(timespec="seconds"), "machine": machine(),
              "settings": {"rounds": a.rounds, "warmup": a.warmup, "iters": a.iters, "block_bytes": a.block_bytes,
                           "java_opts": os.environ.get("ABLATE_BENCH_JAVA_OPTS", "")},
              "table": rows, "summary": summary, "runs": runs}
    with open(a.out, "w") as out:
        json.dump(result, out, indent=1)
    print(f"wrote {a.out}")


def machine():
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": model, "kernel": platform.release()}


if __name__ == "__main__":
    main()
