#!/usr/bin/env bash
# Reproduces packages/model-tiny/model from scratch (CPU, one thread per stage).
# (addition:long = operands of 6-7 digits; the hard eval split goes up to 8.)
# Stage 1 stops early at step 400 of a 1000-step cosine, stage 2 at step 1000 of a
# 2000-step cosine; stages 2, 3 and 4 continue from the previous weights (fresh AdamW)
# with a smaller batch. Everything is seeded; the only source of variation is floating-point
# summation order across machines / BLAS builds.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
PY=${PYTHON:-/usr/bin/python3}
R=tools/train-tiny-model/runs
$PY tools/train-tiny-model/train.py --steps 1000 --stop-at 400 --batch 64 --lr 3e-3 --warmup 100 --seed 1234 \
  --threads 1 --mix addition:easy:0.42,addition:long:0.08,countdown:easy:0.38,countdown:hard:0.12 --out $R/s1
$PY tools/train-tiny-model/train.py --init $R/s1/ckpt.pt --steps 2000 --stop-at 1000 --batch 32 --lr 2e-3 --warmup 50 \
  --seed 1235 --threads 1 --mix addition:easy:0.45,addition:long:0.05,countdown:easy:0.42,countdown:hard:0.08 --out $R/s2
$PY tools/train-tiny-model/train.py --init $R/s2/ckpt.pt --steps 3000 --batch 32 --lr 1.5e-3 --warmup 20 \
  --seed 1236 --threads 1 --mix addition:easy:0.36,addition:long:0.08,countdown:easy:0.42,countdown:hard:0.14 --out $R/s3
$PY tools/train-tiny-model/train.py --init $R/s3/ckpt.pt --steps 1200 --batch 32 --lr 5e-4 --warmup 20 \
  --seed 1237 --threads 1 --mix addition:easy:0.2,addition:long:0.05,countdown:easy:0.6,countdown:hard:0.15 --out $R/s4
$PY tools/train-tiny-model/sample_eval.py --ckpt $R/s4/ckpt.pt --n 100 --k 8 --temperature 0.8 --out $R/s4/sample_eval.json
$PY tools/train-tiny-model/export.py --ckpt $R/s4/ckpt.pt
$PY tools/train-tiny-model/tasks.py   # test fixture
