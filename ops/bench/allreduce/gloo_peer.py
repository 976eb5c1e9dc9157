"""One rank of PyTorch's Gloo all-reduce on loopback, the peer of ablate's RingBench.

Times dist.all_reduce (sum) of float32 tensors after a barrier, takes each iteration's slowest
rank, and prints on rank 0 one JSON line per size, with the same keys as RingBench:
impl, mode, ranks, bytes, median_s, busbw_gbps (bytes x 2 (R - 1) / R / median), times_s.

    /usr/bin/python3 gloo_peer.py --rank 0 --ranks 2 --port 29511 --sizes-mb 1,4
"""
import argparse
import json
import statistics
import time

import torch
import torch.distributed as dist


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rank", type=int, required=True)
    p.add_argument("--ranks", type=int, required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--sizes-mb", default="1,4,16,64,256")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--iters", type=int, default=10)
    a = p.parse_args()
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{a.port}", rank=a.rank, world_size=a.ranks)
    for mb in (int(s) for s in a.sizes_mb.split(",")):
        n = mb * (1 << 20) // 4
        x = 1.0 / (1 + (torch.arange(n, dtype=torch.int64) & 1023).float())  # the values RingBench sums
        at_least = -(-64 // mb)  # iterations that move 64 MiB, as RingBench counts
        warmup, iters = max(a.warmup, at_least), max(a.iters, at_least)
        times = []
        for it in range(warmup + iters):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(x)
            mine = torch.tensor([time.perf_counter() - start], dtype=torch.float64)
            dist.all_reduce(mine, op=dist.ReduceOp.MAX)
            if it >= warmup:
                times.append(mine.item())
        if a.rank == 0:
            median = statistics.median(times)
            nbytes = 4 * n
            print(json.dumps({"impl": "gloo", "mode": "fast", "ranks": a.ranks, "bytes": nbytes, "median_s": median,
                              "busbw_gbps": nbytes * 2 * (a.ranks - 1) / a.ranks / median / 1e9, "times_s": times}), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
