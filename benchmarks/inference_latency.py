"""Benchmark: INFERENCE latency of one action chunk (batch 1: what a robot waits for) of ablate's flow-matching VLA
core against lerobot's SmolVLA built at the same size (`train_throughput.py`'s builders: the same backbone, expert
width, cameras, tokens, horizon 50), each with its prefix key/value cache and 10 Euler steps, timed in the same
run (calls alternate ABBA). A second baseline is ablate's own core without the prefix cache (the prefix recomputed
at every Euler step), which shows what the cache buys. lerobot 0.6.1's SmolVLA cannot sample a chunk against the
transformers installed here (its cache `crop` with a positive length is refused; without the cache its expert-only
forward fails too): the benchmark says so and times ablate against its own uncached path only.

    .venv/bin/python benchmarks/inference_latency.py                         # tiny, CPU, 20 chunks each
    .venv/bin/python benchmarks/inference_latency.py --size small --threads 2
    .venv/bin/python benchmarks/inference_latency.py --size base --device cuda --json out.json

Printed: median and p90 milliseconds per chunk for each, and the ratios lerobot / ablate and uncached / cached
(> 1: ablate faster). Not a test: timings depend on the machine and its load."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_throughput import SIZES, build_ablate, build_smolvla, make_batches, write_smolvlm_dir

from ablate.model.flow import euler_sample

STEPS = 10  # Euler steps, both models' default


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--chunks", type=int, default=20, help="timed chunks per model")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.conditioning, args.smolvla_attention, args.trainable = "concat", "cross_attn", "all"
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    size = SIZES[args.size]
    ours = build_ablate(size, args)
    ours.denoise_steps = STEPS
    with tempfile.TemporaryDirectory() as tmp:
        theirs = build_smolvla(write_smolvlm_dir(ours, Path(tmp)), size, args)
    theirs.config.num_steps = STEPS
    ours.to(device).eval()
    theirs.to(device).eval()
    ours_batch, their_batch = make_batches(ours, 1, size, device)
    noise = torch.randn(1, ours.horizon, ours.max_action_dim, generator=torch.Generator().manual_seed(0)).to(device)

    @torch.no_grad()
    def uncached():  # the prefix (images, instruction) through every layer again at each step: no key/value cache
        prefix, valid = ours.embed_prefix(ours_batch)
        return euler_sample(lambda x, t: ours.velocity(ours_batch, prefix, valid, x, t).float(), noise, STEPS)

    with torch.no_grad():  # the same chunk either way: the cache changes the cost, not the result
        torch.testing.assert_close(uncached(), ours.sample_actions(ours_batch, noise=noise), atol=1e-4, rtol=1e-4)

    calls = {"ablate": lambda: ours.sample_actions(ours_batch, noise=noise), "ablate, no prefix cache": uncached}
    try:
        with torch.no_grad():
            theirs.predict_action_chunk(their_batch)
        calls["lerobot SmolVLA"] = lambda: theirs.predict_action_chunk(their_batch)
    except (ValueError, AttributeError) as e:  # lerobot 0.6.1's SmolVLA inference against transformers 5
        print(f"note: lerobot's SmolVLA cannot sample a chunk in this environment ({type(e).__name__}: {e}); "
              "it is left out and ablate is compared with its own uncached path only")  # fmt: skip
    times: dict[str, list[float]] = {name: [] for name in calls}
    with torch.no_grad():
        for _ in range(args.warmup):
            for call in calls.values():
                call()
        names = list(calls)
        for i in range(args.chunks):
            for name in names if i % 2 == 0 else names[::-1]:
                if device.type == "cuda":
                    torch.cuda.synchronize()
                started = time.perf_counter()
                calls[name]()
                if device.type == "cuda":
                    torch.cuda.synchronize()
                times[name].append(1000 * (time.perf_counter() - started))
    result = {
        name: {"median_ms": statistics.median(t), "p90_ms": sorted(t)[int(0.9 * (len(t) - 1))]}
        for name, t in times.items()
    }
    cache = result["ablate, no prefix cache"]["median_ms"] / result["ablate"]["median_ms"]
    theirs_ms = result.get("lerobot SmolVLA", {}).get("median_ms")
    ratio = theirs_ms / result["ablate"]["median_ms"] if theirs_ms else None
    print(f"size {args.size}, {args.device}, {args.threads} thread(s), batch 1, horizon {ours.horizon}, {STEPS} steps")
    for name, r in result.items():
        print(f"  {name:<24} median {r['median_ms']:8.1f} ms   p90 {r['p90_ms']:8.1f} ms")
    versus = f"lerobot SmolVLA / ablate: {ratio:.2f}x   " if ratio is not None else ""
    print(f"{versus}ablate uncached / cached: {cache:.2f}x   (> 1: ablate's, or its cached path, is faster)")
    if args.json:
        out = {"size": args.size, "device": args.device, "results": result, "lerobot_over_ablate": ratio,
               "uncached_over_cached": cache}  # fmt: skip
        args.json.write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
