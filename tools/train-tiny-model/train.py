"""Train the tiny Llama-style model from scratch on the synthetic tasks (seeded, CPU).

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/train-tiny-model/train.py --steps 3000 --out tools/train-tiny-model/runs/main
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tasks  # noqa: E402
from model import BOS_ID, EOS_ID, PAD_ID, Config, TinyLlama, encode, generate  # noqa: E402

# training mixture: (family, split, weight). The hard splits are seen, rarely, so that
# their held-out problems are partly (not fully) solved.
DEFAULT_MIX = "addition:easy:0.42,addition:long:0.08,countdown:easy:0.38,countdown:hard:0.12"
TRAIN_SEED_BASE = 7_000_000
EVAL_EXCLUDE = 1000  # first N problems of every eval seed never appear in training


def parse_mix(s: str):
    out = []
    for part in s.split(","):
        f, sp, w = part.split(":")
        out.append((f, sp, float(w)))
    return out


class Stream:
    """Endless seeded training examples, held-out eval problems removed."""

    def __init__(self, mix, seed: int) -> None:
        self.mix = mix
        self.pick = random.Random(seed)
        self.rngs = {(f, s): tasks.Mulberry32(TRAIN_SEED_BASE + seed * 100 + k) for k, (f, s, _) in enumerate(mix)}
        self.exclude = set()
        for f in tasks.FAMILIES:
            for s in tasks.SPLITS:
                self.exclude.update(e["prompt"] for e in tasks.eval_set(f, s, EVAL_EXCLUDE))
        self.weights = [w for _, _, w in mix]

    def next(self) -> dict:
        f, s, _ = self.pick.choices(self.mix, weights=self.weights)[0]
        while True:
            ex = tasks.generate(f, s, self.rngs[(f, s)])
            if ex["prompt"] not in self.exclude:
                return ex


def make_batches(stream: Stream, batch: int, group: int, rng: random.Random):
    exs = [stream.next() for _ in range(batch * group)]
    seqs = []
    for e in exs:
        p = [BOS_ID] + encode(e["prompt"])
        c = encode(e["completion"]) + [EOS_ID]
        seqs.append((p, c))
    seqs.sort(key=lambda pc: len(pc[0]) + len(pc[1]))
    batches = [seqs[i * batch:(i + 1) * batch] for i in range(group)]
    rng.shuffle(batches)
    for b in batches:
        L = max(len(p) + len(c) for p, c in b) - 1
        x = torch.full((len(b), L), PAD_ID, dtype=torch.long)
        y = torch.full((len(b), L), -100, dtype=torch.long)
        m = torch.zeros((len(b), L), dtype=torch.long)
        for i, (p, c) in enumerate(b):
            s = p + c
            n = len(s) - 1
            x[i, :n] = torch.tensor(s[:-1])
            m[i, :n] = 1
            tgt = torch.tensor(s[1:])
            tgt[: len(p) - 1] = -100  # no loss on the prompt
            y[i, :n] = tgt
        yield x, y, m


def evaluate(model, n: int, batch: int = 50, log=print) -> dict:
    res = {}
    for f in tasks.FAMILIES:
        for s in tasks.SPLITS:
            exs = tasks.eval_set(f, s, n)
            ok = 0
            for i in range(0, n, batch):
                chunk = exs[i:i + batch]
                outs = generate(model, [e["prompt"] for e in chunk])
                ok += sum(tasks.check(e["prompt"], o) for e, o in zip(chunk, outs))
            res[f"{f}/{s}"] = ok / n
            log(f"  eval {f}/{s}: {ok}/{n} = {ok / n:.3f}")
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--mix", default=DEFAULT_MIX)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-n", type=int, default=200)
    ap.add_argument("--eval-every", type=int, default=0)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--ffn", type=int, default=384)
    ap.add_argument("--init", default="", help="continue from a checkpoint (weights only)")
    ap.add_argument("--stop-at", type=int, default=0, help="stop early at this step (schedule still spans --steps)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    logf = open(os.path.join(args.out, "train.log"), "a")

    def log(*a):
        msg = " ".join(str(x) for x in a)
        print(msg, flush=True)
        logf.write(msg + "\n")
        logf.flush()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    cfg = Config(hidden_size=args.hidden, num_hidden_layers=args.layers, intermediate_size=args.ffn)
    model = TinyLlama(cfg)
    if args.init:
        model.load_state_dict(torch.load(args.init)["model"])
    log(f"args {vars(args)}")
    log(f"config {cfg.to_json()}")
    log(f"params {model.num_params()}")

    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=args.lr, betas=(0.9, 0.98), eps=1e-8)

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        t = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.lr * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * t)))

    stream = Stream(parse_mix(args.mix), args.seed)
    brng = random.Random(args.seed + 1)
    t0 = time.time()
    step, tokens, loss_acc, n_acc = 0, 0, 0.0, 0
    model.train()
    last = args.stop_at or args.steps
    while step < last:
        for x, y, m in make_batches(stream, args.batch, 16, brng):
            if step >= last:
                break
            for g in opt.param_groups:
                g["lr"] = lr_at(step)
            pos = torch.arange(x.shape[1]).unsqueeze(0).expand_as(x)
            logits, _ = model(model.embed(x), m, pos)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1),
                                                     ignore_index=-100)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            tokens += int(m.sum())
            loss_acc += float(loss)
            n_acc += 1
            if step % 50 == 0:
                el = time.time() - t0
                log(f"step {step} loss {loss_acc / n_acc:.4f} lr {lr_at(step):.2e} tok {tokens} "
                    f"{tokens / el:.0f} tok/s elapsed {el:.0f}s")
                loss_acc, n_acc = 0.0, 0
            if args.eval_every and step % args.eval_every == 0 and step < last:
                torch.save({"model": model.state_dict(), "config": cfg.__dict__, "step": step},
                           os.path.join(args.out, "ckpt.pt"))
                evaluate(model, 100, log=log)
                model.train()
    el = time.time() - t0
    log(f"trained {step} steps, {tokens} tokens in {el:.0f}s")
    torch.save({"model": model.state_dict(), "config": cfg.__dict__, "step": step, "train_seconds": el},
               os.path.join(args.out, "ckpt.pt"))
    res = evaluate(model, args.eval_n, log=log)
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump({"greedy": res, "eval_n": args.eval_n, "steps": step, "train_seconds": round(el),
                   "params": model.num_params(), "args": vars(args)}, f, indent=2)


if __name__ == "__main__":
    main()
