"""Greedy and sampled accuracy of a checkpoint on the held-out eval sets.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/train-tiny-model/sample_eval.py \
        --ckpt tools/train-tiny-model/runs/main/ckpt.pt --n 100 --k 8 --temperature 0.8

Reports per family/split: greedy accuracy, per-sample accuracy, majority-vote accuracy
(most frequent extracted answer, ties to the first seen) and pass@k.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tasks  # noqa: E402
from model import Config, TinyLlama, generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", required=True)
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--k", type=int, default=8)
    ap.add_argument("--temperature", type=float, default=0.8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default="")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ck = torch.load(args.ckpt)
    model = TinyLlama(Config(**ck["config"]))
    model.load_state_dict(ck["model"])
    model.eval()
    gen = torch.Generator().manual_seed(args.seed)
    report = {}
    for fam in tasks.FAMILIES:
        for sp in tasks.SPLITS:
            exs = tasks.eval_set(fam, sp, args.n)
            prompts = [e["prompt"] for e in exs]
            greedy = []
            for i in range(0, len(prompts), args.batch):
                greedy += generate(model, prompts[i:i + args.batch])
            g_ok = sum(tasks.check(p, o) for p, o in zip(prompts, greedy))
            rep = [p for p in prompts for _ in range(args.k)]
            samples = []
            for i in range(0, len(rep), args.batch):
                samples += generate(model, rep[i:i + args.batch], temperature=args.temperature, generator=gen)
            per, maj, pas = 0, 0, 0
            for j, p in enumerate(prompts):
                outs = samples[j * args.k:(j + 1) * args.k]
                oks = [tasks.check(p, o) for o in outs]
                per += sum(oks)
                pas += any(oks)
                answers = [tasks.extract_answer(o) for o in outs]
                answers = [a for a in answers if a]
                if answers:
                    top = Counter(answers).most_common(1)[0][0]
                    maj += tasks.check(p, "#" + top)
            r = {
                "greedy": g_ok / args.n,
                "per_sample": per / (args.n * args.k),
                "majority_vote": maj / args.n,
                f"pass@{args.k}": pas / args.n,
            }
            report[f"{fam}/{sp}"] = r
            print(f"{fam}/{sp}: " + ", ".join(f"{k} {v:.3f}" for k, v in r.items()), flush=True)
    summary = {"n": args.n, "k": args.k, "temperature": args.temperature, "results": report}
    if args.out:
        with open(args.out, "w") as f:
            json.dump(summary, f, indent=2)


if __name__ == "__main__":
    main()
