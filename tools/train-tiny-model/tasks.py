"""Synthetic reasoning tasks for the tiny model.

Mirrored exactly by packages/model-tiny/src/tasks.ts (same PRNG, same draws, same
trace format): for a given (family, split, seed) both produce the same examples.

Families
--------
addition   prompt ``A+B=``; trace walks the columns right to left, one step per
           column: ``a+b+c=ss>R:A'+B'|`` (digits a, b, carry in c, two-digit column
           sum ss, the result digits R so far, the operands still to add A', B');
           then ``#`` and the sum.
           ``4071+985=`` -> ``1+5+0=06>6:407+98|7+8+0=15>56:40+9|0+9+1=10>056:4+|4+0+1=05>5056:+|#5056``
countdown  prompt ``C:n1,n2,n3>T=``; reach T using every number once with + - * /
           (a-b and a/b written larger first, results positive integers, division
           exact). Trace: a depth-first search over the first step (pairs in index
           order, ops in order + - * /); for each first step the final step takes
           the op whose value is closest to T. Lines end with ``;`` when they miss;
           the first line that hits T is repeated after ``#`` as the answer.
           ``C:3,5,7>22=`` -> ``3+5=8,8+7=15;3-5=2,7*2=14;3*5=15,15+7=22#3*5=15,15+7=22``
"""

from __future__ import annotations

MASK32 = 0xFFFFFFFF


class Mulberry32:
    """mulberry32, bit-identical to the TypeScript implementation."""

    def __init__(self, seed: int) -> None:
        self.state = seed & MASK32

    def next(self) -> float:
        self.state = (self.state + 0x6D2B79F5) & MASK32
        t = self.state
        t = _imul(t ^ (t >> 15), t | 1)
        t ^= (t + _imul(t ^ (t >> 7), t | 61)) & MASK32
        return ((t ^ (t >> 14)) & MASK32) / 4294967296.0

    def randint(self, lo: int, hi: int) -> int:
        """Uniform integer in [lo, hi] (inclusive)."""
        return lo + int(self.next() * (hi - lo + 1))


def _imul(a: int, b: int) -> int:
    return (a * b) & MASK32


FAMILIES = ("addition", "countdown")
SPLITS = ("easy", "hard")

# Split definitions (keep in sync with tasks.ts).
# hard: 6-8 digits; training only ever sees up to 7 (the "long" distribution below), so
# 8-digit operands are a length-generalization test the model mostly fails.
ADDITION_DIGITS = {"easy": (1, 4), "hard": (6, 8)}
# training-only distributions (not evaluation splits)
TRAIN_ONLY_ADDITION_DIGITS = {"long": (6, 7)}
# countdown: (number range, how many numbers at least >= 10, target range)
COUNTDOWN = {
    "easy": {"lo": 1, "hi": 9, "min_big": 0, "tmin": 10, "tmax": 100},
    "hard": {"lo": 2, "hi": 19, "min_big": 2, "tmin": 10, "tmax": 200},
}
COUNTDOWN_PREFIX = "C:"
OPS = ("+", "-", "*", "/")

# Held-out evaluation seeds: problems drawn with these seeds are excluded from training.
EVAL_SEEDS = {
    ("addition", "easy"): 1001,
    ("addition", "hard"): 1002,
    ("countdown", "easy"): 2001,
    ("countdown", "hard"): 2002,
}


# ---------------------------------------------------------------- addition


def addition_operand(rng: Mulberry32, digits: int) -> int:
    if digits == 1:
        return rng.randint(0, 9)
    return rng.randint(10 ** (digits - 1), 10**digits - 1)


def addition_trace(a: int, b: int) -> str:
    A, B = str(a), str(b)
    R = ""
    carry = 0
    steps = []
    while A or B or carry:
        da = int(A[-1]) if A else 0
        db = int(B[-1]) if B else 0
        s = da + db + carry
        A, B = A[:-1], B[:-1]
        R = str(s % 10) + R
        steps.append(f"{da}+{db}+{carry}={s:02d}>{R}:{A}+{B}|")
        carry = s // 10
    return "".join(steps)


def addition_example(a: int, b: int, split: str) -> dict:
    prompt = f"{a}+{b}="
    answer = str(a + b)
    return {
        "family": "addition",
        "split": split,
        "prompt": prompt,
        "completion": addition_trace(a, b) + "#" + answer,
        "answer": answer,
    }


def gen_addition(rng: Mulberry32, split: str) -> dict:
    lo, hi = ADDITION_DIGITS[split] if split in ADDITION_DIGITS else TRAIN_ONLY_ADDITION_DIGITS[split]
    a = addition_operand(rng, rng.randint(lo, hi))
    b = addition_operand(rng, rng.randint(lo, hi))
    return addition_example(a, b, split)


# ---------------------------------------------------------------- countdown


