"""`nclib check-stdlib`: the standard library against CPython (nclib.evals.stdlib_check)."""

from __future__ import annotations

from pathlib import Path

from nclib.cli.parser import NATURAL, POSITIVE, writing
from nclib.errors import NclibError

__all__ = ["add_parser", "run"]


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("check-stdlib", help="compile, verify against CPython and trace the standard library")
    p.add_argument("--out", default="out/stdlib-check")
    p.add_argument("--n", type=POSITIVE, default=1000, help="random inputs per routine (hard mode, one batch)")
    p.add_argument("--n-soft", type=POSITIVE, default=64, help="of which run in soft mode too (one batch)")
    p.add_argument("--max-len", type=NATURAL, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(a) -> None:
    from nclib.evals.stdlib_check import check_stdlib

    out = Path(a.out)
    with writing(out, "the check's outputs"):  # an unwritable --out fails here, before the compile
        (out / "listings").mkdir(parents=True, exist_ok=True)
    failures = check_stdlib(out, n=a.n, n_soft=a.n_soft, max_len=a.max_len, seed=a.seed)
    if failures:
        raise NclibError(f"{failures} routine/mode pair(s) disagree with CPython (see the table above)")
