"""Textbook functions compiled unchanged, checked against CPython (issue 12, acceptance).

    python benchmarks/compile_corpus.py                  # writes results/compiler_corpus.{md,json}
    python benchmarks/compile_corpus.py --only sorts/ --hard 50 --soft 3 --out /tmp/corpus
    # on a shared machine: four processes side by side, then one report
    for k in 0 1 2 3; do python benchmarks/compile_corpus.py --shard $k/4 --out /tmp/corpus$k & done; wait
    python benchmarks/compile_corpus.py --merge /tmp/corpus0.json /tmp/corpus1.json /tmp/corpus2.json /tmp/corpus3.json

The corpus is tests/compiler/corpus/<group>/<algorithm>.py: files written the way public textbook
repositories write them (module and function docstrings with doctests, type hints, input
validation that raises, helpers in the same file, `if __name__ == "__main__"` blocks). CORPUS
below is the sibling table: for each checked function its file, its name, how to draw its
arguments, and the window / memory / stack it is compiled with. Each file's text is passed to
`nclib.compile` unchanged.

Every entry is checked on `--hard` seeded random inputs in hard mode (one batch) and on `--soft`
small inputs in soft mode (argmax of each output distribution), against CPython running the same
file imported as a module. An input counts as exact when
- CPython returns: nclib returns the same value (bool as 0/1, a tuple as its items) and leaves
  every list argument with the same contents;
- CPython raises from a `raise` / `assert` statement: nclib raises RoutineError on that statement,
  naming the same exception class;
- CPython raises from another line (IndexError, ZeroDivisionError, ValueError of max([]), ...):
  nclib stops with a RoutineError or MachineFault on that same line.
A value where CPython gave a different value or raised is a silent wrong answer. A
ValueRangeError where CPython did not overflow anything (Python has no window) is counted apart
as "window" (the table's window was too small); any other mismatch is a "wrong error".

Soft inputs are drawn from the entry's soft argument kinds (short lists) and kept only where
CPython returns and hard mode runs cleanly on the soft program, so the comparison is about soft
execution, not about the window; soft mode wraps values silently, so an input whose exact run
leaves the window says nothing about soft mode. Entries whose window is too wide for soft tables
get a smaller soft window (`soft=Soft(...)`) or skip soft with the reason stated.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import importlib.util
import inspect
import json
import os
import platform
import random
import re
import subprocess
import sys
import time
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch

import nclib
from nclib.errors import CompileError, NclibError
from nclib.fuzz.outcomes import (Outcome, describe as _describe, nclib_outcomes, python_outcome, raise_statements,  # noqa: F401
                                 same_statement, statement_spans, verdict)

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = ROOT / "tests" / "compiler" / "corpus"
SOFT_WINDOW = 32  # default soft window: the hard window clipped to [-32, 32) (soft cost grows with V squared)
SOFT_MEMORY = 24  # default soft memory cells
SOFT_DRAWS = 30  # small inputs drawn per soft input wanted (most fit; raising ones are dropped)


# -- argument kinds ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Int:
    """An int drawn uniformly from [lo, hi] (inclusive)."""

    lo: int
    hi: int

    def draw(self, rng: random.Random) -> int:
        return rng.randint(self.lo, self.hi)

    def small(self, lo: int, hi: int) -> "Int":
        """The same kind with values clipped to [lo, hi] (where that leaves any)."""
        return Int(max(self.lo, lo), min(self.hi, hi)) if max(self.lo, lo) <= min(self.hi, hi) else self


@dataclass(frozen=True)
class Ints:
    """A list of min_len..max_len ints from [lo, hi]; sorted ascending with probability `sorted_p`."""

    max_len: int
    lo: int
    hi: int
    min_len: int = 0
    sorted_p: float = 0.0

    def draw(self, rng: random.Random) -> list[int]:
        out = [rng.randint(self.lo, self.hi) for _ in range(rng.randint(self.min_len, self.max_len))]
        return sorted(out) if rng.random() < self.sorted_p else out

    def small(self, lo: int = -(2 ** 62), hi: int = 2 ** 62) -> "Ints":
        """At most 4 elements (or min_len), values clipped to [lo, hi] (where that leaves any)."""
        a, b = (max(self.lo, lo), min(self.hi, hi)) if max(self.lo, lo) <= min(self.hi, hi) else (self.lo, self.hi)
        return Ints(min(self.max_len, max(self.min_len, 4)), a, b, self.min_len, self.sorted_p)


@dataclass(frozen=True)
class Soft:
    """Soft-mode settings of an entry: its own window and memory (None: the hard window clipped to
    [-32, 32) and at most 24 cells) and argument kinds (None: the hard kinds with lists of at most 4
    elements and values in the middle half of the soft window)."""

    values: tuple[int, int] | None = None
    memory: int | None = None
    args: tuple | None = None


@dataclass(frozen=True)
class Entry:
    """One corpus function: `file` (relative to the corpus folder) and `entry` (its name) compiled
    with values / memory / stack; `args` one kind per argument passed, or `gen(rng, small)` drawing
    the whole argument tuple; `soft` the soft-mode settings, or `soft_skip` the reason there are none."""

    file: str
    entry: str
    args: tuple = ()
    values: tuple[int, int] = (-128, 128)
    memory: int = 100
    stack: int = 16
    max_steps: int = 200_000
    gen: Callable | None = None
    soft: Soft = field(default_factory=Soft)
    soft_skip: str | None = None

    @property
    def name(self) -> str:
        return f"{self.file[:-3]}:{self.entry}"

    def draw(self, rng: random.Random, small: tuple[int, int] | None = None) -> tuple:
        """One argument tuple; `small` = a soft window (lo, hi): a small input for it (the soft
        kinds, or the hard kinds with short lists and values in the middle half of the window)."""
        if self.gen is not None:
            return tuple(self.gen(rng, small is not None))
        if small is None:
            return tuple(k.draw(rng) for k in self.args)
        if self.soft.args is not None:
            return tuple(k.draw(rng) for k in self.soft.args)
        lo, hi = small
        return tuple(k.small(lo // 2, (hi - 1) // 2).draw(rng) for k in self.args)


# -- generators for arguments that depend on each other --------------------------------------------
def _same_length_pair(lo: int, hi: int, max_len: int, equal_p: float = 0.8):
    def gen(rng: random.Random, small: bool) -> tuple:
        n = rng.randint(0, 4 if small else max_len)
        m = n if rng.random() < equal_p else rng.randint(0, 4 if small else max_len)
        return [rng.randint(lo, hi) for _ in range(n)], [rng.randint(lo, hi) for _ in range(m)]
    return gen


def _knapsack(rng: random.Random, small: bool) -> tuple:
    n = rng.randint(0, 3 if small else 5)
    weights = [rng.randint(0 if small or rng.random() < 0.95 else -1, 4 if small else 8) for _ in range(n)]
    values = [rng.randint(0, 5 if small else 30) for _ in range(n if small or rng.random() < 0.9 else n + 1)]
    return rng.randint(0 if small else -1, 5 if small else 20), weights, values


def _with_bad_item(kind: Ints, bad: int, p: float):
    """Draws of `kind` where, with probability p, one element is replaced by `bad`."""
    def gen(rng: random.Random, small: bool) -> tuple:
        items = (kind.small() if small else kind).draw(rng)
        if items and not small and rng.random() < p:
            items[rng.randrange(len(items))] = bad
        return (items,)
    return gen


def _bounds(rng: random.Random, small: bool) -> tuple:
    """A non-empty list, valid (low, high) index bounds 85% of the time, and a target."""
    items = [rng.randint(-20, 20) for _ in range(rng.randint(1, 4 if small else 10))]
    low, high = rng.randrange(len(items)), rng.randrange(len(items))
    if not small and rng.random() < 0.15:
        low, high = rng.randint(-1, len(items)), rng.randint(-1, len(items))
    return items, low, high, rng.choice(items) if rng.random() < 0.5 else rng.randint(-20, 20)


def _range_query(rng: random.Random, small: bool) -> tuple:
    """A list and an inclusive range of it, out of bounds or reversed 15% of the time."""
    items = [rng.randint(-20, 20) for _ in range(rng.randint(1, 4 if small else 8))]
    start = rng.randrange(len(items))
    end = rng.randint(start, len(items) - 1)
    if not small and rng.random() < 0.15:
        start, end = rng.randint(-1, len(items)), rng.randint(-1, len(items))
    return items, start, end


def _palindrome(rng: random.Random, small: bool) -> tuple:
    """Character codes of a, b, c (small: 1, 2, 3), a palindrome half of the time."""
    a, c = (1, 3) if small else (97, 99)
    half = [rng.randint(a, c) for _ in range(rng.randint(0, 2 if small else 5))]
    if rng.random() < 0.5:
        return (half + half[::-1][rng.randint(0, 1):] if half else half,)
    return ([rng.randint(a, c) for _ in range(rng.randint(0, 4 if small else 10))],)


def _shared_prefix(rng: random.Random, small: bool) -> tuple:
    top = 3 if small else 8
    prefix = [rng.randint(0, 3) for _ in range(rng.randint(0, top))]
    first = prefix + [rng.randint(0, 3) for _ in range(rng.randint(0, top - len(prefix)))]
    second = prefix + [rng.randint(0, 3) for _ in range(rng.randint(0, top - len(prefix)))]
    return first, second


def _anagrams(rng: random.Random, small: bool) -> tuple:
    first = [rng.randint(0, 25) for _ in range(rng.randint(0, 3 if small else 8))]
    second = first[:]
    rng.shuffle(second)
    if rng.random() < 0.4 and second:
        second[rng.randrange(len(second))] = rng.randint(0, 25)
    if not small and rng.random() < 0.1:
        first = first + [26]
        second = second + [1]
    return first, second


def _run_length_pairs(rng: random.Random, small: bool) -> tuple:
    out = []
    for _ in range(rng.randint(0, 2 if small else 4)):
        out += [rng.randint(0, 5), rng.randint(0, 2 if small else 3)]
    if not small and rng.random() < 0.1:
        out.append(rng.randint(0, 5))
    return (out,)


def _single_number(rng: random.Random, small: bool) -> tuple:
    if not small and rng.random() < 0.05:
        return ([],)
    pairs = [rng.randint(0, 15 if small else 60) for _ in range(rng.randint(0, 1 if small else 4))]
    items = pairs + pairs + [rng.randint(0, 15 if small else 60)]
    rng.shuffle(items)
    return (items,)


def _power_of_two(rng: random.Random, small: bool) -> tuple:
    if rng.random() < 0.3:
        return (1 << rng.randint(0, 5 if small else 9),)
    return (rng.randint(0 if small else -3, 40 if small else 1000),)


def _ackermann(rng: random.Random, small: bool) -> tuple:
    if not small and rng.random() < 0.1:
        return rng.randint(-2, 0), rng.randint(-2, 3)
    return rng.randint(0, 1 if small else 2), rng.randint(0, 2 if small else 3)


def _flag(rng: random.Random, small: bool) -> tuple:
    items = [rng.randint(0, 2) for _ in range(rng.randint(0, 4 if small else 12))]
    if items and not small and rng.random() < 0.15:
        items[rng.randrange(len(items))] = 3
    return (items,)


def _mostly_sorted(rng: random.Random, small: bool) -> tuple:
    items = sorted(rng.randint(-10, 10) for _ in range(rng.randint(0, 4 if small else 10)))
    if len(items) > 1 and rng.random() < 0.4:
        i, j = rng.sample(range(len(items)), 2)
        items[i], items[j] = items[j], items[i]
    return (items,)


SORT = Ints(12, -50, 50)
SORTED = Ints(12, -30, 30, sorted_p=1.0)
MOSTLY_SORTED = Ints(12, -30, 30, sorted_p=0.85)

CORPUS: list[Entry] = [
    # sorts: lists of 0..12 ints in [-50, 50]
    Entry("sorts/bubble_sort.py", "bubble_sort", (SORT,)),
    Entry("sorts/insertion_sort.py", "insertion_sort", (SORT,)),
    Entry("sorts/selection_sort.py", "selection_sort", (SORT,)),
    Entry("sorts/gnome_sort.py", "gnome_sort", (SORT,)),
    Entry("sorts/cocktail_shaker_sort.py", "cocktail_shaker_sort", (SORT,)),
    Entry("sorts/odd_even_sort.py", "odd_even_sort", (SORT,)),
    Entry("sorts/comb_sort.py", "comb_sort", (SORT,)),
    Entry("sorts/shell_sort.py", "shell_sort", (SORT,)),
    Entry("sorts/counting_sort.py", "counting_sort", (SORT,), values=(-256, 256), memory=200,
          soft=Soft((-32, 32), 31, (Ints(4, -6, 6),))),
    Entry("sorts/merge_sort.py", "merge_sort", (SORT,), values=(-256, 256), memory=255, soft=Soft((-16, 48), 47)),
    Entry("sorts/quick_sort.py", "quick_sort", (SORT,)),
    Entry("sorts/heap_sort.py", "heap_sort", (SORT,)),
    Entry("sorts/pancake_sort.py", "pancake_sort", (SORT,)),
    Entry("sorts/stooge_sort.py", "stooge_sort", (Ints(7, -50, 50),)),
    Entry("sorts/exchange_sort.py", "exchange_sort", (SORT,)),
    Entry("sorts/cycle_sort.py", "cycle_sort", (Ints(12, -10, 10),)),
    # searches
    Entry("searches/linear_search.py", "linear_search", (Ints(12, -20, 20), Int(-20, 20))),
    Entry("searches/linear_search.py", "rec_linear_search", gen=_bounds),
    Entry("searches/binary_search.py", "binary_search", (MOSTLY_SORTED, Int(-30, 30))),
    # every call copies the list twice (list(...), sorted(...)) and the machine never frees memory
    Entry("searches/binary_search_recursive.py", "search", (MOSTLY_SORTED, Int(-30, 30)), values=(-256, 256), memory=255),
    Entry("searches/binary_search_recursive.py", "binary_search_by_recursion", (MOSTLY_SORTED, Int(-30, 30)),
          values=(-256, 256), memory=255),
    Entry("searches/bisect_bounds.py", "bisect_left", (SORTED, Int(-35, 35))),
    Entry("searches/bisect_bounds.py", "bisect_right", (SORTED, Int(-35, 35))),
    Entry("searches/bisect_bounds.py", "count_occurrences", (Ints(12, -5, 5, sorted_p=1.0), Int(-6, 6))),
    Entry("searches/jump_search.py", "jump_search", (SORTED, Int(-35, 35))),
    Entry("searches/exponential_search.py", "exponential_search", (SORTED, Int(-35, 35))),
    Entry("searches/interpolation_search.py", "interpolation_search", (SORTED, Int(-35, 35)), values=(-1024, 1024),
          soft=Soft((-48, 48), 24, (Ints(4, -6, 6, sorted_p=1.0), Int(-8, 8)))),
    Entry("searches/find_peak.py", "find_peak", (Ints(12, -20, 20),)),
    # maths and number theory
    Entry("maths/greatest_common_divisor.py", "greatest_common_divisor", (Int(-60, 60), Int(-60, 60))),
    Entry("maths/greatest_common_divisor.py", "gcd_by_iterative", (Int(-60, 60), Int(-60, 60))),
    Entry("maths/least_common_multiple.py", "least_common_multiple", (Int(-5, 40), Int(-5, 40)), values=(-64, 2048),
          soft=Soft((-8, 64), 8, (Int(-1, 7), Int(-1, 7)))),
    Entry("maths/extended_euclidean.py", "extended_euclidean_algorithm", (Int(-50, 50), Int(-50, 50)), values=(-512, 512),
          soft=Soft((-32, 32), 8, (Int(-9, 9), Int(-9, 9)))),
    Entry("maths/prime_check.py", "is_prime", (Int(-10, 500),), values=(-64, 1024), soft=Soft((-16, 64), 8, (Int(-3, 40),))),
    Entry("maths/sieve_of_eratosthenes.py", "prime_sieve", (Int(-3, 60),), soft=Soft((-8, 64), 40, (Int(-1, 15),))),
    Entry("maths/prime_factors.py", "prime_factors", (Int(0, 500),), values=(-16, 1024), memory=64,
          soft=Soft((-8, 64), 16, (Int(0, 40),))),
    Entry("maths/perfect_number.py", "perfect", (Int(-5, 500),), values=(-64, 2048), soft=Soft((-8, 64), 8, (Int(-2, 30),))),
    Entry("maths/integer_square_root.py", "integer_sqrt", (Int(-5, 1000),), values=(-64, 2048),
          soft=Soft((-8, 64), 8, (Int(-1, 30),))),
    Entry("maths/binary_exponentiation.py", "binary_exp_mod", (Int(-20, 20), Int(-2, 30), Int(-1, 30)), values=(-64, 1024),
          soft=Soft((-8, 64), 8, (Int(-5, 5), Int(0, 6), Int(1, 7)))),
    Entry("maths/factorial.py", "factorial", (Int(-3, 8),), values=(-8, 65536), soft=Soft((-8, 32), 8, (Int(-1, 4),))),
    Entry("maths/factorial.py", "factorial_recursive", (Int(-3, 8),), values=(-8, 65536), soft=Soft((-8, 32), 8, (Int(-1, 4),))),
    Entry("maths/fibonacci.py", "fibonacci", (Int(-2, 20),), values=(-8, 16384), soft=Soft((-8, 32), 8, (Int(-1, 7),))),
    Entry("maths/fibonacci.py", "fib_iterative", (Int(-2, 20),), values=(-8, 8192), memory=64,
          soft=Soft((-8, 32), 16, (Int(-1, 6),))),
    Entry("maths/sum_of_digits.py", "sum_of_digits", (Int(-999, 999),), values=(-1024, 1024),
          soft=Soft((-32, 32), 8, (Int(-30, 30),))),
    Entry("maths/sum_of_digits.py", "sum_of_digits_recursion", (Int(-999, 999),), values=(-1024, 1024),
          soft=Soft((-32, 32), 8, (Int(-30, 30),))),
    Entry("maths/palindrome_number.py", "reverse_number", (Int(-999, 999),), values=(-1024, 1024),
          soft=Soft((-32, 32), 8, (Int(-30, 30),))),
    Entry("maths/palindrome_number.py", "is_palindrome_number", (Int(-999, 999),), values=(-1024, 1024),
          soft=Soft((-32, 32), 8, (Int(-30, 30),))),
    Entry("maths/collatz_sequence.py", "collatz_steps", (Int(-2, 26),), values=(-8, 16384),
          soft=Soft((-8, 64), 8, (Int(0, 7),))),
    Entry("maths/euler_totient.py", "totient", (Int(-3, 300),), values=(-64, 512), soft=Soft((-8, 64), 8, (Int(-1, 40),))),
    Entry("maths/binomial_coefficient.py", "binomial_coefficient", (Int(-2, 12), Int(-2, 12)), values=(-64, 1024),
          soft=Soft((-8, 32), 12, (Int(0, 6), Int(0, 6)))),
    Entry("maths/catalan_numbers.py", "catalan_numbers", (Int(-2, 9),), values=(-8, 8192), memory=64,
          soft=Soft((-8, 64), 16, (Int(-1, 4),))),
    # dynamic programming
    Entry("dynamic_programming/climbing_stairs.py", "climb_stairs", (Int(-3, 20),), values=(-8, 16384),
          soft=Soft((-8, 32), 8, (Int(1, 6),))),
    Entry("dynamic_programming/coin_change.py", "dp_count", (Ints(4, 1, 6), Int(-3, 15)), values=(-16, 2048),
          soft=Soft((-8, 32), 24, (Ints(2, 1, 3), Int(0, 6)))),
    Entry("dynamic_programming/minimum_coin_change.py", "min_coins", (Ints(4, 0, 8), Int(-2, 20))),
    Entry("dynamic_programming/longest_increasing_subsequence.py", "longest_increasing_subsequence_length",
          (Ints(10, -20, 20),)),
    Entry("dynamic_programming/max_subarray_sum.py", "max_subarray_sum", (Ints(10, -20, 20),), values=(-256, 256)),
    Entry("dynamic_programming/knapsack.py", "knapsack", gen=_knapsack, values=(-64, 256), memory=64,
          soft=Soft((-8, 32), 24)),
    Entry("dynamic_programming/longest_common_subsequence.py", "longest_common_subsequence",
          (Ints(6, 0, 3), Ints(6, 0, 3))),
    # a new row list per element of source, never freed
    Entry("dynamic_programming/edit_distance.py", "edit_distance", (Ints(6, 0, 3), Ints(6, 0, 3)), values=(-256, 256),
          memory=255, soft=Soft((-8, 64), 63)),
    Entry("dynamic_programming/house_robber.py", "house_robber", (Ints(10, -1, 20),), values=(-64, 256),
          soft=Soft((-8, 64), 16, (Ints(4, 0, 9),))),
    Entry("dynamic_programming/rod_cutting.py", "bottom_up_cut_rod", (Int(-1, 8), Ints(8, 0, 20, min_len=3)), values=(-64, 256),
          soft=Soft((-8, 64), 24, (Int(0, 4), Ints(4, 0, 9)))),
    Entry("dynamic_programming/subset_sum.py", "is_sum_subset", (Ints(5, 0, 10), Int(0, 20))),
    Entry("dynamic_programming/max_product_subarray.py", "max_product_subarray", (Ints(6, -5, 5),), values=(-16384, 16384),
          soft=Soft((-32, 32), 16, (Ints(4, -2, 2),))),
    # arrays and two pointers
    Entry("arrays/two_sum_sorted.py", "two_pointer", (Ints(10, -20, 20, sorted_p=1.0), Int(-40, 40))),
    Entry("arrays/reverse_array.py", "reverse_array", (SORT,)),
    Entry("arrays/rotate_array.py", "rotate_array", (Ints(10, -20, 20), Int(-15, 15))),
    Entry("arrays/rotate_array.py", "rotate_in_place", (Ints(10, -20, 20), Int(-15, 15))),
    Entry("arrays/move_zeroes.py", "move_zeroes", (Ints(12, 0, 3),)),
    Entry("arrays/remove_duplicates.py", "remove_duplicates", (Ints(12, 0, 6, sorted_p=1.0),)),
    Entry("arrays/merge_sorted_arrays.py", "merge_sorted", (Ints(6, -20, 20, sorted_p=0.9), Ints(6, -20, 20, sorted_p=0.9))),
    Entry("arrays/dutch_national_flag.py", "dutch_national_flag_sort", gen=_flag),
    Entry("arrays/best_time_to_buy_and_sell_stock.py", "max_profit", (Ints(10, 0, 50),)),
    Entry("arrays/trapping_rain_water.py", "trapped_rainwater", (Ints(10, -1, 10),), values=(-32, 128)),
    Entry("arrays/container_with_most_water.py", "max_area", (Ints(10, 0, 20),), values=(-64, 256),
          soft=Soft((-8, 64), 16, (Ints(4, 0, 9),))),
    Entry("arrays/prefix_sum.py", "range_sum", gen=_range_query, values=(-256, 256)),
    Entry("arrays/majority_element.py", "majority_vote", (Ints(9, 0, 3),)),
    Entry("arrays/second_largest.py", "second_largest", (Ints(8, -10, 10),)),
    Entry("arrays/product_except_self.py", "product_except_self", (Ints(5, -4, 4),), values=(-1024, 1024),
          soft=Soft((-16, 16), 15, (Ints(4, -2, 2),))),
    Entry("arrays/max_sum_sliding_window.py", "max_sum_in_array", (Ints(10, -20, 20), Int(-1, 6)), values=(-256, 256)),
    # strings as lists of character codes
    Entry("strings/palindrome.py", "is_palindrome", gen=_palindrome, values=(-8, 128), soft=Soft((-8, 24), 23)),
    Entry("strings/palindrome.py", "is_palindrome_recursive", gen=_palindrome, values=(-8, 128), soft=Soft((-8, 24), 23)),
    Entry("strings/palindrome.py", "is_palindrome_slice", gen=_palindrome, values=(-8, 128), soft=Soft((-8, 24), 23)),
    Entry("strings/longest_common_prefix.py", "longest_common_prefix", gen=_shared_prefix),
    Entry("strings/naive_string_search.py", "naive_pattern_search", (Ints(10, 0, 2), Ints(3, 0, 2))),
    Entry("strings/knuth_morris_pratt.py", "knuth_morris_pratt", (Ints(10, 0, 2), Ints(3, 0, 2))),
    Entry("strings/check_anagrams.py", "check_anagrams", gen=_anagrams, soft=Soft((-8, 64), 60)),
    Entry("strings/run_length_encoding.py", "run_length_encode", (Ints(10, 0, 2),)),
    Entry("strings/run_length_encoding.py", "run_length_decode", gen=_run_length_pairs),
    Entry("strings/hamming_distance.py", "hamming_distance", gen=_same_length_pair(0, 3, 8)),
    Entry("strings/caesar_cipher.py", "encrypt", gen=lambda rng, small: (_with_bad_item(Ints(8, 0, 25), 26, 0.1)(rng, small)[0],
                                                                         rng.randint(-30, 30))),
    Entry("strings/caesar_cipher.py", "decrypt", (Ints(8, 0, 25), Int(-30, 30))),
    # bit manipulation
    Entry("bit_manipulation/count_set_bits.py", "get_set_bits_count_using_brian_kernighans_algorithm", (Int(-3, 1000),),
          values=(-64, 1024), soft=Soft((-8, 64), 8, (Int(0, 63),))),
    Entry("bit_manipulation/count_set_bits.py", "get_set_bits_count_using_modulo_operator", (Int(-3, 1000),),
          values=(-64, 1024), soft=Soft((-8, 64), 8, (Int(0, 63),))),
    Entry("bit_manipulation/power_of_two.py", "is_power_of_two", gen=_power_of_two, values=(-64, 1024),
          soft=Soft((-8, 64), 8)),
    Entry("bit_manipulation/binary_to_decimal.py", "bits_to_int", gen=_with_bad_item(Ints(9, 0, 1), 2, 0.1),
          values=(-16, 1024), memory=64, soft=Soft((-8, 32), 16)),
    Entry("bit_manipulation/decimal_to_binary.py", "decimal_to_binary", (Int(-3, 1000),), values=(-16, 1024), memory=64,
          soft=Soft((-8, 64), 16, (Int(0, 40),))),
    Entry("bit_manipulation/gray_code.py", "gray_code", (Int(-2, 5),), values=(-16, 128), memory=80,
          soft=Soft((-8, 32), 20, (Int(0, 3),))),
    Entry("bit_manipulation/gray_code.py", "gray_to_binary", (Int(0, 255),), values=(-16, 512),
          soft=Soft((-8, 64), 8, (Int(0, 63),))),
    # soft: 4-bit reversals (width=4), as 8-bit ones need 1 << 8 = 256 inside the window
    Entry("bit_manipulation/reverse_bits.py", "reverse_bits", (Int(-2, 300),), values=(-16, 512),
          soft=Soft((-8, 32), 8, (Int(-1, 17), Int(4, 4)))),
    Entry("bit_manipulation/single_number.py", "single_number", gen=_single_number, values=(-16, 128),
          soft=Soft((-8, 32), 16)),
    Entry("bit_manipulation/bit_hamming_distance.py", "hamming_distance", (Int(-2, 255), Int(-2, 255)), values=(-16, 512),
          soft=Soft((-8, 64), 8, (Int(0, 63), Int(0, 63)))),
    # recursion
    Entry("recursion/tower_of_hanoi.py", "hanoi", (Int(-2, 7),), values=(-16, 256), soft=Soft((-8, 32), 8, (Int(-1, 3),))),
    Entry("recursion/sum_of_list.py", "list_sum", (Ints(10, -20, 20),), values=(-256, 256)),
    Entry("recursion/power.py", "power", (Int(-5, 5), Int(-2, 6)), values=(-16384, 16384),
          soft=Soft((-32, 32), 8, (Int(-3, 3), Int(0, 3)))),
    Entry("recursion/ackermann.py", "ackermann", gen=_ackermann, stack=64, soft=Soft((-8, 16), 8)),
    Entry("recursion/reverse_list.py", "reverse_list", (SORT,)),
    Entry("recursion/count_subsets.py", "count_subsets", (Ints(6, 0, 5), Int(0, 10))),
    Entry("recursion/is_sorted.py", "is_sorted", gen=_mostly_sorted),
    Entry("recursion/grid_paths.py", "grid_paths", (Int(0, 6), Int(0, 6)), values=(-16, 512),
          soft=Soft((-8, 32), 8, (Int(1, 4), Int(1, 4)))),
]


# -- CPython side ----------------------------------------------------------------------------------
_MODULES: dict[str, object] = {}


def load_module(file: str):
    """The corpus file imported as a module (its __main__ block does not run)."""
    if file not in _MODULES:
        path = CORPUS_DIR / file
        name = "corpus_" + file[:-3].replace("/", "_")
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _MODULES[file] = module
    return _MODULES[file]


# -- nclib side ------------------------------------------------------------------------------------
def compile_entry(spec: Entry, soft: bool = False):
    """nclib.compile on the file's unchanged text with the entry's (hard or soft) settings."""
    path = CORPUS_DIR / spec.file
    values, memory = spec.values, spec.memory
    if soft:
        # soft tables grow with V squared: by default the part of the hard window inside [-64, 64)
        values = spec.soft.values or (max(values[0], -SOFT_WINDOW), min(values[1], SOFT_WINDOW))
        memory = spec.soft.memory or min(memory, SOFT_MEMORY, values[1] - 1)
    return nclib.compile(path.read_text(), entry=spec.entry, values=values, memory=memory, stack=spec.stack, file=str(path))


def full_arguments(prog, fn: Callable, args: tuple) -> tuple:
    """`args` extended with CPython's defaults (bool as 0/1) of the parameters the program takes
    beyond them, so the default values come from the oracle, not from the compiler."""
    if len(prog.params) <= len(args):
        return args
    signature = inspect.signature(fn).parameters
    defaults = [signature[name].default for name in prog.params[len(args):]]
    return args + tuple(d if d is None else int(d) for d in defaults)


# -- one entry ------------------------------------------------------------------------------------
@dataclass
class Report:
    name: str
    file: str
    entry: str
    values: tuple
    memory: int
    stack: int
    compiled: bool = False
    compile_error: str = ""
    construct: str = ""
    hard_n: int = 0
    hard_exact: int = 0
    hard_raised: int = 0  # inputs on which CPython raised
    silent: int = 0
    window: int = 0
    wrong_error: int = 0
    message_differs: int = 0
    crash: str = ""  # nclib raised something other than an NclibError while running a compiled program
    soft_n: int = 0
    soft_exact: int = 0
    soft_values: tuple | None = None
    soft_note: str = ""
    examples: list = field(default_factory=list)  # a few non-exact inputs with both outcomes
    seconds: float = 0.0  # wall clock
    cpu_seconds: float = 0.0  # this process's CPU time (the machine is shared: wall time depends on the load)


def check_entry(spec: Entry, n_hard: int = 200, n_soft: int = 10, seed: int = 0) -> Report:
    """Compile `spec` and compare it with CPython on n_hard hard and n_soft soft inputs."""
    start, cpu = time.perf_counter(), time.process_time()
    path = CORPUS_DIR / spec.file
    source = path.read_text()
    rep = Report(spec.name, spec.file, spec.entry, spec.values, spec.memory, spec.stack)
    fn = getattr(load_module(spec.file), spec.entry)
    raises, spans = raise_statements(source), statement_spans(source)
    try:
        prog = compile_entry(spec)
    except CompileError as err:
        first = err.problems[0]
        rep.compile_error = f"line {first.line}:{first.col}: {first.construct} is not supported; {first.hint}"
        rep.construct = first.construct
        rep.seconds, rep.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        return rep
    except Exception as err:  # a compiler crash is a finding too; report it, do not stop the run
        rep.compile_error = f"compiler crashed: {type(err).__name__}: {err}"
        rep.construct = f"crash ({type(err).__name__})"
        rep.seconds, rep.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        return rep
    rep.compiled = True
    rng = random.Random(zlib.crc32(f"{seed}:{spec.name}".encode()))
    calls = [spec.draw(rng) for _ in range(n_hard)]
    expected = [python_outcome(fn, c, str(path), raises) for c in calls]
    try:
        got = nclib_outcomes(prog, [full_arguments(prog, fn, c) for c in calls], "hard", spec.max_steps)
    except Exception as err:  # nclib (or this harness) crashed on a compiled program: a finding, reported
        rep.crash = f"hard run crashed: {type(err).__name__}: {err}"
        rep.seconds, rep.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
        return rep
    rep.hard_n = len(calls)
    for call, want, have in zip(calls, expected, got):
        rep.hard_raised += want.error is not None
        v = verdict(want, have, spans)
        if v == "exact":
            rep.hard_exact += 1
            if want.kind == "raise" and have.message and have.message != want.message:
                rep.message_differs += 1
            continue
        setattr(rep, v, getattr(rep, v) + 1)
        if len(rep.examples) < 3:
            rep.examples.append({"mode": "hard", "args": list(call), "verdict": v, "python": _describe(want),
                                 "nclib": _describe(have)})
    if n_soft > 0:
        try:
            _check_soft(spec, fn, str(path), raises, rep, rng, n_soft)
        except Exception as err:
            rep.crash = f"soft run crashed: {type(err).__name__}: {err}"
    rep.seconds, rep.cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    return rep


def _check_soft(spec: Entry, fn, path: str, raises, rep: Report, rng: random.Random, n_soft: int) -> None:
    if spec.soft_skip:
        rep.soft_note = f"skipped: {spec.soft_skip}"
        return
    try:
        prog = compile_entry(spec, soft=True)
    except NclibError as err:
        rep.soft_note = f"soft program does not compile: {err}"
        return
    rep.soft_values = (prog.lo, prog.lo + prog.V)
    # inputs where CPython returns and the exact run stays inside the soft window
    candidates, picked = [spec.draw(rng, small=(prog.lo, prog.lo + prog.V)) for _ in range(SOFT_DRAWS * n_soft)], []
    expected = [python_outcome(fn, c, path, raises) for c in candidates]
    fits = [c for c, e in zip(candidates, expected) if e.error is None and _fits(c, prog)][:3 * n_soft]
    fits = [full_arguments(prog, fn, c) for c in fits]
    if fits:
        hard = nclib_outcomes(prog, fits, "hard", spec.max_steps)
        picked = [c for c, h in zip(fits, hard) if h.error is None][:n_soft]
    if len(picked) < n_soft:
        rep.soft_note = f"only {len(picked)} of {SOFT_DRAWS * n_soft} small inputs run cleanly in the soft window"
    if not picked:
        return
    calls = picked
    want = [python_outcome(fn, c, path, raises) for c in calls]
    try:
        got = nclib_outcomes(prog, calls, "soft", 20_000)
    except NclibError as err:
        rep.soft_note = f"soft run refused: {err}"
        return
    rep.soft_n = len(calls)
    for call, w, g in zip(calls, want, got):
        if verdict(w, g) == "exact":
            rep.soft_exact += 1
        elif len(rep.examples) < 5:
            rep.examples.append({"mode": "soft", "args": list(call), "verdict": "soft differs", "python": _describe(w),
                                 "nclib": _describe(g)})


def _fits(call: tuple, prog) -> bool:
    lo, hi = prog.lo, prog.lo + prog.V
    flat = [x for a in call for x in (a if isinstance(a, list) else [a])]
    return all(lo <= x < hi for x in flat)


# -- report ----------------------------------------------------------------------------------------
def environment() -> dict:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "compiler", "nclib"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", ""
    return {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": f"CPU {platform.machine()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}",
            "python": platform.python_version(), "torch": torch.__version__,
            "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
            "commit": commit + (" + uncommitted compiler/nclib edits" if dirty else "")}


def totals(reports: list[Report]) -> dict:
    compiled = [r for r in reports if r.compiled]
    exact = [r for r in compiled if r.hard_exact == r.hard_n and r.soft_exact == r.soft_n and not r.crash]
    return {"functions": len(reports), "files": len({r.file for r in reports}), "compiled": len(compiled),
            "exact": len(exact), "hard_inputs": sum(r.hard_n for r in compiled),
            "hard_exact": sum(r.hard_exact for r in compiled), "soft_inputs": sum(r.soft_n for r in compiled),
            "soft_exact": sum(r.soft_exact for r in compiled), "silent": sum(r.silent for r in compiled),
            "window": sum(r.window for r in compiled), "wrong_error": sum(r.wrong_error for r in compiled),
            "python_raised": sum(r.hard_raised for r in compiled),
            "message_differs": sum(r.message_differs for r in compiled),
            "crashed": sum(bool(r.crash) for r in compiled),
            "cpu_seconds": sum(r.cpu_seconds for r in reports)}


def construct_group(construct: str) -> str:
    """The construct without the name of the function it was found in (to group the refusals)."""
    return re.sub(r" of [A-Za-z_][A-Za-z_0-9]*$", "", construct)


def write_markdown(reports: list[Report], env: dict, command: str, elapsed: float, path: Path) -> None:
    t = totals(reports)
    lines = [
        "# Compiler corpus: textbook functions compiled unchanged",
        "",
        f"`{command}` — {env['date']}, {env['machine']}, Python {env['python']}, torch {env['torch']}, "
        f"commit {env['commit']}; {elapsed:.0f} s wall clock, {t['cpu_seconds']:.0f} s CPU (the machine was shared "
        f"with a training job, load {env['load']}: the CPU time is the cost of the run).",
        "",
        f"{t['files']} files of tests/compiler/corpus/ written in the style of public textbook repositories (docstrings "
        "with doctests, type hints, validation that raises, helpers, `__main__` blocks), "
        f"{t['functions']} entry functions. Each is compiled from its unchanged file text and checked against CPython "
        "importing the same file: hard mode on seeded random inputs (CPython raising must make nclib raise on the same "
        "line: RoutineError of the same class for a raise/assert statement, a fault for other errors), soft mode by "
        "argmax on small inputs in the soft window (inputs where CPython returns and the exact run fits that window).",
        "",
        "## Totals",
        "",
        f"- compile: **{t['compiled']} of {t['functions']}**",
        f"- exact on every input (hard and soft): **{t['exact']} of {t['compiled']} compiled**",
        f"- hard inputs: {t['hard_exact']} exact of {t['hard_inputs']} ({t['python_raised']} of them make CPython raise)",
        f"- soft inputs: {t['soft_exact']} exact of {t['soft_inputs']}",
        f"- silent wrong answers: **{t['silent']}**; out-of-window errors: {t['window']}; wrong errors: {t['wrong_error']}; "
        f"runs that crashed: {t['crashed']}",
        f"- raise/assert inputs with the right error class and line but a different message: {t['message_differs']} "
        "(the message is carried only for literals and f-strings of ints)",
        "",
        "## Per function",
        "",
        "| function | window / memory / stack | compiles | hard exact | CPython raised | silent | window | wrong error "
        "| soft exact | soft window / note | CPU s |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in reports:
        if not r.compiled:
            lines.append(f"| `{r.name}` | {r.values} / {r.memory} / {r.stack} | no: {_md(r.compile_error)} | | | | | | | | "
                         f"{r.cpu_seconds:.1f} |")
            continue
        soft = f"{r.soft_exact}/{r.soft_n}"
        note = f"{r.soft_values or ''} {_md(r.soft_note)} {_md(r.crash)}".strip()
        lines.append(f"| `{r.name}` | {r.values} / {r.memory} / {r.stack} | yes | {r.hard_exact}/{r.hard_n} | {r.hard_raised} "
                     f"| {r.silent} | {r.window} | {r.wrong_error} | {soft} | {note} | {r.cpu_seconds:.1f} |")
    failing = [r for r in reports if not r.compiled]
    if failing:
        lines += ["", "## Not compiled, grouped by the first construct reported", ""]
        groups: dict[str, list[Report]] = {}
        for r in failing:
            groups.setdefault(construct_group(r.construct), []).append(r)
        for construct, rs in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
            lines.append(f"- **{_md(construct)}** ({len(rs)}): " + "; ".join(f"`{r.name}` ({_md(r.compile_error)})" for r in rs))
    inexact = [r for r in reports if r.compiled and r.examples]
    if inexact:
        lines += ["", "## Inputs that were not exact (first few per function)", ""]
        for r in inexact:
            for ex in r.examples:
                lines.append(f"- `{r.name}` {ex['mode']} {ex['args']}: {ex['verdict']}; CPython {_md(ex['python'])}; "
                             f"nclib {_md(ex['nclib'])}")
    path.write_text("\n".join(lines) + "\n")


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def write_outputs(reports: list[Report], env: dict, command: str, elapsed: float, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    write_markdown(reports, env, command, elapsed, out.with_suffix(".md"))
    out.with_suffix(".json").write_text(json.dumps({"command": command, "environment": env, "seconds": elapsed,
                                                    "totals": totals(reports),
                                                    "functions": [r.__dict__ for r in reports]}, indent=1) + "\n")
    t = totals(reports)
    print(f"compiled {t['compiled']}/{t['functions']}, exact {t['exact']}/{t['compiled']}, silent {t['silent']} "
          f"-> {out.with_suffix('.md')}")


def merge(paths: list[str], out: Path) -> None:
    """Combine the JSON outputs of `--shard` runs into one report (functions in CORPUS order; wall
    clock: the longest shard, as they ran side by side)."""
    runs = [json.loads(Path(p).read_text()) for p in paths]
    reports = [Report(**{**f, "values": tuple(f["values"]), "soft_values": tuple(f["soft_values"]) if f["soft_values"] else None})
               for run in runs for f in run["functions"]]
    order = {e.name: i for i, e in enumerate(CORPUS)}
    reports.sort(key=lambda r: order.get(r.name, len(order)))
    names = [r.name for r in reports]
    if len(set(names)) != len(names):
        raise SystemExit("the shard outputs overlap: merge the outputs of one --shard K/N set")
    command = " & ".join(run["command"] for run in runs) + "; python benchmarks/compile_corpus.py --merge " + " ".join(paths)
    write_outputs(reports, runs[0]["environment"], command, max(run["seconds"] for run in runs), out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hard", type=int, default=200, help="hard-mode inputs per function")
    parser.add_argument("--soft", type=int, default=10, help="soft-mode inputs per function (0: no soft runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="check only entries whose file:entry name contains this text")
    parser.add_argument("--shard", default="", help="K/N: check only entries K, K + N, K + 2N, ... (run N side by side, "
                        "then --merge their JSON outputs)")
    parser.add_argument("--merge", nargs="+", default=None, metavar="JSON", help="combine shard outputs into --out")
    parser.add_argument("--out", default=str(ROOT / "results" / "compiler_corpus"), help="output path without extension")
    args = parser.parse_args()
    out = Path(args.out)
    if args.merge:
        merge(args.merge, out)
        return
    torch.set_num_threads(1)  # thousands of tiny ops: one thread is faster on a shared 2-core machine
    warnings.filterwarnings("ignore", message=".* is not compiled")  # unreached functions of a file, by design
    entries = [e for e in CORPUS if args.only in e.name]
    if args.shard:
        k, n = (int(x) for x in args.shard.split("/"))
        if not 0 <= k < n:
            raise SystemExit(f"--shard {args.shard}: K must be in 0..N-1")
        entries = entries[k::n]
    if not entries:
        raise SystemExit(f"--only {args.only!r} matches no entry; names look like sorts/bubble_sort:bubble_sort")
    start, reports = time.perf_counter(), []
    for spec in entries:
        rep = check_entry(spec, args.hard, args.soft, args.seed)
        reports.append(rep)
        status = (f"hard {rep.hard_exact}/{rep.hard_n} soft {rep.soft_exact}/{rep.soft_n} silent {rep.silent} {rep.crash}"
                  if rep.compiled else f"not compiled: {rep.compile_error}")
        print(f"{rep.name:70s} {rep.seconds:6.1f}s wall {rep.cpu_seconds:5.1f}s CPU  {status}", flush=True)
    command = ("python benchmarks/compile_corpus.py " + " ".join(sys.argv[1:])).strip()
    write_outputs(reports, environment(), command, time.perf_counter() - start, out)


if __name__ == "__main__":
    main()