def apply_op(x: int, y: int, op: str):
    """Canonical step on x, y: returns (left, right, result) or None if invalid."""
    if op == "+":
        return (x, y, x + y)
    if op == "*":
        return (x, y, x * y)
    big, small = (x, y) if x >= y else (y, x)
    if op == "-":
        return None if big == small else (big, small, big - small)
    # "/"
    return (big, small, big // small) if small > 0 and big % small == 0 else None


def countdown_line(nums: list[int], i: int, j: int, op: str, target: int):
    """First step nums[i] op nums[j], then the final op closest to target."""
    first = apply_op(nums[i], nums[j], op)
    if first is None:
        return None
    l1, r1, v1 = first
    rest = [n for k, n in enumerate(nums) if k != i and k != j]
    n = rest[0]
    best = None
    for op2 in OPS:
        st = apply_op(v1, n, op2)
        if st is None:
            continue
        if best is None or abs(st[2] - target) < abs(best[1][2] - target):
            best = (op2, st)
    assert best is not None  # "+" is always valid
    op2, (l2, r2, v2) = best
    return f"{l1}{op}{r1}={v1},{l2}{op2}{r2}={v2}", v2


def countdown_trace(nums: list[int], target: int) -> tuple[str, str] | None:
    lines = []
    for i in range(len(nums)):
        for j in range(i + 1, len(nums)):
            for op in OPS:
                res = countdown_line(nums, i, j, op, target)
                if res is None:
                    continue
                text, value = res
                if value == target:
                    return "".join(lines) + text, text
                lines.append(text + ";")
    return None


def countdown_example(nums: list[int], target: int, split: str) -> dict | None:
    res = countdown_trace(nums, target)
    if res is None:
        return None
    trace, answer = res
    return {
        "family": "countdown",
        "split": split,
        "prompt": f"{COUNTDOWN_PREFIX}{','.join(map(str, nums))}>{target}=",
        "completion": trace + "#" + answer,
        "answer": answer,
    }


def gen_countdown(rng: Mulberry32, split: str) -> dict:
    cfg = COUNTDOWN[split]
    while True:
        nums = [rng.randint(cfg["lo"], cfg["hi"]) for _ in range(3)]
        # a random path of two canonical steps defines the target
        i = rng.randint(0, 2)
        j = rng.randint(0, 1)
        if j >= i:
            j += 1
        op1 = OPS[rng.randint(0, 3)]
        op2 = OPS[rng.randint(0, 3)]
        if sum(1 for n in nums if n >= 10) < cfg["min_big"]:
            continue
        first = apply_op(nums[i], nums[j], op1)
        if first is None:
            continue
        n = nums[3 - i - j]
        second = apply_op(first[2], n, op2)
        if second is None:
            continue
        target = second[2]
        if not (cfg["tmin"] <= target <= cfg["tmax"]):
            continue
        ex = countdown_example(nums, target, split)
        if ex is not None:
            return ex


# ---------------------------------------------------------------- datasets


def generate(family: str, split: str, rng: Mulberry32) -> dict:
    if family == "addition":
        return gen_addition(rng, split)
    if family == "countdown":
        return gen_countdown(rng, split)
    raise ValueError(family)


def dataset(family: str, split: str, seed: int, count: int) -> list[dict]:
    rng = Mulberry32(seed)
    return [generate(family, split, rng) for _ in range(count)]


def eval_set(family: str, split: str, count: int) -> list[dict]:
    return dataset(family, split, EVAL_SEEDS[(family, split)], count)


# ---------------------------------------------------------------- checking


def extract_answer(text: str) -> str | None:
    """The final answer: what follows the last '#', up to end of text/newline/eos."""
    k = text.rfind("#")
    if k < 0:
        return None
    ans = text[k + 1 :]
    for stop in ("</s>", "\n"):
        p = ans.find(stop)
        if p >= 0:
            ans = ans[:p]
    return ans.strip()


def parse_prompt(prompt: str) -> dict | None:
    import re

    m = re.fullmatch(r"(\d+)\+(\d+)=", prompt)
    if m:
        return {"family": "addition", "a": int(m.group(1)), "b": int(m.group(2))}
    m = re.fullmatch(r"C:(\d+(?:,\d+)*)>(\d+)=", prompt)
    if m:
        return {
            "family": "countdown",
            "numbers": [int(x) for x in m.group(1).split(",")],
            "target": int(m.group(2)),
        }
    return None


def check_countdown(numbers: list[int], target: int, answer: str) -> bool:
    import re

    pool = list(numbers)
    value = None
    steps = answer.split(",")
    if len(steps) != len(numbers) - 1:
        return False
    for st in steps:
        m = re.fullmatch(r"(\d+)([-+*/])(\d+)=(\d+)", st)
        if not m:
            return False
        x, op, y, r = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
        for v in (x, y):
            if v not in pool:
                return False
            pool.remove(v)
        if op == "+":
            ok = x + y == r
        elif op == "-":
            ok = x - y == r and r > 0
        elif op == "*":
            ok = x * y == r
        else:
            ok = y != 0 and x % y == 0 and x // y == r
        if not ok:
            return False
        pool.append(r)
        value = r
    return len(pool) == 1 and value == target


def check(prompt: str, text: str) -> bool:
    """Is the final answer in generated text `text` correct for `prompt`?"""
    p = parse_prompt(prompt)
    ans = extract_answer(text)
    if p is None or ans is None:
        return False
    if p["family"] == "addition":
        return ans == str(p["a"] + p["b"])
    return check_countdown(p["numbers"], p["target"], ans)


def write_samples(path: str, seed: int = 42, count: int = 25) -> None:
    """The fixture packages/model-tiny/test/fixtures/python-samples.jsonl (checked by the TS tests)."""
    import json

    with open(path, "w") as f:
        for fam in FAMILIES:
            for sp in SPLITS:
                for ex in dataset(fam, sp, seed, count):
                    f.write(json.dumps({"seed": seed, **ex}) + "\n")
        # the held-out eval sets' first problems, too
        for fam in FAMILIES:
            for sp in SPLITS:
                for ex in eval_set(fam, sp, 5):
                    f.write(json.dumps({"seed": EVAL_SEEDS[(fam, sp)], **ex}) + "\n")


if __name__ == "__main__":
    import os
    import sys

    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "model-tiny", "test",
                           "fixtures", "python-samples.jsonl")
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(default)
    write_samples(out)
    print("wrote", out)
