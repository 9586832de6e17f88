"""Multi-digit addition: ``add(a, b)``; the size is the number of digits of the longer operand,
the other operand has 1..size digits, and the longer one comes first or second equally often."""

from __future__ import annotations

import random

from nclib.routines.arithmetic import add
from nclib.tasks.task import Task, TaskSpec

__all__ = ["TASK"]

TEMPLATES = {
    "terse": ("{a} + {b} = ", "add({a}, {b}) = "),
    "natural": (
        "What is {a} plus {b}? Answer: ",
        "Add {a} and {b}: ",
        "The sum of {a} and {b} is ",
        "Compute {a} + {b}. Answer: ",
        "The farmer owned {a} sheep and bought {b} more at the market, so the farm now has ",
        "There were {a} people on the bus and {b} more got on at the next stop. Now the bus carries ",
        "The library had {a} books and received {b} new ones, so it now owns ",
        "Query: {a} + {b}?\nReply: ",
        "Question: What do {a} and {b} add up to?\nAnswer: ",
        "The train carried {a} passengers in the front coaches and {b} in the back ones, making a total of ",
        "Total of {a} and {b}: ",
        "Jake put {a} coins in his jar in March and {b} coins in April. Altogether the jar got ",
        "The school collected {a} cans on Monday and {b} cans on Tuesday. Over the two days it collected ",
        "Increase {a} by {b} and you get ",
        "The hiker walked {a} metres before lunch and {b} metres after it, which makes ",
    ),
}
WORDING = {
    "question": (
        "How much is {a} added to {b}? It is ",
        "If you combine {a} and {b}, what total do you get? The total is ",
    ),
    "instruction": (
        "Add the two numbers below.\nFirst: {a}\nSecond: {b}\nSum: ",
        "Work out the total of {a} and {b} and write only the result: ",
    ),
    "story": (
        "Tom had {a} marbles, and his sister gave him {b} more. Now Tom has ",
        "The shop sold {a} apples in the morning and {b} apples in the afternoon, so that day it sold ",
    ),
    "chat": (
        "User: what's {a} plus {b}?\nAssistant: ",
        "User: quick one, add {a} to {b} for me.\nAssistant: That comes to ",
    ),
}


def number_with_digits(rng: random.Random, digits: int) -> int:
    """A uniform number with exactly `digits` digits (0..9 for one digit)."""
    return rng.randint(10 ** (digits - 1) if digits > 1 else 0, 10**digits - 1)


def sample(rng: random.Random, size: int, spec: TaskSpec, ood: bool, label) -> dict:
    a = number_with_digits(rng, size)
    b = number_with_digits(rng, rng.randint(1, size))
    if rng.random() < 0.5:  # the longer operand is first or second equally often
        a, b = b, a
    return {"a": a, "b": b}


def size(prompt: str, values: list[list[int]]) -> int:
    """Digits of the larger operand (add and gcd)."""
    return max(len(str(v[0])) for v in values)


TASK = Task(
    name="add",
    routine="add",
    reference=add,
    params=("int", "int"),
    fields=("a", "b"),
    templates=TEMPLATES,
    wording=WORDING,
    sample=sample,
    size=size,
    spec=TaskSpec(iid_sizes=(1, 2, 3), ood_sizes=(4, 5)),
    size_limits=(1, 18),
    values=(0, 1 << 18),  # 5-digit + 5-digit < 2^18
    memory=64,
)
