"""Greatest common divisor: ``gcd(a, b)``; the size is the number of digits of the larger operand.

Operands are >= 1; in-distribution the smaller has 1..size digits, out of distribution both have
`size` digits. The training wordings include three word problems (paving with square slabs, sharing flowers into
identical bunches, packing bags); the held-out stories (cutting ribbons, splitting classes into teams) are other
situations. About two thirds of the pairs are multiples of a common factor (log-uniform, so
small and large gcds both occur), which keeps gcd 1 a minority answer. The larger operand comes
first or second equally often.
"""

from __future__ import annotations

import math
import random

from nclib.routines.arithmetic import gcd
from nclib.tasks.add import size
from nclib.tasks.task import Task, TaskSpec

__all__ = ["TASK"]

TEMPLATES = {
    "terse": ("gcd({a}, {b}) = ", "gcd of {a}, {b} = "),
    "natural": (
        "Find the greatest common divisor of {a} and {b}: ",
        "What is the largest number that divides both {a} and {b}? Answer: ",
        "The greatest common divisor of {a} and {b} is ",
        "Compute the highest common factor of {a} and {b}. Answer: ",
        "The hall of {a} by {b} metres is paved with equal square slabs, as large as possible, none of them cut. "
        "The side of each slab in metres is ",
        "Our florist shares {a} roses and {b} tulips out into identical bunches, using every flower. "
        "The largest number of bunches she can make is ",
        "Which number is the largest that divides {a} and also divides {b} exactly? It is ",
        "The baker packs {a} rolls and {b} buns into bags that all hold the same number of pieces, as many "
        "as possible, with nothing left over. Each bag holds ",
        "The carpenter cuts a board of {a} centimetres and a board of {b} centimetres into pieces of one length, "
        "as long as possible, wasting no wood. Each piece measures ",
        "{a} red beads and {b} blue beads are strung into identical bracelets, every bead used, as many bracelets "
        "as possible. The number of bracelets is ",
        "Our gardener plants {a} tulip bulbs and {b} lily bulbs in rows that all hold the same number of bulbs, one "
        "kind per row, the rows as long as possible. Every row gets ",
        "Two tanks hold {a} and {b} litres of water. The largest jug that empties each tank exactly, a whole number "
        "of times, holds this many litres: ",
        "The shop bundles {a} pencils and {b} erasers into gift packs that are all alike, with nothing left over and "
        "as many packs as possible. It will make ",
        "The wall of {a} by {b} centimetres is covered with identical square tiles, none of them cut, as big as "
        "possible. The side of one tile will be ",
        "The chef divides {a} strawberries and {b} grapes into identical fruit cups, leaving nothing over, and fills "
        "as many cups as possible. She can fill ",
        "Query: greatest common divisor of {a} and {b}?\nReply: ",
        "Question: Which is the highest number that divides {a} and {b} evenly?\nAnswer: ",
        "Write the greatest common divisor of {a} and {b}.\nGCD: ",
        "The numbers {a} and {b} share some divisors; the greatest of them equals ",
    ),
}
WORDING = {
    "question": (
        "What is the biggest whole number that goes evenly into both {a} and {b}? It is ",
        "What is the largest factor that {a} and {b} have in common? The answer is ",
    ),
    "instruction": (
        "Find the largest integer that divides {a} and {b} without remainder.\nResult: ",
        "Determine the greatest common divisor of the pair below.\nFirst number: {a}\nSecond number: {b}\nDivisor: ",
    ),
    "story": (
        "Sam wants to cut a ribbon of {a} centimetres and another of {b} centimetres into pieces that all have "
        "the same length, as long as possible, with nothing left over. In centimetres, each piece will be ",
        "The teacher wants to split a class of {a} pupils and another of {b} pupils into teams of one size, "
        "as large as possible, with nobody left out. Each team will have ",
    ),
    "chat": (
        "User: what's the greatest common divisor of {a} and {b}?\nAssistant: ",
        "User: need the highest common factor of {a} and {b}, please.\nAssistant: It is ",
    ),
}


def sample(rng: random.Random, size: int, spec: TaskSpec, ood: bool, label) -> dict:
    while True:
        small_digits = size if ood else rng.randint(1, size)
        lo_a, hi_a = 10 ** (size - 1), 10**size - 1
        lo_b, hi_b = 10 ** (small_digits - 1), 10**small_digits - 1
        factor = 1
        if rng.random() < 0.65:
            factor = int(2 ** rng.uniform(1, math.log2(max(2, hi_b // 2))))
        a_lo, a_hi = -(-lo_a // factor), hi_a // factor
        b_lo, b_hi = -(-lo_b // factor), hi_b // factor
        if a_lo > a_hi or b_lo > b_hi:
            continue
        a, b = factor * rng.randint(a_lo, a_hi), factor * rng.randint(b_lo, b_hi)
        if rng.random() < 0.5:  # the larger operand is first or second equally often
            a, b = b, a
        return {"a": a, "b": b}


TASK = Task(
    name="gcd",
    routine="gcd",
    reference=gcd,
    params=("int", "int"),
    fields=("a", "b"),
    templates=TEMPLATES,
    wording=WORDING,
    sample=sample,
    size=size,
    spec=TaskSpec(iid_sizes=(1, 2, 3), ood_sizes=(4,)),
    size_limits=(1, 18),
    values=(0, 1 << 14),  # 4-digit operands
    memory=64,
)
