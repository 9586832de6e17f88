"""Write (prompt, answer) rows for counting inversions as JSON lines: the kind of file a user brings.

    python examples/inversions/make_data.py --out out/inversions/data.jsonl --n 3000

Each row: {"prompt": ..., "answer": ..., "size": list length}; the prompt ends where the answer
begins. Lists of 2-8 numbers from 0-99 in five wordings. The answers come from plain Python, not
from nclib."""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

WORDINGS = [
    "How many inversions does the list {xs} have? Answer: ",
    "Count the pairs that are out of order in {xs}: ",
    "inversions([{xs}]) = ",
    "List: {xs}\nNumber of inversions: ",
    "The sequence {xs} contains this many inverted pairs: ",
]


def inversions(xs: list[int]) -> int:
    return sum(xs[i] > xs[j] for i in range(len(xs)) for j in range(i + 1, len(xs)))


def rows(n: int, seed: int, sizes=range(2, 9)) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        xs = [rng.randrange(100) for _ in range(rng.choice(sizes))]
        prompt = rng.choice(WORDINGS).format(xs=", ".join(map(str, xs)))
        out.append({"prompt": prompt, "answer": str(inversions(xs)), "size": len(xs)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="out/inversions/data.jsonl")
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    a = parser.parse_args()
    path = Path(a.out)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in rows(a.n, a.seed)))
    tmp.replace(path)  # all-new or all-old
    print(f"{a.n} rows in {path}")


if __name__ == "__main__":
    main()
